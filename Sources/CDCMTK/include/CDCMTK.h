/* A small C API over DCMTK: open a DICOM file, read tags (also inside sequences), decode frames.
   Every DCMTK call of NeuroSpike goes through this header; Swift wraps the handles in owning types. */
#ifndef NEUROSPIKE_CDCMTK_H
#define NEUROSPIKE_CDCMTK_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** An open DICOM file (owns a DcmFileFormat). Close with ns_dcm_close. */
typedef struct ns_dcm_file ns_dcm_file;
/** A dataset or sequence item inside an open file; valid while the file is open. */
typedef struct ns_dcm_item ns_dcm_item;

/** Registers the RLE, JPEG and JPEG-LS decoders and silences DCMTK's own logging. Idempotent. */
void ns_dcm_initialize(void);

/** Opens a file. Large values (pixel data) are read only when decoded.
    Returns NULL and writes a message into `error` when the file is not readable DICOM. */
ns_dcm_file *ns_dcm_open(const char *path, char *error, size_t error_capacity);
void ns_dcm_close(ns_dcm_file *file);

/** The main dataset and the file meta information (group 0002). */
const ns_dcm_item *ns_dcm_dataset(const ns_dcm_file *file);
const ns_dcm_item *ns_dcm_meta(const ns_dcm_file *file);

/** 1 when the element exists in `item` (not searched in sequences). */
int ns_dcm_has(const ns_dcm_item *item, uint16_t group, uint16_t element);

/** Copies the element's whole value as text (all values, backslash-separated, trailing spaces removed)
    into `buffer` with a terminating NUL. Returns the text length (possibly larger than the capacity:
    then the text is cut), or -1 when the element is absent or not textual. */
long ns_dcm_string(const ns_dcm_item *item, uint16_t group, uint16_t element, char *buffer, size_t capacity);

/** Reads value number `index` of a numeric element (DS, IS, FD, FL, US, SS, UL, SL, or a numeric string).
    Returns 1 on success, 0 when absent or not numeric. */
int ns_dcm_number(const ns_dcm_item *item, uint16_t group, uint16_t element, unsigned long index, double *value);

/** Number of values (the value multiplicity) of an element, 0 when absent. */
unsigned long ns_dcm_value_count(const ns_dcm_item *item, uint16_t group, uint16_t element);

/** Copies the raw bytes of a binary element (OB, UN, OW) into `buffer`. Returns the value length
    (possibly larger than the capacity), or -1 when absent. */
long ns_dcm_bytes(const ns_dcm_item *item, uint16_t group, uint16_t element, void *buffer, size_t capacity);

/** Number of items in a sequence element, 0 when absent. */
unsigned long ns_dcm_sequence_count(const ns_dcm_item *item, uint16_t group, uint16_t element);
/** Item `index` of a sequence, or NULL. */
const ns_dcm_item *ns_dcm_sequence_item(const ns_dcm_item *item, uint16_t group, uint16_t element, unsigned long index);

/** Size in bytes of one uncompressed frame as stored (BitsAllocated-sized samples), or 0 when the file
    has no usable pixel data. */
size_t ns_dcm_frame_bytes(ns_dcm_file *file);

/** Decodes frame `frame` (0-based) into `buffer` as raw stored words in host byte order (no masking,
    no sign extension, no rescale). Returns 1 on success, 0 with a message in `error` otherwise. */
int ns_dcm_decode_frame(ns_dcm_file *file, unsigned long frame, void *buffer, size_t buffer_bytes,
                        char *error, size_t error_capacity);

/* ---- DICOM Segmentation (SegmentationWriter.cpp) ---- */

/** One structure of a label volume, written as one segment of a binary DICOM Segmentation. */
typedef struct ns_seg_segment {
    /** Voxel value of the structure in the label volume. */
    int32_t label_value;
    /** Segment Label (0062,0005), e.g. the FreeSurfer name. */
    const char *label;
    /** Segmented Property Type (0062,000F): code value, coding scheme ("SCT", "DCM") and code meaning. */
    const char *type_code_value;
    const char *type_coding_scheme;
    const char *type_code_meaning;
    /** Segmented Property Type Modifier (0062,0011) for laterality: 0 none, 1 left, 2 right. */
    int laterality;
    /** Recommended display colour, sRGB 0...255 (written as DICOM CIELab). */
    uint8_t red, green, blue;
} ns_seg_segment;

/** The source image of one slice of the label volume. */
typedef struct ns_seg_slice {
    const char *sop_class_uid;
    const char *sop_instance_uid;
    /** 1-based frame of a multi-frame source object, 0 for a single-frame image. */
    uint32_t frame_number;
    /** ImagePositionPatient of the slice: centre of its first stored pixel, DICOM patient coordinates (LPS, mm). */
    double position_lps[3];
} ns_seg_slice;

/** Geometry and identity of the segmentation. */
typedef struct ns_seg_description {
    /** One DICOM file of the source series: patient, study and frame of reference are copied from it. */
    const char *source_path;
    /** Algorithm Version and Software Versions. */
    const char *software_version;
    int32_t series_number;
    /** Frame size: rows (j extent) and columns (i extent) of the label volume. */
    uint16_t rows, columns;
    uint32_t slices;
    /** ImageOrientationPatient (LPS): direction along a row (column index grows), then down a column. */
    double orientation_lps[6];
    /** PixelSpacing in mm: between rows, then between columns. */
    double pixel_spacing_mm[2];
    double slice_thickness_mm;
    /** Distance between slice centres along the normal, mm. */
    double slice_spacing_mm;
} ns_seg_description;

/** Writes a binary DICOM Segmentation of `labels` (int16 values, column index fastest, then row, then slice;
    `rows · columns · slices` values) to `path`: one segment per entry of `segments`, one frame per segment
    and slice where the segment is present, each referencing `slices[k]`.
    Returns 1 on success, 0 with a message in `error` otherwise (a partly written file may remain). */
int ns_seg_write(const char *path, const ns_seg_description *description, const ns_seg_slice *slices,
                 const ns_seg_segment *segments, size_t segment_count, const int16_t *labels,
                 char *error, size_t error_capacity);

/** A DICOM Segmentation read back with dcmseg. Close with ns_seg_close. */
typedef struct ns_seg_file ns_seg_file;

ns_seg_file *ns_seg_open(const char *path, char *error, size_t error_capacity);
void ns_seg_close(ns_seg_file *file);

/** Frame size in pixels. */
uint16_t ns_seg_rows(const ns_seg_file *file);
uint16_t ns_seg_columns(const ns_seg_file *file);

size_t ns_seg_segment_count(const ns_seg_file *file);
/** Copies the Segment Label of segment `number` (1-based) like ns_dcm_string; -1 when absent. */
long ns_seg_segment_label(const ns_seg_file *file, uint16_t number, char *buffer, size_t capacity);

size_t ns_seg_frame_count(const ns_seg_file *file);

/** One frame (0-based): its segment number, ImagePositionPatient (LPS, mm), the source image it references
    (SOP Instance UID and 1-based frame number, 0 when none) and its pixels unpacked to one byte each (0 or 1)
    into `pixels` (rows · columns bytes). Returns 1 on success, 0 when the frame lacks any of these. */
int ns_seg_frame(const ns_seg_file *file, size_t frame, uint16_t *segment_number, double position_lps[3],
                 char *source_instance_uid, size_t uid_capacity, uint32_t *source_frame_number,
                 uint8_t *pixels, size_t pixel_capacity);

#ifdef __cplusplus
}
#endif

#endif
