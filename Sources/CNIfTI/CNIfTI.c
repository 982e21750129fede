#include "CNIfTI.h"

#include <nifti2_io.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static void copy_message(const char *message, char *buffer, size_t capacity) {
    if (buffer == NULL || capacity == 0) return;
    snprintf(buffer, capacity, "%s", message);
}

int ns_nifti_bytes_per_voxel(int32_t datatype) {
    int nbyper = 0, swapsize = 0;
    nifti_datatype_sizes(datatype, &nbyper, &swapsize);
    return nbyper;
}

int ns_nifti_read(const char *path, ns_nifti_header *header, void **voxels, char *error, size_t error_capacity) {
    nifti_set_debug_level(0);
    nifti_image *image = nifti_image_read(path, 1);
    if (image == NULL) {
        copy_message("not a readable NIfTI file (bad header or truncated data)", error, error_capacity);
        return 0;
    }
    if (image->data == NULL) {
        nifti_image_free(image);
        copy_message("NIfTI voxel data could not be read (truncated file?)", error, error_capacity);
        return 0;
    }
    memset(header, 0, sizeof(*header));
    header->rank = (int32_t)image->dim[0];
    for (int axis = 0; axis < 7; axis++) {
        header->dims[axis] = axis < image->dim[0] ? image->dim[axis + 1] : 1;
        header->pixdim[axis] = image->pixdim[axis + 1];
    }
    header->datatype = image->datatype;
    header->scl_slope = image->scl_slope;
    header->scl_inter = image->scl_inter;
    header->sform_code = image->sform_code;
    header->qform_code = image->qform_code;
    for (int row = 0; row < 4; row++) {
        for (int column = 0; column < 4; column++) {
            header->sform[row][column] = image->sto_xyz.m[row][column];
            header->qform[row][column] = image->qto_xyz.m[row][column];
        }
    }
    memcpy(header->description, image->descrip, sizeof(header->description));
    header->description[sizeof(header->description) - 1] = '\0';
    *voxels = image->data;
    image->data = NULL;
    nifti_image_free(image);
    return 1;
}

void ns_nifti_free(void *voxels) { free(voxels); }

int ns_nifti1_header(const ns_nifti_header *header, unsigned char bytes[352], char *error, size_t error_capacity) {
    nifti_set_debug_level(0);
    int64_t dims[8] = {header->rank, 1, 1, 1, 1, 1, 1, 1};
    for (int axis = 0; axis < 7; axis++) dims[axis + 1] = header->dims[axis];
    nifti_image *image = nifti_make_new_nim(dims, header->datatype, 0);
    if (image == NULL) {
        copy_message("unsupported NIfTI datatype or dimensions", error, error_capacity);
        return 0;
    }
    for (int axis = 0; axis < 7; axis++) image->pixdim[axis + 1] = header->pixdim[axis];
    image->dx = image->pixdim[1]; image->dy = image->pixdim[2]; image->dz = image->pixdim[3];
    image->dt = image->pixdim[4];
    image->scl_slope = header->scl_slope;
    image->scl_inter = header->scl_inter;
    image->xyz_units = NIFTI_UNITS_MM;
    image->time_units = NIFTI_UNITS_SEC;
    image->nifti_type = NIFTI_FTYPE_NIFTI1_1;
    image->iname_offset = 352;
    image->sform_code = header->sform_code;
    image->qform_code = header->qform_code;
    for (int row = 0; row < 4; row++) {
        for (int column = 0; column < 4; column++) image->sto_xyz.m[row][column] = header->sform[row][column];
    }
    nifti_dmat44_to_quatern(image->sto_xyz, &image->quatern_b, &image->quatern_c, &image->quatern_d,
                            &image->qoffset_x, &image->qoffset_y, &image->qoffset_z,
                            NULL, NULL, NULL, &image->qfac);
    snprintf(image->descrip, sizeof(image->descrip), "%s", header->description);
    nifti_1_header converted;
    int status = nifti_convert_nim2n1hdr(image, &converted);
    nifti_image_free(image);
    if (status != 0) {
        copy_message("these dimensions do not fit a NIfTI-1 header", error, error_capacity);
        return 0;
    }
    memcpy(bytes, &converted, 348);
    memset(bytes + 348, 0, 4); /* no header extensions */
    return 1;
}

size_t ns_gzip_bound(size_t length) {
    /* deflateBound for the default memory level plus the 18-byte gzip header and trailer. */
    return (size_t)compressBound((uLong)length) + 64;
}

size_t ns_gzip_member(const void *input, size_t length, int level, void *output, size_t capacity) {
    z_stream stream;
    memset(&stream, 0, sizeof(stream));
    if (deflateInit2(&stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return 0;
    stream.next_in = (Bytef *)input;
    stream.avail_in = (uInt)length;
    stream.next_out = (Bytef *)output;
    stream.avail_out = (uInt)capacity;
    int status = deflate(&stream, Z_FINISH);
    size_t written = stream.total_out;
    deflateEnd(&stream);
    return status == Z_STREAM_END ? written : 0;
}
