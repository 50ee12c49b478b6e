/* style.h — the look of the overlay as data: the normal and the lecture style (L: big text,
 * thick lines, high contrast), passed to the drawing code. */
#ifndef VIZ_STYLE_H
#define VIZ_STYLE_H

typedef struct viz_style {
    float text[4], dim[4], panel[4], warn[4], accent[4];
    float line_w;             /* line widths: ×1, lecture ×2 */
    float plot_bg_a;          /* opacity of the plots' background */
    float ring_w;             /* the picked particle's ring */
    float caption_k;          /* caption text scale */
    int lecture;
} viz_style;

viz_style ui_style_make(int lecture);

#endif
