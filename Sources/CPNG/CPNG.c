#include "CPNG.h"

#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void copy_message(const char *message, char *buffer, size_t capacity) {
    if (buffer != NULL && capacity > 0) snprintf(buffer, capacity, "%s", message);
}

/* libpng reports through NeuroSpike's own messages: its errors only jump back, its warnings are dropped. */
static void silent_error(png_structp png, png_const_charp message) {
    (void)message;
    png_longjmp(png, 1);
}

static void silent_warning(png_structp png, png_const_charp message) {
    (void)png;
    (void)message;
}

static int write_png(const char *path, uint32_t width, uint32_t height, int color_type, int channels,
                     const uint8_t *samples, const png_color *palette, int palette_size,
                     char *error, size_t error_capacity) {
    FILE *file = fopen(path, "wb");
    if (file == NULL) {
        copy_message("cannot create the file", error, error_capacity);
        return 0;
    }
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, silent_error, silent_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (png == NULL || info == NULL || setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        fclose(file);
        copy_message("libpng could not write the image", error, error_capacity);
        return 0;
    }
    png_init_io(png, file);
    png_set_IHDR(png, info, width, height, 8, color_type, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    if (palette != NULL) png_set_PLTE(png, info, palette, palette_size);
    png_write_info(png, info);
    for (uint32_t row = 0; row < height; row++) {
        png_write_row(png, samples + (size_t)row * width * channels);
    }
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    if (fclose(file) != 0) {
        copy_message("writing the file failed", error, error_capacity);
        return 0;
    }
    return 1;
}

int ns_png_write_indexed(const char *path, uint32_t width, uint32_t height, const uint8_t *pixels,
                         const uint8_t *palette, int palette_size, char *error, size_t error_capacity) {
    if (palette_size < 1 || palette_size > 256) {
        copy_message("a palette holds 1 to 256 colours", error, error_capacity);
        return 0;
    }
    png_color colours[256];
    for (int index = 0; index < palette_size; index++) {
        colours[index].red = palette[3 * index];
        colours[index].green = palette[3 * index + 1];
        colours[index].blue = palette[3 * index + 2];
    }
    return write_png(path, width, height, PNG_COLOR_TYPE_PALETTE, 1, pixels, colours, palette_size, error, error_capacity);
}

int ns_png_write_rgb(const char *path, uint32_t width, uint32_t height, const uint8_t *rgb,
                     char *error, size_t error_capacity) {
    return write_png(path, width, height, PNG_COLOR_TYPE_RGB, 3, rgb, NULL, 0, error, error_capacity);
}

int ns_png_read(const char *path, uint32_t *width, uint32_t *height, int *color_type, uint8_t **samples,
                size_t *sample_count, char *error, size_t error_capacity) {
    FILE *file = fopen(path, "rb");
    if (file == NULL) {
        copy_message("cannot open the file", error, error_capacity);
        return 0;
    }
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, silent_error, silent_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    uint8_t *volatile buffer = NULL;
    if (png == NULL || info == NULL || setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, NULL);
        fclose(file);
        free(buffer);
        copy_message("not a readable PNG file", error, error_capacity);
        return 0;
    }
    png_init_io(png, file);
    png_read_info(png, info);
    if (png_get_bit_depth(png, info) != 8) png_error(png, "only 8-bit images are read");
    *width = png_get_image_width(png, info);
    *height = png_get_image_height(png, info);
    *color_type = png_get_color_type(png, info);
    size_t row_bytes = png_get_rowbytes(png, info);
    buffer = malloc(row_bytes * *height);
    if (buffer == NULL) png_error(png, "out of memory");
    for (uint32_t row = 0; row < *height; row++) png_read_row(png, buffer + row * row_bytes, NULL);
    png_read_end(png, NULL);
    png_destroy_read_struct(&png, &info, NULL);
    fclose(file);
    *samples = buffer;
    *sample_count = row_bytes * *height;
    return 1;
}

void ns_png_free(void *samples) { free(samples); }
