#include "CDCMTK.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dctk.h>
#include <dcmtk/dcmdata/dcrledrg.h>
#include <dcmtk/dcmjpeg/djdecode.h>
#include <dcmtk/dcmjpls/djdecode.h>
#include <dcmtk/oflog/oflog.h>

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>

struct ns_dcm_file {
    DcmFileFormat format;
    /// Index of the next fragment to start from when frames are decoded in order (DCMTK's hint).
    Uint32 nextFragment = 0;
    unsigned long nextFrame = 0;
};

namespace {

DcmItem *asItem(const ns_dcm_item *item) {
    return reinterpret_cast<DcmItem *>(const_cast<ns_dcm_item *>(item));
}

const ns_dcm_item *asHandle(DcmItem *item) {
    return reinterpret_cast<const ns_dcm_item *>(item);
}

void copyMessage(const std::string &message, char *buffer, size_t capacity) {
    if (buffer == nullptr || capacity == 0) return;
    size_t length = message.size() < capacity - 1 ? message.size() : capacity - 1;
    std::memcpy(buffer, message.data(), length);
    buffer[length] = '\0';
}

DcmElement *findElement(const ns_dcm_item *item, uint16_t group, uint16_t element) {
    if (item == nullptr) return nullptr;
    DcmElement *found = nullptr;
    if (asItem(item)->findAndGetElement(DcmTagKey(group, element), found, OFFalse).bad()) return nullptr;
    return found;
}

}  // namespace

void ns_dcm_initialize(void) {
    static std::once_flag once;
    std::call_once(once, [] {
        OFLog::configure(OFLogger::FATAL_LOG_LEVEL);
        DcmRLEDecoderRegistration::registerCodecs();
        DJDecoderRegistration::registerCodecs();
        DJLSDecoderRegistration::registerCodecs();
    });
}

ns_dcm_file *ns_dcm_open(const char *path, char *error, size_t error_capacity) {
    ns_dcm_file *file = new ns_dcm_file();
    OFCondition status = file->format.loadFile(OFFilename(path), EXS_Unknown, EGL_noChange, 4096, ERM_autoDetect);
    if (status.bad()) {
        copyMessage(status.text(), error, error_capacity);
        delete file;
        return nullptr;
    }
    return file;
}

void ns_dcm_close(ns_dcm_file *file) { delete file; }

const ns_dcm_item *ns_dcm_dataset(const ns_dcm_file *file) {
    return asHandle(const_cast<ns_dcm_file *>(file)->format.getDataset());
}

const ns_dcm_item *ns_dcm_meta(const ns_dcm_file *file) {
    return asHandle(const_cast<ns_dcm_file *>(file)->format.getMetaInfo());
}

int ns_dcm_has(const ns_dcm_item *item, uint16_t group, uint16_t element) {
    return findElement(item, group, element) != nullptr ? 1 : 0;
}

long ns_dcm_string(const ns_dcm_item *item, uint16_t group, uint16_t element, char *buffer, size_t capacity) {
    DcmElement *found = findElement(item, group, element);
    if (found == nullptr || found->isaString() == OFFalse) return -1;
    OFString value;
    if (found->getOFStringArray(value).bad()) return -1;
    size_t end = value.find_last_not_of(" \0", OFString_npos, 2);
    std::string text = end == OFString_npos ? std::string() : std::string(value.c_str(), end + 1);
    copyMessage(text, buffer, capacity);
    return static_cast<long>(text.size());
}

int ns_dcm_number(const ns_dcm_item *item, uint16_t group, uint16_t element, unsigned long index, double *value) {
    DcmElement *found = findElement(item, group, element);
    if (found == nullptr || index >= found->getVM()) return 0;
    switch (found->ident()) {
    case EVR_FD: case EVR_OD: {
        Float64 v; if (found->getFloat64(v, index).bad()) return 0; *value = v; return 1;
    }
    case EVR_FL: case EVR_OF: {
        Float32 v; if (found->getFloat32(v, index).bad()) return 0; *value = v; return 1;
    }
    case EVR_US: {
        Uint16 v; if (found->getUint16(v, index).bad()) return 0; *value = v; return 1;
    }
    case EVR_SS: {
        Sint16 v; if (found->getSint16(v, index).bad()) return 0; *value = v; return 1;
    }
    case EVR_UL: {
        Uint32 v; if (found->getUint32(v, index).bad()) return 0; *value = v; return 1;
    }
    case EVR_SL: {
        Sint32 v; if (found->getSint32(v, index).bad()) return 0; *value = v; return 1;
    }
    default: break;
    }
    if (found->isaString() == OFFalse) return 0;
    OFString text;
    if (found->getOFString(text, index).bad()) return 0;
    const char *start = text.c_str();
    char *end = nullptr;
    double parsed = std::strtod(start, &end);
    if (end == start) return 0;
    *value = parsed;
    return 1;
}

unsigned long ns_dcm_value_count(const ns_dcm_item *item, uint16_t group, uint16_t element) {
    DcmElement *found = findElement(item, group, element);
    return found == nullptr ? 0 : found->getVM();
}

long ns_dcm_bytes(const ns_dcm_item *item, uint16_t group, uint16_t element, void *buffer, size_t capacity) {
    DcmElement *found = findElement(item, group, element);
    if (found == nullptr) return -1;
    Uint8 *bytes = nullptr;
    if (found->getUint8Array(bytes).bad() || bytes == nullptr) return -1;
    size_t length = found->getLength();
    std::memcpy(buffer, bytes, length < capacity ? length : capacity);
    return static_cast<long>(length);
}

unsigned long ns_dcm_sequence_count(const ns_dcm_item *item, uint16_t group, uint16_t element) {
    if (item == nullptr) return 0;
    DcmSequenceOfItems *sequence = nullptr;
    if (asItem(item)->findAndGetSequence(DcmTagKey(group, element), sequence, OFFalse).bad() || sequence == nullptr) return 0;
    return sequence->card();
}

const ns_dcm_item *ns_dcm_sequence_item(const ns_dcm_item *item, uint16_t group, uint16_t element, unsigned long index) {
    if (item == nullptr) return nullptr;
    DcmItem *found = nullptr;
    if (asItem(item)->findAndGetSequenceItem(DcmTagKey(group, element), found, static_cast<signed long>(index), OFFalse).bad()) {
        return nullptr;
    }
    return asHandle(found);
}

namespace {

DcmPixelData *pixelData(ns_dcm_file *file) {
    DcmElement *element = nullptr;
    if (file->format.getDataset()->findAndGetElement(DCM_PixelData, element, OFFalse).bad()) return nullptr;
    return dynamic_cast<DcmPixelData *>(element);
}

}  // namespace

size_t ns_dcm_frame_bytes(ns_dcm_file *file) {
    DcmPixelData *pixels = pixelData(file);
    if (pixels == nullptr) return 0;
    Uint32 size = 0;
    if (pixels->getUncompressedFrameSize(file->format.getDataset(), size).bad()) return 0;
    return size;
}

int ns_dcm_decode_frame(ns_dcm_file *file, unsigned long frame, void *buffer, size_t buffer_bytes,
                        char *error, size_t error_capacity) {
    DcmPixelData *pixels = pixelData(file);
    if (pixels == nullptr) {
        copyMessage("no pixel data", error, error_capacity);
        return 0;
    }
    if (frame != file->nextFrame) file->nextFragment = 0;
    OFString colorModel;
    Uint32 fragment = file->nextFragment;
    OFCondition status = pixels->getUncompressedFrame(file->format.getDataset(), static_cast<Uint32>(frame), fragment,
                                                      buffer, static_cast<Uint32>(buffer_bytes), colorModel);
    if (status.bad()) {
        file->nextFragment = 0;
        copyMessage(status.text(), error, error_capacity);
        return 0;
    }
    file->nextFragment = fragment;
    file->nextFrame = frame + 1;
    return 1;
}
