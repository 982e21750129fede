import Foundation

/// A `.npy` file that cannot be read; the message names the file and the problem.
public struct NumPyError: Error, CustomStringConvertible {
    public let path: String
    public let problem: String
    public var description: String { "\(path): \(problem)" }
}

/// A numeric array read from NumPy's `.npy` format (versions 1–3): the magic `\x93NUMPY`, a version,
/// a little-endian header length, a Python-dict header (`descr`, `fortran_order`, `shape`), then raw data.
/// Values are held as Double in C order (last index fastest), which is exact for the small label and
/// prior arrays this reads (integers up to 2⁵³).
public struct NumPyArray: Sendable, Equatable {
    public let shape: [Int]
    public let values: [Double]

    public init(shape: [Int], values: [Double]) {
        precondition(shape.reduce(1, *) == values.count, "\(values.count) values do not fill shape \(shape)")
        self.shape = shape
        self.values = values
    }

    public static func read(_ url: URL) throws -> NumPyArray {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw NumPyError(path: url.path, problem: "cannot read: \(error.localizedDescription)")
        }
        return try parse(data, path: url.path)
    }

    /// The values as integers; throws when one is not a whole number.
    public func integers(path: String) throws -> [Int] {
        try values.map { value in
            guard value == value.rounded(), abs(value) < 9e15 else {
                throw NumPyError(path: path, problem: "value \(value) is not an integer")
            }
            return Int(value)
        }
    }

    static func parse(_ data: Data, path: String) throws -> NumPyArray {
        let bytes = [UInt8](data)
        func fail(_ problem: String) -> NumPyError { NumPyError(path: path, problem: problem) }
        guard bytes.count >= 10, bytes[0..<6] == [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59] else {
            throw fail("not a .npy file (no \\x93NUMPY magic)")
        }
        let major = bytes[6]
        let (headerLength, headerStart): (Int, Int)
        switch major {
        case 1: (headerLength, headerStart) = (Int(bytes[8]) | Int(bytes[9]) << 8, 10)
        case 2, 3:
            guard bytes.count >= 12 else { throw fail("truncated header") }
            headerLength = (0..<4).reduce(0) { $0 | Int(bytes[8 + $1]) << (8 * $1) }
            headerStart = 12
        default: throw fail("unsupported .npy version \(major)")
        }
        guard headerStart + headerLength <= bytes.count,
              let header = String(bytes: bytes[headerStart..<(headerStart + headerLength)], encoding: major == 3 ? .utf8 : .isoLatin1)
        else { throw fail("truncated header") }
        let fields = try Header(header, fail: fail)
        let count = fields.shape.reduce(1, *)
        let start = headerStart + headerLength
        guard bytes.count - start >= count * fields.elementSize else {
            throw fail("data holds \(bytes.count - start) bytes, shape \(fields.shape) of \(fields.descr) needs \(count * fields.elementSize)")
        }
        var values = (0..<count).map { fields.decode(bytes, at: start + $0 * fields.elementSize) }
        if fields.fortranOrder && fields.shape.count > 1 {
            values = cOrder(fromFortran: values, shape: fields.shape)
        }
        return NumPyArray(shape: fields.shape, values: values)
    }

    private static func cOrder(fromFortran values: [Double], shape: [Int]) -> [Double] {
        var out = [Double](repeating: 0, count: values.count)
        var index = [Int](repeating: 0, count: shape.count)
        for n in 0..<values.count {
            var fortran = 0, stride = 1
            for axis in 0..<shape.count {
                fortran += index[axis] * stride
                stride *= shape[axis]
            }
            out[n] = values[fortran]
            var axis = shape.count - 1
            while axis >= 0 {
                index[axis] += 1
                if index[axis] < shape[axis] { break }
                index[axis] = 0
                axis -= 1
            }
        }
        return out
    }
}

/// The fields of a `.npy` header dict, e.g. `{'descr': '<f8', 'fortran_order': False, 'shape': (2, 25), }`.
private struct Header {
    let descr: String
    let fortranOrder: Bool
    let shape: [Int]
    let elementSize: Int

    init(_ text: String, fail: (String) -> NumPyError) throws {
        func value(_ key: String) -> Substring? {
            guard let keyRange = text.range(of: "'\(key)':") else { return nil }
            return text[keyRange.upperBound...].drop { $0 == " " }
        }
        guard let descrText = value("descr"), descrText.first == "'",
              let descrEnd = descrText.dropFirst().firstIndex(of: "'") else { throw fail("header lacks 'descr'") }
        descr = String(descrText[descrText.index(after: descrText.startIndex)..<descrEnd])
        guard let order = value("fortran_order") else { throw fail("header lacks 'fortran_order'") }
        fortranOrder = order.hasPrefix("True")
        guard let shapeText = value("shape"), shapeText.first == "(", let close = shapeText.firstIndex(of: ")") else {
            throw fail("header lacks 'shape'")
        }
        let parts = shapeText[shapeText.index(after: shapeText.startIndex)..<close].split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        shape = try parts.map { part in
            guard let size = Int(part), size >= 0 else { throw fail("bad shape entry '\(part)'") }
            return size
        }
        let supported = ["|u1", "|i1", "<u2", "<i2", "<u4", "<i4", "<u8", "<i8", "<f4", "<f8", "|b1", "<u1", "<i1"]
        guard supported.contains(descr), let size = Int(descr.dropFirst(2)) else {
            throw fail("unsupported dtype '\(descr)' (little-endian integers, bool and float32/64 are read)")
        }
        elementSize = size
    }

    func decode(_ bytes: [UInt8], at offset: Int) -> Double {
        var raw: UInt64 = 0
        for n in 0..<elementSize { raw |= UInt64(bytes[offset + n]) << (8 * n) }
        switch descr.dropFirst() {
        case "f4": return Double(Float(bitPattern: UInt32(raw)))
        case "f8": return Double(bitPattern: raw)
        case "i1": return Double(Int8(truncatingIfNeeded: raw))
        case "i2": return Double(Int16(truncatingIfNeeded: raw))
        case "i4": return Double(Int32(truncatingIfNeeded: raw))
        case "i8": return Double(Int64(bitPattern: raw))
        default: return Double(raw)
        }
    }
}
