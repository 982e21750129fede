import Foundation

/// The safetensors format: an 8-byte little-endian header length, a JSON header naming each tensor's
/// dtype, shape and byte range, then the raw little-endian data. Writes F32; reads F32, F16 and BF16.
public enum Safetensors {
    /// Writes `tensors` (and optional string metadata) to `url`, atomically.
    public static func write(_ tensors: [String: Tensor], metadata: [String: String] = [:], to url: URL) throws {
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var offset = 0
        let names = tensors.keys.sorted()
        for name in names {
            let tensor = tensors[name]!
            header[name] = ["dtype": "F32", "shape": tensor.shape, "data_offsets": [offset, offset + 4 * tensor.count]] as [String: Any]
            offset += 4 * tensor.count
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        json.append(contentsOf: [UInt8](repeating: 0x20, count: (8 - json.count % 8) % 8))
        var data = Data(capacity: 8 + json.count + offset)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(json)
        for name in names {
            tensors[name]!.scalars.withUnsafeBufferPointer { values in
                for value in values { withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
            }
        }
        do {
            try data.write(to: url, options: .atomic)
        } catch {
            throw SafetensorsError(url, "cannot write: \(error.localizedDescription)")
        }
    }

    /// Reads every tensor and the metadata of `url`, converting F16 and BF16 to fp32.
    public static func read(from url: URL) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw SafetensorsError(url, "cannot read: \(error.localizedDescription)")
        }
        guard data.count >= 8 else { throw SafetensorsError(url, "shorter than the 8-byte header length") }
        let headerLength = data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard headerLength <= UInt64(data.count - 8) else {
            throw SafetensorsError(url, "header length \(headerLength) exceeds the file")
        }
        let start = data.startIndex + 8 + Int(headerLength)
        guard let header = try? JSONSerialization.jsonObject(with: data[(data.startIndex + 8)..<start]) as? [String: Any] else {
            throw SafetensorsError(url, "header is not a JSON object")
        }
        var tensors: [String: Tensor] = [:]
        var metadata: [String: String] = [:]
        for (name, entry) in header {
            if name == "__metadata__" {
                metadata = entry as? [String: String] ?? [:]
                continue
            }
            guard let entry = entry as? [String: Any], let dtype = entry["dtype"] as? String,
                  let shape = entry["shape"] as? [Int], let offsets = entry["data_offsets"] as? [Int], offsets.count == 2 else {
                throw SafetensorsError(url, "tensor '\(name)' has a malformed header entry")
            }
            let width: Int
            switch dtype {
            case "F32": width = 4
            case "F16", "BF16": width = 2
            default: throw SafetensorsError(url, "tensor '\(name)' has unsupported dtype \(dtype)")
            }
            let count = shape.reduce(1, *)
            guard shape.allSatisfy({ $0 >= 0 }), offsets[0] >= 0, offsets[1] - offsets[0] == count * width,
                  offsets[1] <= data.count - 8 - Int(headerLength) else {
                throw SafetensorsError(url, "tensor '\(name)' byte range \(offsets) does not fit shape \(shape) or the file")
            }
            let bytes = data[(start + offsets[0])..<(start + offsets[1])]
            let scalars: [Float] = bytes.withUnsafeBytes { raw in
                (0..<count).map { index in
                    switch dtype {
                    case "F32": return Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * index, as: UInt32.self)))
                    case "F16": return Float(Float16(bitPattern: UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * index, as: UInt16.self))))
                    default: return Float(bitPattern: UInt32(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * index, as: UInt16.self))) << 16)
                    }
                }
            }
            tensors[name] = Tensor(shape: shape, scalars: scalars)
        }
        return (tensors, metadata)
    }
}

/// A safetensors file that cannot be read or written, naming the file.
public struct SafetensorsError: Error, CustomStringConvertible {
    public let description: String
    init(_ url: URL, _ problem: String) { description = "\(url.path): \(problem)" }
}
