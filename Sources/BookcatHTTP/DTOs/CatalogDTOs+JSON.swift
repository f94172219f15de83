import Hummingbird

// The catalog's bodies, written with ``JSONOutput`` (a listing renders a hundred books on every cache miss): the one
// place their keys are named. Members are listed in byte order of their keys, as `JSONEncoder`'s `.sortedKeys` wrote
// them in earlier releases; `CatalogJSONTests` holds these bytes to what `JSONEncoder` writes, so ETags carry over.

extension TagResponse: JSONRenderable {
    func render(into output: inout JSONOutput) {
        output.object { members in
            members.member("name") { $0.string(name) }
            members.member("tag_id") { $0.integer(tagID) }
        }
    }
}

extension BookResponse: JSONRenderable {
    func render(into output: inout JSONOutput) {
        output.object { members in
            members.member("author") { $0.string(author) }
            members.member("book_id") { $0.integer(bookID) }
            members.member("created_at") { $0.date(createdAt) }
            members.member("isbn") { $0.string(isbn) }
            members.member("published_at") { $0.string(publishedAt) }
            members.member("publisher") { $0.string(publisher) }
            members.member("stock") { $0.integer(stock) }
            members.member("tags") { $0.value(tags) }
            members.member("title") { $0.string(title) }
            members.member("updated_at") { $0.date(updatedAt) }
        }
    }
}

extension BookListResponse: JSONRenderable {
    func render(into output: inout JSONOutput) {
        output.object { members in
            members.member("count") { $0.integer(count) }
            members.member("next") { $0.string(next) }
            members.member("previous") { $0.string(previous) }
            members.member("results") { $0.value(results) }
        }
    }
}

/// Responses that write themselves (``TagResponse``, ``BookResponse``) answer with what ``JSONOutput`` writes.
extension ResponseGenerator where Self: JSONRenderable {
    func response(from request: Request, context: some RequestContext) throws -> Response {
        jsonResponse()
    }
}

extension JSONRenderable {
    /// A 200 carrying this body, with the headers Hummingbird's JSON encoder would set.
    func jsonResponse() -> Response {
        let body = jsonBytes
        return Response(
            status: .ok,
            headers: [.contentType: "application/json; charset=utf-8", .contentLength: String(body.count)],
            body: .init(byteBuffer: ByteBuffer(bytes: body))
        )
    }
}
