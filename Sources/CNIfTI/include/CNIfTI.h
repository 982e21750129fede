/* A small C API over nifti_clib (NIfTI-1 and -2 reading of .nii and .nii.gz, NIfTI-1 headers for writing)
   and zlib (gzip members, so .nii.gz output can be compressed on all cores).
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

/** Fills the 352 bytes that start a single-file NIfTI-1 image (.nii): the 348-byte header with the
    sform from `header->sform`, the qform derived from it, voxels at offset 352, and an empty extension
    flag. The voxels follow as raw little-endian data. Returns 1, or 0 with a message. */
int ns_nifti1_header(const ns_nifti_header *header, unsigned char bytes[352], char *error, size_t error_capacity);

/** Upper bound of the size of one gzip member holding `length` bytes. */
size_t ns_gzip_bound(size_t length);

/** Compresses `length` bytes into one complete gzip member (RFC 1952) at zlib `level` (1-9).
    Concatenated members form a valid .gz file, so chunks can be compressed in parallel.
    Returns the number of bytes written into `output`, or 0 on failure. */
size_t ns_gzip_member(const void *input, size_t length, int level, void *output, size_t capacity);

/** Bytes per voxel of a NIfTI datatype code, 0 when unsupported. */
int ns_nifti_bytes_per_voxel(int32_t datatype);

#ifdef __cplusplus
}
#endif

#endif
