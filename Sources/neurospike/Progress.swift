import Foundation

/// Progress of a batch. When standard error is a terminal: one line there, redrawn in place every second
/// (items done/total, the items in work, elapsed time, estimated time left). Otherwise: one plain line per
/// finished item on standard output, for logs. Safe to call from several jobs at once.
final class Progress: @unchecked Sendable {
    private let lock = NSLock()
    private let total: Int
    private let interactive = isatty(STDERR_FILENO) == 1
    private let start = Date()
    private var done = 0
    private var running: [String] = []
    private var timer: DispatchSourceTimer?

    init(total: Int) {
        self.total = total
        guard interactive, total > 0 else { return }
        let timer = DispatchSource.makeTimerSource(queue: .global())
        timer.schedule(deadline: .now() + 1, repeating: 1)
        timer.setEventHandler { [weak self] in self?.redraw() }
        timer.resume()
        self.timer = timer
    }

    func started(_ name: String) {
        lock.withLock {
            running.append(name)
            draw()
        }
    }

    /// `outcome` says what became of the item, e.g. "done in 3.1 s".
    func finished(_ name: String, _ outcome: String) {
        lock.withLock {
            done += 1
            if let index = running.firstIndex(of: name) { running.remove(at: index) }
            if interactive {
                draw()
            } else {
                print("[\(done)/\(total)] \(name): \(outcome)")
                fflush(nil)
            }
        }
    }

    /// Writes a problem to standard error as its own line, keeping the progress line below it.
    func error(_ line: String) {
        lock.withLock {
            if interactive { write("\r\u{1B}[2K") }
            write(line + "\n")
            draw()
        }
    }

    /// Stops the redrawing and leaves the last state of the line on the terminal.
    func close() {
        timer?.cancel()
        lock.withLock {
            guard interactive, total > 0 else { return }
            draw()
            write("\n")
        }
    }

    private func redraw() { lock.withLock { draw() } }

    /// The progress line, cut to the terminal's width so that it never wraps (a wrapped line cannot be redrawn).
    private func draw() {
        guard interactive, total > 0 else { return }
        let elapsed = Date().timeIntervalSince(start)
        let barWidth = 20
        let filled = barWidth * done / total
        var line = "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: barWidth - filled) + "]"
        line += " \(done)/\(total)  \(clock(elapsed))"
        if done > 0 && done < total { line += "  ETA \(clock(elapsed / Double(done) * Double(total - done)))" }
        if let current = running.last { line += "  " + current + (running.count > 1 ? " (+\(running.count - 1))" : "") }
        write("\r\u{1B}[2K" + String(line.prefix(max(terminalColumns() - 1, 20))))
    }

    private func write(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }

    /// Minutes and seconds, or hours, minutes and seconds.
    private func clock(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded())
        let (hours, minutes, rest) = (whole / 3600, whole / 60 % 60, whole % 60)
        return hours > 0 ? String(format: "%d:%02d:%02d", hours, minutes, rest) : String(format: "%d:%02d", minutes, rest)
    }

    private func terminalColumns() -> Int {
        var size = winsize()
        guard ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return 80 }
        return Int(size.ws_col)
    }
}
