import Foundation

/// A byte-level BPE tokenizer with reserved special tokens.
///
/// Ids `0..<256` are the bytes, then the special tokens (slots and prompt features, never produced from
/// text), then one id per learned merge in rank order. Text is first cut into chunks (an optional space
/// followed by a run of letters and bytes ≥ 0x80, or any other single byte); merges never cross a chunk,
/// so encoding is a per-chunk lookup after the first time a chunk is seen.
public final class Tokenizer: @unchecked Sendable {
    public enum Piece: Equatable, Sendable {
        case text(String)
        case special(String)
    }

    public let specials: [String]
    public let merges: [(Int32, Int32)]
    private let specialIds: [String: Int32]
    private let mergeRank: [UInt64: Int32]
    private let bytesOfToken: [[UInt8]]
    private var cache: [[UInt8]: [Int32]] = [:]
    private let lock = NSLock()

    public var vocabularySize: Int { bytesOfToken.count }
    public var firstMergeId: Int32 { Int32(256 + specials.count) }

    public init(specials: [String], merges: [(Int32, Int32)]) {
        self.specials = specials
        self.merges = merges
        specialIds = Dictionary(uniqueKeysWithValues: specials.enumerated().map { ($1, Int32(256 + $0)) })
        var rank: [UInt64: Int32] = [:]
        var bytes: [[UInt8]] = (0..<256).map { [UInt8($0)] } + specials.map { Array($0.utf8) }
        for (index, pair) in merges.enumerated() {
            precondition(Int(pair.0) < bytes.count && Int(pair.1) < bytes.count, "merge \(index) refers to a later token")
            rank[Self.key(pair.0, pair.1)] = Int32(index)
            bytes.append(bytes[Int(pair.0)] + bytes[Int(pair.1)])
        }
        mergeRank = rank
        bytesOfToken = bytes
    }

    private static func key(_ a: Int32, _ b: Int32) -> UInt64 { UInt64(UInt32(a)) << 32 | UInt64(UInt32(b)) }

    public func id(ofSpecial name: String) -> Int32? { specialIds[name] }

    public func special(of id: Int32) -> String? {
        let index = Int(id) - 256
        return index >= 0 && index < specials.count ? specials[index] : nil
    }

    /// Token ids of arbitrary bytes (specials are never produced from bytes).
    public func encode(bytes: [UInt8]) -> [Int32] {
        var ids: [Int32] = []
        for chunk in Self.chunks(bytes) {
            lock.lock()
            let known = cache[chunk]
            lock.unlock()
            if let known {
                ids += known
                continue
            }
            let encoded = mergeChunk(chunk)
            lock.lock()
            cache[chunk] = encoded
            lock.unlock()
            ids += encoded
        }
        return ids
    }

    public func encode(_ pieces: [Piece]) -> [Int32] {
        pieces.flatMap { piece -> [Int32] in
            switch piece {
            case .text(let text): return encode(bytes: Array(text.utf8))
            case .special(let name):
                guard let id = specialIds[name] else { preconditionFailure("unknown special token \(name)") }
                return [id]
            }
        }
    }

    /// The bytes of `ids`, specials spelled as their names.
    public func decodeBytes(_ ids: [Int32]) -> [UInt8] { ids.flatMap { bytesOfToken[Int($0)] } }

    /// Text runs and specials of `ids`, adjacent text joined.
    public func decode(_ ids: [Int32]) -> [Piece] {
        var pieces: [Piece] = []
        var run: [UInt8] = []
        for id in ids {
            if let name = special(of: id) {
                if !run.isEmpty { pieces.append(.text(String(decoding: run, as: UTF8.self))) }
                run = []
                pieces.append(.special(name))
            } else {
                run += bytesOfToken[Int(id)]
            }
        }
        if !run.isEmpty { pieces.append(.text(String(decoding: run, as: UTF8.self))) }
        return pieces
    }

    private func mergeChunk(_ chunk: [UInt8]) -> [Int32] {
        var symbols = chunk.map { Int32($0) }
        while symbols.count > 1 {
            var best: (rank: Int32, index: Int)?
            for index in 0..<(symbols.count - 1) {
                if let rank = mergeRank[Self.key(symbols[index], symbols[index + 1])], rank < (best?.rank ?? .max) {
                    best = (rank, index)
                }
            }
            guard let best else { break }
            symbols = Self.replacing(merges[Int(best.rank)], with: firstMergeId + best.rank, in: symbols)
        }
        return symbols
    }

    /// `symbols` with every non-overlapping occurrence of `pair` (left to right) replaced by `merged`.
    static func replacing(_ pair: (Int32, Int32), with merged: Int32, in symbols: [Int32]) -> [Int32] {
        var output: [Int32] = []
        output.reserveCapacity(symbols.count)
        var index = 0
        while index < symbols.count {
            if index + 1 < symbols.count && symbols[index] == pair.0 && symbols[index + 1] == pair.1 {
                output.append(merged)
                index += 2
            } else {
                output.append(symbols[index])
                index += 1
            }
        }
        return output
    }

    static func isWordByte(_ byte: UInt8) -> Bool {
        (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A) || byte >= 0x80
    }

    /// Cuts bytes into merge domains: an optional space plus a run of word bytes, or one other byte.
    static func chunks(_ bytes: [UInt8]) -> [[UInt8]] {
        var chunks: [[UInt8]] = []
        var index = 0
        while index < bytes.count {
            var end = index
            if bytes[end] == 0x20 && end + 1 < bytes.count && isWordByte(bytes[end + 1]) { end += 1 }
            if isWordByte(bytes[end]) {
                while end < bytes.count && isWordByte(bytes[end]) { end += 1 }
            } else {
                end += 1
            }
            chunks.append(Array(bytes[index..<end]))
            index = end
        }
        return chunks
    }

    /// Learns `mergeCount` merges from `texts` (most frequent adjacent pair first; ties to the smaller ids).
    public static func train(texts: [String], specials: [String], mergeCount: Int) -> Tokenizer {
        var frequency: [[UInt8]: Int] = [:]
        for text in texts { for chunk in chunks(Array(text.utf8)) { frequency[chunk, default: 0] += 1 } }
        var words = frequency.map { (symbols: $0.key.map { Int32($0) }, count: $0.value) }
        var merges: [(Int32, Int32)] = []
        let first = Int32(256 + specials.count)
        for rank in 0..<mergeCount {
            var pairs: [UInt64: Int] = [:]
            for word in words where word.symbols.count > 1 {
                for index in 0..<(word.symbols.count - 1) { pairs[key(word.symbols[index], word.symbols[index + 1]), default: 0] += word.count }
            }
            guard let best = pairs.max(by: { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }), best.value > 1 else { break }
            let pair = (Int32(truncatingIfNeeded: best.key >> 32), Int32(truncatingIfNeeded: best.key & 0xFFFF_FFFF))
            merges.append(pair)
            let merged = first + Int32(rank)
            for w in words.indices where words[w].symbols.count > 1 {
                words[w].symbols = replacing(pair, with: merged, in: words[w].symbols)
            }
        }
        return Tokenizer(specials: specials, merges: merges)
    }

    struct Stored: Codable {
        var specials: [String]
        var merges: [[Int32]]
    }

    public func write(to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try encoder.encode(Stored(specials: specials, merges: merges.map { [$0.0, $0.1] })).write(to: url, options: .atomic)
    }

    public static func load(from url: URL) throws -> Tokenizer {
        let stored = try JSONDecoder().decode(Stored.self, from: Data(contentsOf: url))
        let limit = Int32(256 + stored.specials.count)
        var merges: [(Int32, Int32)] = []
        for (index, pair) in stored.merges.enumerated() {
            guard pair.count == 2, pair.allSatisfy({ $0 >= 0 && $0 < limit + Int32(index) }) else {
                throw TokenizerError(description: "\(url.lastPathComponent): merge \(index) is malformed")
            }
            merges.append((pair[0], pair[1]))
        }
        return Tokenizer(specials: stored.specials, merges: merges)
    }
}

public struct TokenizerError: Error, CustomStringConvertible {
    public let description: String
}
