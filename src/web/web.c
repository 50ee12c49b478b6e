/* web.c — see web.h. The JavaScript of each function sits beside it (EM_JS). */
#include "web.h"

#include <emscripten.h>

EM_JS(void, web_download, (const char *path, const char *mime), {
    var p = UTF8ToString(path);
    var data = FS.readFile(p);
    var a = document.createElement('a');
    a.href = URL.createObjectURL(new Blob([data], {type: UTF8ToString(mime)}));
    a.download = p.split('/').pop();
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(function() { URL.revokeObjectURL(a.href); }, 10000);
})

/* The picker opens inside the key's own event: browsers open a file picker only in the short
 * window of user activation a key press gives, and a frame loop that picked it up later (a
 * slow frame, a loaded machine) could miss that window. */
EM_JS(void, web_pick_file_on_key, (const char *path, const char *key), {
    var p = UTF8ToString(path), k = UTF8ToString(key);
    window.addEventListener('keydown', function(e) {
        if (e.key !== k || e.repeat || e.ctrlKey || e.altKey || e.metaKey || e.shiftKey)
            return;
        var input = document.createElement('input');
        input.type = 'file';
        input.onchange = function() {
            if (!input.files.length)
                return;
            input.files[0].arrayBuffer().then(function(buf) {
                FS.writeFile(p, new Uint8Array(buf));
                Module.ferrovizFileWaiting = 1;
            });
        };
        input.click();
    }, true);
})

EM_JS(int, web_file_waiting, (void), { return Module.ferrovizFileWaiting | 0; })

EM_JS(int, web_take_file, (void), {
    var r = Module.ferrovizFileWaiting | 0;
    Module.ferrovizFileWaiting = 0;
    return r;
})
