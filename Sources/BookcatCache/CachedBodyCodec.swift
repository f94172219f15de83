import BookcatCore

/// Stores a body as `<status> <etag> <books>\n<bytes>`: one Redis value, so a hit is one GET. `<books>` is the
/// comma-separated ids of the books it shows, or `*` when it may show any (``BookcatCore/CachedBody/books``).
/// (The schema version in every key, ``CacheKeys/schemaVersion``, keeps older formats out.)
enum CachedBodyCodec {
    static func encode(_ body: CachedBody) -> [UInt8] {
        Array("\(body.status) \(body.etag) \(booksField(body.books))".utf8) + [UInt8(ascii: "\n")] + body.bytes
    }

    /// On a Redis Cluster: `<count>\n` and then the body as above, `count` the change counter the body was rendered at
    /// (``RedisResponseCache``).
    static func encode(_ body: CachedBody, stampedWith count: Int64) -> [UInt8] {
        Array("\(count)\n".utf8) + encode(body)
    }

    static func decodeStamped(_ bytes: [UInt8]) -> (body: CachedBody, count: Int64)? {
        guard let newline = bytes.firstIndex(of: UInt8(ascii: "\n")), let count = Int64(String(decoding: bytes[..<newline], as: UTF8.self)),
            let body = decode(Array(bytes[(newline + 1)...]))
        else { return nil }
        return (body, count)
    }

    /// Books as an entry and the cache's scripts write them: comma-separated ids, or `*` for any book (nil).
    static func booksField(_ books: [Int64]?) -> String {
        books.map { $0.map(String.init).joined(separator: ",") } ?? "*"
    }

    static func decode(_ bytes: [UInt8]) -> CachedBody? {
        guard let newline = bytes.firstIndex(of: UInt8(ascii: "\n")) else { return nil }
        let head = bytes[..<newline]
        // The status is the first field and the books the last: an ETag is the rest, whatever it holds.
        guard let firstSpace = head.firstIndex(of: UInt8(ascii: " ")), let lastSpace = head.lastIndex(of: UInt8(ascii: " ")),
            firstSpace < lastSpace, let status = Int(String(decoding: head[..<firstSpace], as: UTF8.self)), (100...599).contains(status)
        else { return nil }
        let listed = head[(lastSpace + 1)...]
        var books: [Int64]?
        if !listed.elementsEqual("*".utf8) {
            guard let ids = ids(in: listed) else { return nil }
            books = ids
        }
        let etag = String(decoding: head[(firstSpace + 1)..<lastSpace], as: UTF8.self)
        return CachedBody(bytes: Array(bytes[(newline + 1)...]), etag: etag, status: status, books: books)
    }

    /// Comma-separated decimal ids, read from the bytes themselves: a hit from Redis decodes up to a page's hundred,
    /// and a `String` for each cost as many allocations.
    private static func ids(in bytes: ArraySlice<UInt8>) -> [Int64]? {
        var ids: [Int64] = []
        var current: Int64 = 0
        var digits = 0
        for byte in bytes {
            if byte == UInt8(ascii: ",") {
                guard digits > 0 else { return nil }
                ids.append(current)
                current = 0
                digits = 0
            } else if byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9"), digits < 18 {
                current = current * 10 + Int64(byte - UInt8(ascii: "0"))
                digits += 1
            } else {
                return nil
            }
        }
        if digits > 0 {
            ids.append(current)
        } else if !bytes.isEmpty {
            return nil
        }
        return ids
    }
}
