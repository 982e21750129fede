import CPNG
import Foundation

/// A PNG file that cannot be written or read; the message names the file.
public struct PNGError: Error, CustomStringConvertible {
    public let path: String
    public let problem: String
    public var description: String { "\(path): \(problem)" }
}

/// 8-bit PNG images through libpng: indexed colour (a label map whose pixel values are the labels) and RGB.
/// Pixels are row-major with the top row first.
public enum PNG {
    public enum Content: Equatable, Sendable {
        /// Palette indices, one byte per pixel.
        case indexed([UInt8])
        /// Red, green, blue bytes per pixel.
        case rgb([UInt8])
    }

    /// Writes an indexed-colour image atomically; `palette[i]` is the colour of pixel value `i`.
    public static func writeIndexed(width: Int, height: Int, pixels: [UInt8], palette: [SIMD3<UInt8>], to url: URL) throws {
        precondition(pixels.count == width * height, "pixel count does not match \(width)×\(height)")
        let flat = palette.flatMap { [$0.x, $0.y, $0.z] }
        try write(url) { path, message in
            ns_png_write_indexed(path, UInt32(width), UInt32(height), pixels, flat, Int32(palette.count), &message, message.count)
        }
    }

    /// Writes an RGB image atomically.
    public static func writeRGB(width: Int, height: Int, rgb: [UInt8], to url: URL) throws {
        precondition(rgb.count == width * height * 3, "byte count does not match \(width)×\(height) RGB")
        try write(url) { path, message in
            ns_png_write_rgb(path, UInt32(width), UInt32(height), rgb, &message, message.count)
        }
    }

    private static func write(_ url: URL, _ body: (String, inout [CChar]) -> Int32) throws {
        let temporary = AtomicFile.temporaryURL(for: url)
        var message = [CChar](repeating: 0, count: 256)
        guard body(temporary.path, &message) == 1 else {
            try? FileManager.default.removeItem(at: temporary)
            throw PNGError(path: url.path, problem: String(nulTerminated: message))
        }
        try AtomicFile.commit(temporary, to: url)
    }

    /// Reads an 8-bit indexed or RGB PNG without transforming its samples.
    public static func read(_ url: URL) throws -> (width: Int, height: Int, content: Content) {
        var width: UInt32 = 0, height: UInt32 = 0
        var colorType: Int32 = 0
        var samples: UnsafeMutablePointer<UInt8>?
        var count = 0
        var message = [CChar](repeating: 0, count: 256)
        guard ns_png_read(url.path, &width, &height, &colorType, &samples, &count, &message, message.count) == 1,
              let samples else {
            throw PNGError(path: url.path, problem: String(nulTerminated: message))
        }
        defer { ns_png_free(samples) }
        let bytes = Array(UnsafeBufferPointer(start: samples, count: count))
        switch colorType {
        case 3: return (Int(width), Int(height), .indexed(bytes))
        case 2: return (Int(width), Int(height), .rgb(bytes))
        default: throw PNGError(path: url.path, problem: "colour type \(colorType) is neither indexed nor RGB")
        }
    }
}
