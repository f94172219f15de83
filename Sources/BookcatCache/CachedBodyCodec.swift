import BookcatCore

/// Stores a body as `<etag>\n<bytes>`: one Redis value, so a hit is one GET inside the read script.
enum CachedBodyCodec {
    static func encode(_ body: CachedBody) -> [UInt8] {
        Array(body.etag.utf8) + [UInt8(ascii: "\n")] + body.bytes
    }

    static func decode(_ bytes: [UInt8]) -> CachedBody? {
        guard let newline = bytes.firstIndex(of: UInt8(ascii: "\n")), newline > 0 else { return nil }
        return CachedBody(bytes: Array(bytes[(newline + 1)...]), etag: String(decoding: bytes[..<newline], as: UTF8.self))
    }
}
