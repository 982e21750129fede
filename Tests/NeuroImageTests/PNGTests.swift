import Foundation
import NeuroImage
import Testing

struct PNGTests {
    private func scratch(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("neurospike-\(UUID().uuidString)-\(name)")
    }

    @Test func indexedImageKeepsLabelValuesAsPixelIndices() throws {
        let url = scratch("labels.png")
        defer { try? FileManager.default.removeItem(at: url) }
        let pixels: [UInt8] = [0, 2, 3, 41, 42, 60, 17, 53, 0, 0, 24, 16]
        let palette = (0..<61).map { SIMD3<UInt8>(UInt8($0 * 4), UInt8(255 - $0 * 4), 7) }
        try PNG.writeIndexed(width: 4, height: 3, pixels: pixels, palette: palette, to: url)
        let read = try PNG.read(url)
        #expect(read.width == 4 && read.height == 3)
        #expect(read.content == .indexed(pixels))
    }

    @Test func rgbImageRoundTrips() throws {
        let url = scratch("overlay.png")
        defer { try? FileManager.default.removeItem(at: url) }
        let rgb = (0..<(5 * 2 * 3)).map { UInt8($0 * 8) }
        try PNG.writeRGB(width: 5, height: 2, rgb: rgb, to: url)
        #expect(try PNG.read(url).content == .rgb(rgb))
    }

    @Test func unwritableFolderGivesAnErrorNamingTheFile() {
        let url = URL(fileURLWithPath: "/nonexistent-folder-\(UUID().uuidString)/x.png")
        #expect {
            try PNG.writeRGB(width: 1, height: 1, rgb: [1, 2, 3], to: url)
        } throws: { error in
            (error as? PNGError)?.path == url.path
        }
    }

    @Test func notAPNGIsRejected() throws {
        let url = scratch("junk.png")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data("not a png".utf8).write(to: url)
        #expect(throws: PNGError.self) { try PNG.read(url) }
    }
}
