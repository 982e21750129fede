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

#ifdef __cplusplus
}
#endif

#endif
