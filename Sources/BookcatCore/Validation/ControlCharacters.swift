/// The characters no text field of this API accepts: the C0 controls (NUL to U+001F, tab and newlines included, as
/// no field is multi-line) and DEL.
///
/// They are refused where text enters (JSON bodies, query parameters, the command line) because the C libraries
/// downstream stop at NUL: SQLite bound with length -1, bcrypt's C strings and FTS5's query parser would store,
/// compare or search something other than what was acknowledged.
public enum ControlCharacters {
    /// What is wrong with `text`, e.g. "must not contain control characters (found U+0000)", or nil when it holds
    /// none: the message every boundary reports under the field's name.
    ///
    /// Inlinable so that each caller gets a copy specialised for its string type: every cached listing checks its
    /// query parameters here. The controls are all ASCII, so the UTF-8 bytes tell.
    @inlinable
    public static func violation(in text: some StringProtocol) -> String? {
        guard let byte = text.utf8.first(where: { $0 < 0x20 || $0 == 0x7F }) else { return nil }
        return message(for: byte)
    }

    @usableFromInline
    static func message(for byte: UInt8) -> String {
        let hex = String(byte, radix: 16, uppercase: true)
        return "must not contain control characters (found U+\(String(repeating: "0", count: max(0, 4 - hex.count)) + hex))"
    }
}
