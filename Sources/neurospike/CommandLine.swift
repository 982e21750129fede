import Foundation

/// Process exit codes of the contract in DESIGN.md.
enum ExitCode: Int32 {
    /// Everything requested was done.
    case success = 0
    /// Some inputs failed; the rest were done.
    case someFailed = 1
    /// Usage error, or nothing could be done.
    case usage = 2
}

/// A usage mistake: printed as one line with the command's name, exit code 2.
struct UsageError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}

/// One `neurospike` subcommand (or one benchmark of `bench`): its names, help and entry point.
struct Command: Sendable {
    let name: String
    /// One line for the command list.
    let summary: String
    /// The full `--help` text.
    let help: String
    /// A command with subcommands passes `--help` on to them.
    var dispatchesHelp = false
    let run: @Sendable (inout Arguments) throws -> ExitCode
}

/// Command-line arguments of one command: options (`--out DIR`), flags (`--force`) and positionals.
///
/// Commands take what they know; `finish()` rejects anything left over, so a typo is an error.
struct Arguments {
    private var tokens: [String]
    private var consumed: [Bool]

    init(_ tokens: [String]) {
        self.tokens = tokens
        consumed = Array(repeating: false, count: tokens.count)
    }

    var wantsHelp: Bool { tokens.contains("--help") || tokens.contains("-h") }

    /// True when `--name` is present.
    mutating func flag(_ name: String) -> Bool {
        guard let index = tokens.indices.first(where: { !consumed[$0] && tokens[$0] == name }) else { return false }
        consumed[index] = true
        return true
    }

    /// The value of `--name VALUE` or `--name=VALUE`, if given.
    mutating func option(_ name: String) throws -> String? {
        for index in tokens.indices where !consumed[index] {
            let token = tokens[index]
            if token == name {
                guard index + 1 < tokens.count, !consumed[index + 1] else {
                    throw UsageError("\(name) needs a value")
                }
                consumed[index] = true
                consumed[index + 1] = true
                return tokens[index + 1]
            }
            if token.hasPrefix(name + "=") {
                consumed[index] = true
                return String(token.dropFirst(name.count + 1))
            }
        }
        return nil
    }

    /// An integer option with a lower bound.
    mutating func intOption(_ name: String, default value: Int, minimum: Int = 1) throws -> Int {
        guard let text = try option(name) else { return value }
        guard let parsed = Int(text), parsed >= minimum else {
            throw UsageError("\(name) expects an integer ≥ \(minimum), got '\(text)'")
        }
        return parsed
    }

    /// Takes every argument not yet consumed, as given (for a command that hands them to a subcommand).
    mutating func takeRemaining() -> [String] {
        let rest = tokens.indices.filter { !consumed[$0] }.map { tokens[$0] }
        consumed = Array(repeating: true, count: tokens.count)
        return rest
    }

    /// Every remaining argument that is not an option; call after all options and flags were taken.
    mutating func positionals() throws -> [String] {
        var result: [String] = []
        for index in tokens.indices where !consumed[index] {
            let token = tokens[index]
            if token.hasPrefix("--") && token.count > 2 { throw UsageError("unknown option \(token)") }
            consumed[index] = true
            result.append(token)
        }
        return result
    }
}

/// Writes one line to standard error.
func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}
