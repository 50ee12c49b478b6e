/* web.h — what a page adds to the viewer: files leaving it (downloads) and entering it (the
 * browser's file picker). Only in the browser build (cmake/web.cmake). */
#ifndef FERRO_WEB_H
#define FERRO_WEB_H

/* Offer a file of the in-memory file system as a download named like it. */
void web_download(const char *path, const char *mime);
/* From now on, the key named key (a KeyboardEvent.key, e.g. "F9") opens the browser's file
 * picker; the chosen file is written to path. */
void web_pick_file_on_key(const char *path, const char *key);
/* 1 if a picked file arrived since the last call that returned 1 (web_file_waiting: the same
 * without taking it). */
int web_take_file(void);
int web_file_waiting(void);

#endif
