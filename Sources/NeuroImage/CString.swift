extension String {
    /// Text of a NUL-terminated C buffer (a message filled in by a C API); invalid UTF-8 is repaired.
    public init(nulTerminated buffer: [CChar]) {
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        self = String(decoding: bytes, as: UTF8.self)
    }
}
