/* A small C API over nifti_clib (NIfTI-1 and -2 reading, NIfTI-1 writing, .nii and .nii.gz).
   nifti_clib's own types stay inside CNIfTI.c, so Swift never needs its include path. */
#ifndef NEUROSPIKE_CNIFTI_H
#define NEUROSPIKE_CNIFTI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The header fields NeuroSpike uses. Matrices are row-major voxel (i,j,k) → world (x,y,z) in mm. */
typedef struct {
    int64_t dims[7];         /* nx, ny, nz, nt, nu, nv, nw (1 where unused) */
    int32_t rank;            /* dim[0]: number of dimensions in use */
    double pixdim[7];        /* grid spacings: mm for 1-3, seconds for 4 */
    int32_t datatype;        /* NIfTI DT_* code */
    double scl_slope;        /* 0 means no scaling */
    double scl_inter;
    int32_t sform_code;
    int32_t qform_code;
    double sform[4][4];
    double qform[4][4];
    char description[80];
} ns_nifti_header;

/** Reads the header and the voxels. On success returns 1, fills `header`, and sets `*voxels` to a buffer
    of dims-product × bytes-per-voxel bytes that the caller frees with ns_nifti_free. Returns 0 with a
    message in `error` when the file is not a readable NIfTI image. */
int ns_nifti_read(const char *path, ns_nifti_header *header, void **voxels, char *error, size_t error_capacity);

void ns_nifti_free(void *voxels);

/** Writes a NIfTI-1 file (.nii, or gzip-compressed when `path` ends in .gz) with the sform from
    `header->sform` and the qform derived from it. Returns 1 on success, 0 with a message otherwise. */
int ns_nifti_write(const char *path, const ns_nifti_header *header, const void *voxels, char *error, size_t error_capacity);

/** Bytes per voxel of a NIfTI datatype code, 0 when unsupported. */
int ns_nifti_bytes_per_voxel(int32_t datatype);

#ifdef __cplusplus
}
#endif

#endif
