import CDCMTK
import Foundation
import NeuroImage

/// A DICOM data element tag (group, element).
public struct Tag: Hashable, Sendable, CustomStringConvertible {
    public let group: UInt16
    public let element: UInt16

    public init(_ group: UInt16, _ element: UInt16) {
        self.group = group
        self.element = element
    }

    public var description: String {
        "(" + String(group, radix: 16).leftPadded(4) + "," + String(element, radix: 16).leftPadded(4) + ")"
    }
}

private extension String {
    func leftPadded(_ width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}

/// A DICOM file that DCMTK could not read; `problem` is DCMTK's reason.
struct DICOMReadError: Error {
    let problem: String
}

/// An open DICOM file. Owns DCMTK's `DcmFileFormat`; pixel data is read from disk only when decoded.
/// One instance is used by one thread at a time.
final class DICOMFile {
    let url: URL
    private let handle: OpaquePointer

    init(url: URL) throws {
        ns_dcm_initialize()
        var message = [CChar](repeating: 0, count: 512)
        guard let handle = ns_dcm_open(url.path, &message, message.count) else {
            throw DICOMReadError(problem: String(nulTerminated: message))
        }
        self.url = url
        self.handle = handle
    }

    deinit { ns_dcm_close(handle) }

    var dataset: DICOMItem { DICOMItem(pointer: ns_dcm_dataset(handle), file: self) }
    var meta: DICOMItem { DICOMItem(pointer: ns_dcm_meta(handle), file: self) }

    /// Bytes of one decoded frame (0 when the file has no usable pixel data).
    var frameBytes: Int { ns_dcm_frame_bytes(handle) }

    /// Decodes one frame (0-based) into `buffer` as raw stored words in host byte order.
    func decodeFrame(_ frame: Int, into buffer: UnsafeMutableRawBufferPointer) throws {
        var message = [CChar](repeating: 0, count: 512)
        guard ns_dcm_decode_frame(handle, UInt(frame), buffer.baseAddress, buffer.count, &message, message.count) == 1 else {
            throw DICOMReadError(problem: String(nulTerminated: message))
        }
    }
}

/// A dataset or sequence item of an open file. Keeps its file alive.
struct DICOMItem {
    fileprivate let pointer: OpaquePointer?
    fileprivate let file: DICOMFile

    func has(_ tag: Tag) -> Bool { ns_dcm_has(pointer, tag.group, tag.element) == 1 }

    /// The whole value as text (values joined by backslashes), or nil when absent or empty.
    func string(_ tag: Tag) -> String? {
        var buffer = [CChar](repeating: 0, count: 256)
        var length = ns_dcm_string(pointer, tag.group, tag.element, &buffer, buffer.count)
        if length >= buffer.count {
            buffer = [CChar](repeating: 0, count: length + 1)
            length = ns_dcm_string(pointer, tag.group, tag.element, &buffer, buffer.count)
        }
        guard length > 0 else { return nil }
        let text = String(nulTerminated: buffer).trimmingCharacters(in: .whitespaces)
        return text.isEmpty ? nil : text
    }

    /// The values of a multi-valued text element.
    func strings(_ tag: Tag) -> [String] {
        string(tag)?.split(separator: "\\", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) } ?? []
    }

    func number(_ tag: Tag, index: Int = 0) -> Double? {
        var value = 0.0
        guard ns_dcm_number(pointer, tag.group, tag.element, UInt(index), &value) == 1, value.isFinite else { return nil }
        return value
    }

    func integer(_ tag: Tag) -> Int? {
        guard let value = number(tag), abs(value) < 1e15 else { return nil }
        return Int(value.rounded())
    }

    /// All values of a numeric element; nil when absent or when any value is not a number.
    func numbers(_ tag: Tag) -> [Double]? {
        let count = Int(ns_dcm_value_count(pointer, tag.group, tag.element))
        guard count > 0 else { return nil }
        var values: [Double] = []
        for index in 0..<count {
            guard let value = number(tag, index: index) else { return nil }
            values.append(value)
        }
        return values
    }

    func bytes(_ tag: Tag) -> [UInt8]? {
        let length = ns_dcm_bytes(pointer, tag.group, tag.element, nil, 0)
        guard length > 0 else { return nil }
        var bytes = [UInt8](repeating: 0, count: length)
        _ = ns_dcm_bytes(pointer, tag.group, tag.element, &bytes, bytes.count)
        return bytes
    }

    func sequence(_ tag: Tag) -> [DICOMItem] {
        let count = ns_dcm_sequence_count(pointer, tag.group, tag.element)
        return (0..<count).compactMap { index in
            ns_dcm_sequence_item(pointer, tag.group, tag.element, index).map { DICOMItem(pointer: $0, file: file) }
        }
    }

    /// The first item of a sequence, if any.
    func item(_ tag: Tag) -> DICOMItem? { sequence(tag).first }
}
