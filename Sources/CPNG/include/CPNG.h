/* A small C API over libpng: 8-bit indexed-colour and RGB images, written and read back. */
#ifndef NEUROSPIKE_CPNG_H
#define NEUROSPIKE_CPNG_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Writes an indexed-colour PNG: `pixels` holds width × height palette indices (row-major, top row
    first), `palette` holds `palette_size` RGB triples (at most 256). Returns 1, or 0 with a message. */
int ns_png_write_indexed(const char *path, uint32_t width, uint32_t height, const uint8_t *pixels,
                         const uint8_t *palette, int palette_size, char *error, size_t error_capacity);

/** Writes an 8-bit RGB PNG from width × height × 3 bytes (row-major, top row first). */
int ns_png_write_rgb(const char *path, uint32_t width, uint32_t height, const uint8_t *rgb,
                     char *error, size_t error_capacity);

/** Reads a PNG's size, colour type (PNG_COLOR_TYPE_*) and raw samples without any transformation:
    palette indices for indexed images, RGB triples for RGB. `*samples` is malloc'ed; free with
    ns_png_free. Returns 1, or 0 with a message. */
int ns_png_read(const char *path, uint32_t *width, uint32_t *height, int *color_type, uint8_t **samples,
                size_t *sample_count, char *error, size_t error_capacity);

void ns_png_free(void *samples);

#ifdef __cplusplus
}
#endif

#endif
