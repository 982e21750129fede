import Foundation

/// File-system-safe output names made from untrusted text (DICOM descriptions, file stems).
public enum SafeName {
    /// Keeps `[A-Za-z0-9._-]`, turns every other run of characters (and dots around it) into one `_`,
    /// never leaves `..` or a leading dot (no hidden files), caps the length at 100; never empty.
    public static func make(_ raw: String) -> String {
        var result = ""
        var lastWasReplacement = false
        for scalar in raw.unicodeScalars {
            let allowed = scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar)
                || scalar == "." || scalar == "-" || scalar == "_")
            if allowed {
                result.unicodeScalars.append(scalar)
                lastWasReplacement = false
            } else if !lastWasReplacement {
                result.append("_")
                lastWasReplacement = true
            }
        }
        result = result.replacingOccurrences(of: "[._]*_[._]*", with: "_", options: .regularExpression)
        result = result.replacingOccurrences(of: "\\.{2,}", with: ".", options: .regularExpression)
        while result.hasPrefix(".") || result.hasPrefix("_") { result.removeFirst() }
        while result.hasSuffix("_") || result.hasSuffix(".") { result.removeLast() }
        result = String(result.prefix(100))
        return result.isEmpty ? "series" : result
    }

    /// Safe names for `raws`, made unique (case-insensitively, for case-folding file systems) within
    /// the batch and against names already taken, by appending `_2`, `_3`, ….
    public static func unique(_ raws: [String], taken: Set<String> = []) -> [String] {
        var used = Set(taken.map { $0.lowercased() })
        return raws.map { raw in
            let base = make(raw)
            var candidate = base
            var counter = 2
            while used.contains(candidate.lowercased()) {
                candidate = "\(base)_\(counter)"
                counter += 1
            }
            used.insert(candidate.lowercased())
            return candidate
        }
    }
}
