import Foundation

/// Reader for the Siemens CSA header (private element (0029,1010)), which holds mosaic facts that no
/// public tag carries: the slice count of older mosaics and the direction in which the tiles advance.
///
/// Format "SV10": 8-byte signature, then tag count (uint32), a spare uint32, and per tag: a 64-byte name,
/// VM, a 4-byte VR, syngo type, item count, a spare word; each item has four uint32 of which the second
/// is its length, then the value text padded to 4 bytes. All little-endian.
struct SiemensCSAHeader {
    private(set) var values: [String: [String]] = [:]

    init?(_ bytes: [UInt8]) {
        guard bytes.count > 16, bytes[0] == 0x53, bytes[1] == 0x56, bytes[2] == 0x31, bytes[3] == 0x30 else { return nil }
        var offset = 8
        func uint32() -> Int? {
            guard offset + 4 <= bytes.count else { return nil }
            defer { offset += 4 }
            return Int(bytes[offset]) | Int(bytes[offset + 1]) << 8 | Int(bytes[offset + 2]) << 16 | Int(bytes[offset + 3]) << 24
        }
        guard let tagCount = uint32(), tagCount <= 1000, uint32() != nil else { return nil }
        for _ in 0..<tagCount {
            guard offset + 84 <= bytes.count else { return nil }
            let name = String(decoding: bytes[offset..<(offset + 64)].prefix { $0 != 0 }, as: UTF8.self)
            offset += 64 + 4 + 4 + 4
            guard let itemCount = uint32(), itemCount <= 10_000, uint32() != nil else { return nil }
            var items: [String] = []
            for _ in 0..<itemCount {
                guard uint32() != nil, let itemLength = uint32(), uint32() != nil, uint32() != nil,
                      itemLength >= 0, offset + itemLength <= bytes.count else { return nil }
                let text = String(decoding: bytes[offset..<(offset + itemLength)].prefix { $0 != 0 }, as: UTF8.self)
                items.append(text.trimmingCharacters(in: .whitespaces))
                offset += (itemLength + 3) / 4 * 4
            }
            values[name] = items
        }
    }

    func numbers(_ name: String) -> [Double] {
        (values[name] ?? []).compactMap { Double($0) }
    }
}
