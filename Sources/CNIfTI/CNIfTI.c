#include "CNIfTI.h"

#include <nifti2_io.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

int ns_nifti_write(const char *path, const ns_nifti_header *header, const void *voxels, char *error, size_t error_capacity) {
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
    image->sform_code = header->sform_code;
    image->qform_code = header->qform_code;
    for (int row = 0; row < 4; row++) {
        for (int column = 0; column < 4; column++) image->sto_xyz.m[row][column] = header->sform[row][column];
    }
    image->sto_ijk = nifti_dmat44_inverse(image->sto_xyz);
    nifti_dmat44_to_quatern(image->sto_xyz, &image->quatern_b, &image->quatern_c, &image->quatern_d,
                            &image->qoffset_x, &image->qoffset_y, &image->qoffset_z,
                            NULL, NULL, NULL, &image->qfac);
    image->qto_xyz = nifti_quatern_to_dmat44(image->quatern_b, image->quatern_c, image->quatern_d,
                                             image->qoffset_x, image->qoffset_y, image->qoffset_z,
                                             image->dx, image->dy, image->dz, image->qfac);
    image->qto_ijk = nifti_dmat44_inverse(image->qto_xyz);
    snprintf(image->descrip, sizeof(image->descrip), "%s", header->description);
    if (nifti_set_filenames(image, path, 0, 1) != 0) {
        image->data = NULL;
        nifti_image_free(image);
        copy_message("cannot use this file name for NIfTI output", error, error_capacity);
        return 0;
    }
    image->data = (void *)voxels;
    nifti_image_write(image);
    image->data = NULL;
    nifti_image_free(image);
    struct stat info;
    if (stat(path, &info) != 0 || info.st_size < 348) {
        copy_message("writing the NIfTI file failed", error, error_capacity);
        return 0;
    }
    return 1;
}
