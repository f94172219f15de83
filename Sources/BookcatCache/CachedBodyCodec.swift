import BookcatCore

/// Stores a body as `<etag>\n<bytes>`, or `!<status> <etag>\n<bytes>` when its status is not 200: one Redis value,
/// so a hit is one GET inside the read script. (An ETag starts with a quote, so entries written before statuses
/// were stored read as they always did.)
enum CachedBodyCodec {
    static func encode(_ body: CachedBody) -> [UInt8] {
        let head = body.status == 200 ? body.etag : "!\(body.status) \(body.etag)"
        return Array(head.utf8) + [UInt8(ascii: "\n")] + body.bytes
    }

    static func decode(_ bytes: [UInt8]) -> CachedBody? {
        guard let newline = bytes.firstIndex(of: UInt8(ascii: "\n")), newline > 0 else { return nil }
        let head = String(decoding: bytes[..<newline], as: UTF8.self)
        let body = Array(bytes[(newline + 1)...])
        guard head.hasPrefix("!") else { return CachedBody(bytes: body, etag: head) }
        let fields = head.dropFirst().split(separator: " ", maxSplits: 1)
        guard fields.count == 2, let status = Int(fields[0]), (100...599).contains(status) else { return nil }
        return CachedBody(bytes: body, etag: String(fields[1]), status: status)
    }
}
