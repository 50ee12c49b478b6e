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

EM_JS(void, web_pick_file, (const char *path), {
    var p = UTF8ToString(path);
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
})

EM_JS(int, web_file_waiting, (void), { return Module.ferrovizFileWaiting | 0; })

EM_JS(int, web_take_file, (void), {
    var r = Module.ferrovizFileWaiting | 0;
    Module.ferrovizFileWaiting = 0;
    return r;
})
