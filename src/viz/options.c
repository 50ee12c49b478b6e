/* options.c — see options.h. */
#include "options.h"

#include "render.h"
#include "util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *PRESETS[VIZ_PRESETS] = {"switch-off", "rotating", "magnet", "aligned", "large-N"};

const char *viz_preset_name(int k) { return k >= 0 && k < VIZ_PRESETS ? PRESETS[k] : ""; }

/* VALUE as an integer in [lo, hi], or the message "expected WHAT, got 'VALUE'". */
static int int_in(const char *value, long long lo, long long hi, const char *what, long long *out,
                  char *err, size_t errlen)
{
    char *end;
    errno = 0;
    const long long v = strtoll(value, &end, 10);
    if (end == value || *end || errno || v < lo || v > hi) {
        snprintf(err, errlen, "expected %s, got '%s'", what, value);
        return -1;
    }
    *out = v;
    return 0;
}

/* VALUE as a finite number in [lo, hi], or the same message. */
static int real_in(const char *value, double lo, double hi, const char *what, double *out,
                   char *err, size_t errlen)
{
    char *end;
    const double v = strtod(value, &end);
    if (end == value || *end || !isfinite(v) || v < lo || v > hi) {
        snprintf(err, errlen, "expected %s, got '%s'", what, value);
        return -1;
    }
    *out = v;
    return 0;
}

/* ---- the window's own options: one table row each (name, value, setter, usage) ---- */

static int set_size(viz_opts *o, const char *value, char *err, size_t errlen)
{
    char *end;
    errno = 0;
    const long w = strtol(value, &end, 10);
    int ok = end != value && (*end == 'x' || *end == 'X');
    long h = 0;
    if (ok) {
        const char *hs = end + 1;
        h = strtol(hs, &end, 10);
        ok = end != hs && !*end && !errno && w >= 64 && h >= 64 && w <= 16384 && h <= 16384;
    }
    if (!ok) {
        snprintf(err, errlen, "expected WxH with 64 <= W, H <= 16384, got '%s'", value);
        return -1;
    }
    o->w = (int)w;
    o->h = (int)h;
    return 0;
}

static int set_fullscreen(viz_opts *o, const char *value, char *err, size_t errlen)
{
    (void)value, (void)err, (void)errlen;
    o->fullscreen = 1;
    return 0;
}

static int set_lecture(viz_opts *o, const char *value, char *err, size_t errlen)
{
    (void)value, (void)err, (void)errlen;
    o->lecture = 1;
    return 0;
}

static int set_clean_capture(viz_opts *o, const char *value, char *err, size_t errlen)
{
    (void)value, (void)err, (void)errlen;
    o->clean_capture = 1;
    return 0;
}

static int set_sim_nice(viz_opts *o, const char *value, char *err, size_t errlen)
{
    long long v;
    if (int_in(value, 0, 19, "an integer in [0, 19]", &v, err, errlen))
        return -1;
    o->sim_nice = (int)v;
    return 0;
}

static int set_arrow_draw(viz_opts *o, const char *value, char *err, size_t errlen)
{
    for (int m = 0; m < ARROW_MODES; m++)
        if (!strcmp(value, render_arrow_mode_name(m))) {
            o->arrow_draw = m;
            return 0;
        }
    snprintf(err, errlen, "expected auto, mesh or impostor, got '%s'", value);
    return -1;
}

static int set_frames(viz_opts *o, const char *value, char *err, size_t errlen)
{
    long long v;
    if (int_in(value, 1, 1000000000LL, "an integer in [1, 1e9]", &v, err, errlen))
        return -1;
    o->frames = (long)v;
    return 0;
}

static int set_sim_steps(viz_opts *o, const char *value, char *err, size_t errlen)
{
    return int_in(value, 1, 1000000000LL, "an integer in [1, 1e9]", &o->sim_steps, err, errlen);
}

static int set_screenshot(viz_opts *o, const char *value, char *err, size_t errlen)
{
    if (!*value || strlen(value) >= sizeof o->screenshot) {
        snprintf(err, errlen, "bad file name '%s'", value);
        return -1;
    }
    strcpy(o->screenshot, value);
    return 0;
}

static int set_max_fps(viz_opts *o, const char *value, char *err, size_t errlen)
{
    o->max_fps_set = 1;
    return real_in(value, 0.0, 1000.0, "frames per second in [0, 1000] (0 = unlimited)",
                   &o->max_fps, err, errlen);
}

static int set_rate(viz_opts *o, const char *value, char *err, size_t errlen)
{
    o->rate_set = 1;
    return real_in(value, 0.0, 1e6, "steps per second in [0, 1e6] (0 = unlimited)", &o->rate, err,
                   errlen);
}

#define STR_(x) #x
#define STR(x) STR_(x)

typedef struct viz_option {
    const char *name;    /* without "--" */
    const char *metavar; /* NULL: a flag without a value */
    int (*set)(viz_opts *o, const char *value, char *err, size_t errlen);
    const char *help;    /* usage text, lines after the first indented under it */
} viz_option;

/* In the order of the usage text. --preset is handled before the shared parser (it becomes
 * --scenario FILE), so it has no setter. */
static const viz_option OPTIONS[] = {
    {"preset", "NAME", NULL,
     "switch-off, rotating, magnet, aligned or large-N (a scenario\n"
     "file in assets/; the other options override it)"},
    {"size", "WxH", set_size, "window size (default 1280x800)"},
    {"fullscreen", NULL, set_fullscreen, "start in fullscreen"},
    {"frames", "K", set_frames, "quit after K frames"},
    {"screenshot", "FILE", set_screenshot, "write the last frame as PNG on exit"},
    {"sim-steps", "K", set_sim_steps,
     "stop the simulation after K steps; with --frames the last\n"
     "frame waits for step K and its streamlines (reproducible)"},
    {"rate", "R", set_rate, "at most R simulation steps per second, 0 = unlimited\n(default 60)"},
    {"lecture", NULL, set_lecture, "lecture mode: big text, thick lines, high contrast (key L)"},
    {"clean-capture", NULL, set_clean_capture,
     "recordings (V) and screenshots (P, --screenshot) show the\n"
     "scene alone: no HUD, plot, captions or gizmo (key O); the\n"
     "help box and the REC label are never captured"},
    {"arrow-draw", "MODE", set_arrow_draw,
     "particle arrows as mesh (instanced, level of detail),\n"
     "impostor (one ray-cast triangle each) or auto (impostors\n"
     "above " STR(IMPOSTOR_AUTO_N) " particles; the default) (key T cycles)"},
    {"sim-nice", "K", set_sim_nice,
     "nice value of the simulation thread, 0..19 (default " STR(VIZ_SIM_NICE) "; > 0:\n"
     "also the batch scheduling class): the window's frame rate comes first"},
    {"max-fps", "F", set_max_fps,
     "at most F frames per second, 0 = unlimited (default " STR(VIZ_MAX_FPS) ";\n"
     STR(VIZ_MAX_FPS_SOFTWARE) " with a software rasteriser such as llvmpipe, whose\n"
     "frames take the CPU the simulation needs)"},
};
#define N_OPTIONS (sizeof OPTIONS / sizeof OPTIONS[0])

static int extra_cb(void *ctx, const char *name, const char *value, char *err, size_t errlen)
{
    for (size_t i = 0; i < N_OPTIONS; i++)
        if (OPTIONS[i].set && !strcmp(name, OPTIONS[i].name))
            return OPTIONS[i].set(ctx, value, err, errlen);
    snprintf(err, errlen, "unknown option");
    return -1;
}

/* The table's rows for the shared parser (fr_options_parse), NULL-terminated. */
static void extra_options(fr_extra_option extra[N_OPTIONS + 1])
{
    size_t k = 0;
    for (size_t i = 0; i < N_OPTIONS; i++)
        if (OPTIONS[i].set)
            extra[k++] = (fr_extra_option){OPTIONS[i].name, OPTIONS[i].metavar != NULL};
    extra[k] = (fr_extra_option){NULL, 0};
}

static int parse(fr_options *fo, int ac, char **av, viz_opts *vo, char *err, size_t errlen)
{
    fr_extra_option extra[N_OPTIONS + 1];
    extra_options(extra);
    return fr_options_parse(fo, ac, av, extra, extra_cb, vo, err, errlen);
}

static int preset_path(const char *name, char *out, size_t cap, char *err, size_t errlen)
{
    int known = 0;
    for (int i = 0; i < VIZ_PRESETS; i++)
        known |= !strcmp(name, PRESETS[i]);
    if (!known) {
        char list[256];
        size_t k = 0;
        for (int i = 0; i < VIZ_PRESETS && k < sizeof list; i++)
            k += (size_t)snprintf(list + k, sizeof list - k, "%s%s", i ? ", " : "", PRESETS[i]);
        snprintf(err, errlen, "--preset: unknown preset '%s' (%s)", name, list);
        return -1;
    }
    char file[128], tried[4096];
    snprintf(file, sizeof file, "%s.scenario", name);
    if (viz_find_file("FERROVIZ_ASSETS_DIR", "assets", file, out, cap, tried, sizeof tried)) {
        snprintf(err, errlen, "--preset %s: file %s not found (tried %.600s)", name, file, tried);
        return -1;
    }
    return 0;
}

/* "  --name METAVAR" padded to 24 columns, then the help, its later lines indented as deep. */
static void usage_row(const viz_option *o)
{
    char head[64];
    snprintf(head, sizeof head, "--%s%s%s", o->name, o->metavar ? " " : "",
             o->metavar ? o->metavar : "");
    printf("  %-21s ", head);
    for (const char *h = o->help; *h; h++) {
        putchar(*h);
        if (*h == '\n')
            printf("%24s", "");
    }
    putchar('\n');
}

void viz_usage(void)
{
    printf("Usage: ferroviz [options]\n"
           "The real-time visualizer of the ferrofluid model. Scenario options as ferrosim:\n\n%s\n"
           "ferroviz:\n",
           fr_options_usage());
    for (size_t i = 0; i < N_OPTIONS; i++)
        usage_row(&OPTIONS[i]);
    printf("  (also used here: --aspect, --brownian, --sweep; --units FILE for the physical\n"
           "  units panel (key U); --load FILE to start from a saved state, --save FILE to\n"
           "  write the state on exit)\n"
           "Keys: press F1 or ? in the window. Exit status 2 on bad input or without a display.\n");
}

/* Parse: --preset NAME becomes --scenario FILE. Exit status 2 on error. */
int viz_parse_args(int argc, char **argv, fr_options *fo, viz_opts *vo)
{
    memset(vo, 0, sizeof *vo);
    vo->w = 1280;
    vo->h = 800;
    vo->rate = 60.0;
    vo->sim_nice = VIZ_SIM_NICE;
    char **av = calloc((size_t)argc + 1, sizeof *av);
    char path[4096], err[1024];
    if (!av) {
        fprintf(stderr, "ferroviz: out of memory\n");
        return 2;
    }
    int ac = 0, has_scenario = 0, has_preset = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (i > 0 && (!strcmp(a, "--scenario") || !strncmp(a, "--scenario=", 11)))
            has_scenario = 1;
        if (i > 0 && (!strcmp(a, "--preset") || !strncmp(a, "--preset=", 9))) {
            const char *name = NULL;
            if (a[8] == '=')
                name = a + 9;
            else if (i + 1 < argc && strncmp(argv[i + 1], "--", 2))
                name = argv[++i];
            if (!name || !*name) {
                fprintf(stderr, "ferroviz: --preset: missing value\n");
                free(av);
                return 2;
            }
            if (has_preset) {
                fprintf(stderr, "ferroviz: --preset: given more than once\n");
                free(av);
                return 2;
            }
            if (preset_path(name, path, sizeof path, err, sizeof err)) {
                fprintf(stderr, "ferroviz: %s\n", err);
                free(av);
                return 2;
            }
            snprintf(vo->preset, sizeof vo->preset, "%s", name);
            has_preset = 1;
            av[ac++] = "--scenario";
            av[ac++] = path;
            continue;
        }
        av[ac++] = argv[i];
    }
    if (has_preset && has_scenario) {
        fprintf(stderr, "ferroviz: --preset and --scenario cannot be combined\n");
        free(av);
        return 2;
    }
    fr_options_default(fo);
    const int rc = parse(fo, ac, av, vo, err, sizeof err);
    free(av);
    if (rc) {
        fprintf(stderr, "ferroviz: %s\n", err);
        return 2;
    }
    return 0;
}

int viz_preset_params(int k, fr_params *p, char *err, size_t errlen)
{
    char path[4096], e[1024];
    if (preset_path(PRESETS[k], path, sizeof path, err, errlen))
        return -1;
    fr_options fo;
    viz_opts dummy;
    memset(&dummy, 0, sizeof dummy);
    char *av[3] = {"ferroviz", "--scenario", path};
    fr_options_default(&fo);
    if (parse(&fo, 3, av, &dummy, e, sizeof e)) {
        snprintf(err, errlen, "preset %s: %s", PRESETS[k], e);
        return -1;
    }
    *p = fo.p;
    return 0;
}
