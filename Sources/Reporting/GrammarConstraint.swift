import LanguageModel

/// Constrained decoding of report drafts: a token may come next only if every line it completes is one of
/// `lines` (a section heading only after a blank line or at the start) and the line it leaves open is still
/// the beginning of one. Lines are compared as `ReportLanguage.lines` spells them: tokens by name, a "<" in
/// text never matching.
final class GrammarConstraint {
    private let lines: Set<[UInt8]>
    private let prefixes: Set<[UInt8]>
    /// The section headings among `lines` ("FINDINGS", …, as `FactChecker.isHeading` tells them).
    private let headings: Set<[UInt8]>
    /// Beginnings that only a section heading has: a line may not start one after a line with text.
    private let headingOnlyPrefixes: Set<[UInt8]>
    /// Each token's bytes as a line spells them.
    private let spelling: [[UInt8]]
    private let stop: Int32
    /// The open line after the first `consumed` generated tokens, and the last line they completed.
    private var open: [UInt8] = []
    private var previous: [UInt8]?
    private var consumed = 0

    init(lines: Set<String>, tokenizer: Tokenizer, stop: Int32) {
        let encoded = lines.map { Array($0.utf8) }
        self.lines = Set(encoded)
        func beginnings(of lines: [[UInt8]]) -> Set<[UInt8]> {
            Set(lines.flatMap { line in (0...line.count).map { Array(line[..<$0]) } })
        }
        prefixes = beginnings(of: encoded)
        let headings = Set(lines.filter(FactChecker.isHeading).map { Array($0.utf8) })
        self.headings = headings
        headingOnlyPrefixes = beginnings(of: Array(headings)).subtracting(beginnings(of: encoded.filter { !headings.contains($0) }))
        spelling = (0..<tokenizer.vocabularySize).map { id in
            let bytes = tokenizer.decodeBytes([Int32(id)])
            return tokenizer.special(of: Int32(id)) == nil ? bytes.map { $0 == UInt8(ascii: "<") ? 0xFF : $0 } : bytes
        }
        self.stop = stop
    }

    /// Whether `token` may follow `output` (the tokens generated so far, one step at a time).
    func allows(_ token: Int32, after output: [Int32]) -> Bool {
        precondition(output.count >= consumed, "one constraint per draft")
        while consumed < output.count {
            let step = Self.extend(open, by: spelling[Int(output[consumed])])
            (open, previous) = (step.open, step.completed.last ?? previous)
            consumed += 1
        }
        if token == stop { return open.isEmpty }
        let (completed, rest) = Self.extend(open, by: spelling[Int(token)])
        var before = previous
        for line in completed {
            guard lines.contains(line), !headings.contains(line) || (before?.isEmpty ?? true) else { return false }
            before = line
        }
        return prefixes.contains(rest) && !(headingOnlyPrefixes.contains(rest) && !(before?.isEmpty ?? true))
    }

    /// The lines that `bytes` completes after `open`, and the line it leaves open.
    private static func extend(_ open: [UInt8], by bytes: [UInt8]) -> (completed: [[UInt8]], open: [UInt8]) {
        var completed: [[UInt8]] = []
        var line = open
        for byte in bytes {
            if byte == UInt8(ascii: "\n") {
                completed.append(line)
                line = []
            } else {
                line.append(byte)
            }
        }
        return (completed, line)
    }
}
