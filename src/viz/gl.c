/* gl.c — shader loading with messages that name the file. */
#include "gl.h"

#include "colormap.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One shader source for both targets: the version line and, for WebGL 2, the precisions (ES
 * has no default for float in fragment shaders) and FR_GLES for the few places that differ. */
#ifdef FR_GLES
static const char VERSION_LINES[] = "#version 300 es\nprecision highp float;\nprecision highp int;\n"
                                    "#define FR_GLES 1\n";
#else
static const char VERSION_LINES[] = "#version 330 core\n";
#endif

static GLuint compile(GLenum type, const char *path, const char *defines, char *err,
                      size_t errlen)
{
    size_t len;
    char *src = viz_read_file(path, &len);
    if (!src) {
        snprintf(err, errlen, "cannot read shader %s: %s", path, strerror(errno));
        return 0;
    }
    /* the version lines, the colour maps (colormap.c), the variant's defines; #line 1 keeps the
     * compiler's line numbers those of the file (which has no #version line) */
    char prelude[4096];
    cmap_glsl(prelude, sizeof prelude);
    GLuint sh = glCreateShader(type);
    static const char LINE1[] = "#line 1\n";
    const GLchar *parts[5] = {VERSION_LINES, prelude, defines, LINE1, src};
    const GLint lens[5] = {(GLint)strlen(VERSION_LINES), (GLint)strlen(prelude),
                           (GLint)strlen(defines), (GLint)strlen(LINE1), (GLint)len};
    glShaderSource(sh, 5, parts, lens);
    glCompileShader(sh);
    free(src);
    GLint ok = 0;
    glGetShaderiv(sh, GL_COMPILE_STATUS, &ok);
    if (!ok) {
        char log[2048] = "";
        glGetShaderInfoLog(sh, sizeof log, NULL, log);
        for (char *c = log; *c; c++) /* one line */
            if (*c == '\n' || *c == '\r')
                *c = ' ';
        snprintf(err, errlen, "shader %s does not compile: %s", path, log);
        glDeleteShader(sh);
        return 0;
    }
    return sh;
}

GLuint viz_load_program(const char *name, char *err, size_t errlen)
{
    return viz_load_program_defs(name, "", err, errlen);
}

GLuint viz_load_program_defs(const char *name, const char *defines, char *err, size_t errlen)
{
    char vname[128], fname[128], vpath[4096], fpath[4096], tried[4096];
    snprintf(vname, sizeof vname, "%s.vert", name);
    snprintf(fname, sizeof fname, "%s.frag", name);
    if (viz_find_file("FERROVIZ_SHADER_DIR", "shaders", vname, vpath, sizeof vpath, tried,
                      sizeof tried)) {
        snprintf(err, errlen, "shader file %s not found (tried %s)", vname, tried);
        return 0;
    }
    if (viz_find_file("FERROVIZ_SHADER_DIR", "shaders", fname, fpath, sizeof fpath, tried,
                      sizeof tried)) {
        snprintf(err, errlen, "shader file %s not found (tried %s)", fname, tried);
        return 0;
    }
    GLuint vs = compile(GL_VERTEX_SHADER, vpath, defines, err, errlen);
    if (!vs)
        return 0;
    GLuint fs = compile(GL_FRAGMENT_SHADER, fpath, defines, err, errlen);
    if (!fs) {
        glDeleteShader(vs);
        return 0;
    }
    GLuint p = glCreateProgram();
    glAttachShader(p, vs);
    glAttachShader(p, fs);
    glLinkProgram(p);
    glDeleteShader(vs);
    glDeleteShader(fs);
    GLint ok = 0;
    glGetProgramiv(p, GL_LINK_STATUS, &ok);
    if (!ok) {
        char log[2048] = "";
        glGetProgramInfoLog(p, sizeof log, NULL, log);
        for (char *c = log; *c; c++)
            if (*c == '\n' || *c == '\r')
                *c = ' ';
        snprintf(err, errlen, "shaders %s + %s do not link: %s", vpath, fpath, log);
        glDeleteProgram(p);
        return 0;
    }
    return p;
}
