/* options.h — ferroviz's command line: the scenario options shared with ferrosim (scenario.h)
 * plus the window's own, the presets (small scenario files in assets/) and the usage text. */
#ifndef VIZ_OPTIONS_H
#define VIZ_OPTIONS_H

#include "ferro/scenario.h"

#include <stddef.h>

#define VIZ_SIM_NICE 10 /* default nice value of the simulation thread */
/* Default frame-rate caps: with a GPU, and with a software rasteriser (llvmpipe), where every
 * frame costs CPU the simulation needs (~10-15 ms of CPU per frame at 1280x720 and N = 2e4,
 * ~50 when it redraws the arrows): 33, just above the 30 we promise (frames keep to a grid, so
 * a late frame is made up, see app_frame_pause), leaves the rest of the cores to the
 * simulation thread. */
#define VIZ_MAX_FPS 60          /* integers: the usage text prints them as written */
#define VIZ_MAX_FPS_SOFTWARE 33
#define VIZ_PRESETS 5

typedef struct viz_opts {
    int w, h, fullscreen;
    long frames;          /* 0 = until quit */
    char screenshot[1024];
    long long sim_steps;
    double rate;
    int rate_set;
    char preset[64];
    int lecture;
    int clean_capture;    /* recordings and screenshots without the overlay (key O) */
    int arrow_draw;       /* ARROWS_* */
    int sim_nice;         /* nice value of the simulation thread */
    double max_fps;       /* frame-rate cap, 0 = unlimited; max_fps_set: given on the command line */
    int max_fps_set;
} viz_opts;

/* Preset k (0 .. VIZ_PRESETS-1): its name ("switch-off", ...). */
const char *viz_preset_name(int k);
/* Parses argv (--preset NAME becomes --scenario FILE). 0, or the exit status (2) after one
 * line on stderr. */
int viz_parse_args(int argc, char **argv, fr_options *fo, viz_opts *vo);
/* The parameters of preset k: 0, or -1 with a message in err. */
int viz_preset_params(int k, fr_params *p, char *err, size_t errlen);
void viz_usage(void);

#endif
