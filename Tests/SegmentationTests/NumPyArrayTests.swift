import Foundation
import Segmentation
import Testing

struct NumPyArrayTests {
    /// A version-1 .npy file: magic, version, header length, space-padded header ending in a newline
    /// (data aligned to 64 bytes), then the raw values.
    static func npy(descr: String, fortran: Bool, shape: String, data: [UInt8]) -> Data {
        var header = "{'descr': '\(descr)', 'fortran_order': \(fortran ? "True" : "False"), 'shape': \(shape), }"
        while (10 + header.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.count & 0xFF), UInt8(header.count >> 8)]
        bytes += Array(header.utf8) + data
        return Data(bytes)
    }

    static func write(_ data: Data) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("neurospike-\(UUID().uuidString).npy")
        try data.write(to: url)
        return url
    }

    @Test func readsFloat64Matrix() throws {
        let values: [Double] = [7, 44.5, -1, 0.25, 1e10, 3]
        let url = try Self.write(Self.npy(descr: "<f8", fortran: false, shape: "(2, 3)",
                                          data: values.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) }))
        defer { try? FileManager.default.removeItem(at: url) }
        let array = try NumPyArray.read(url)
        #expect(array.shape == [2, 3])
        #expect(array.values == values)
    }

    @Test func readsFortranOrderIntegersInCOrder() throws {
        // C-order [[1, 2, 3], [4, 5, 6]] stored column by column.
        let stored: [Int64] = [1, 4, 2, 5, 3, 6]
        let url = try Self.write(Self.npy(descr: "<i8", fortran: true, shape: "(2, 3)",
                                          data: stored.flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) }))
        defer { try? FileManager.default.removeItem(at: url) }
        let array = try NumPyArray.read(url)
        #expect(try array.integers(path: url.path) == [1, 2, 3, 4, 5, 6])
    }

    @Test func readsOneDimensionalInt32() throws {
        let stored: [Int32] = [0, 14, -15, 530]
        let url = try Self.write(Self.npy(descr: "<i4", fortran: false, shape: "(4,)",
                                          data: stored.flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) }))
        defer { try? FileManager.default.removeItem(at: url) }
        #expect(try NumPyArray.read(url) == NumPyArray(shape: [4], values: [0, 14, -15, 530]))
    }

    @Test func rejectsBadInput() throws {
        let notNumPy = try Self.write(Data("hello, world".utf8))
        let truncated = try Self.write(Self.npy(descr: "<f8", fortran: false, shape: "(3,)", data: [0, 0, 0, 0]))
        let bigEndian = try Self.write(Self.npy(descr: ">f8", fortran: false, shape: "(1,)", data: Array(repeating: 0, count: 8)))
        defer { [notNumPy, truncated, bigEndian].forEach { try? FileManager.default.removeItem(at: $0) } }
        for url in [notNumPy, truncated, bigEndian] {
            #expect(throws: NumPyError.self) { try NumPyArray.read(url) }
        }
    }
}
