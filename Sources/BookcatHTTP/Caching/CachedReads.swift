import BookcatAccounts
import BookcatCore
import BookcatDigest
import Crypto
import Foundation
import HTTPTypes
import Hummingbird

/// Serves read endpoints through the ``ResponseCache`` seam: the body is rendered once into bytes with an ETag,
/// and every response says in `X-Cache` where its body came from.
///
/// Routes that read through here accept sessions the process remembers (``UnconfirmedSession``): the cache read
/// reports the published session epoch with the body, and a response goes out on memory's word only when
/// that epoch is the one the session was remembered at. Otherwise the store confirms the session first.
struct CachedReads: Sendable {
    let cache: any ResponseCache
    let bypass: CacheBypassGate
    let sessions: SessionCheck
    let renders: RenderBudget

    /// Answers the caller with the cached body for `key`, rendering `value()` on a miss; a render `costly` (a
    /// listing, whose filters anyone can vary) is spent from the member's ``RenderBudget``.
    func respond(
        to request: Request,
        context: AuthenticatedContext,
        key: String,
        costly: Bool = false,
        render value: @escaping @Sendable () async throws -> some JSONRenderable
    ) async throws -> Response {
        let wanted = Self.policy(of: request)
        var user = context.user
        var unconfirmed = context.unconfirmedSession
        if let session = unconfirmed, wanted != .normal {
            // Skipping the cache is a privilege: decided on the store's word, not on memory's.
            user = try await sessions.confirm(session)
            unconfirmed = nil
        }
        let renderer = user
        let fill: @Sendable () async throws -> CachedBody = { [renders] in
            do {
                let rendered = try await costly ? renders.render(for: renderer, value) : value()
                let bytes = rendered.jsonBytes
                return CachedBody(bytes: bytes, etag: Self.etag(of: bytes), books: (rendered as? any ShowsBooks)?.shownBooks)
            } catch let answer as CacheableProblem {
                // Proven by the store's membership alone (a page past the end): no book's fields are in it.
                let bytes = try answer.problem.encodedBody()
                return CachedBody(bytes: bytes, etag: Self.etag(of: bytes), status: Int(answer.problem.status.code), books: [])
            }
        }
        let read = try await bypass.withPolicy(wanted, for: user) { policy in
            var joined = 0
            while true {
                do {
                    return try await cache.body(for: key, policy: policy, fill: fill)
                } catch let refused as TooManyRenders where refused.account != nil && refused.account != renderer.id && joined < 3 {
                    // This request joined another member's render, which that member's budget refused: try again,
                    // to render on its own budget (or join a render that is not refused).
                    joined += 1
                }
            }
        }
        if let session = unconfirmed, read.sessionEpoch != session.epoch {
            _ = try await sessions.confirm(session)
        }
        let body = read.body
        var headers: HTTPFields = [.xCache: read.outcome.rawValue]
        if let tier = read.tier { headers[.xCacheTier] = tier.rawValue }
        guard body.status == 200 else {
            headers[.contentType] = Problem.mediaType
            headers[.contentLength] = String(body.bytes.count)
            return Response(status: .init(code: body.status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body.bytes)))
        }
        headers[.eTag] = body.etag
        if let candidates = request.headers[.ifNoneMatch], Self.matches(candidates, etag: body.etag) {
            return Response(status: .notModified, headers: headers)
        }
        headers[.contentType] = "application/json; charset=utf-8"
        headers[.contentLength] = String(body.bytes.count)
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body.bytes)))
    }

    /// What the request asks for: `no-store` skips the cache entirely and `no-cache` re-renders and refreshes the
    /// entry. Whether it gets that is ``CacheBypassGate``'s decision.
    static func policy(of request: Request) -> CachePolicy {
        let directives = request.headers[values: .cacheControl].flatMap { $0.lowercased().split(separator: ",") }
            .map { $0.trimmingCharacters(in: .whitespaces) }
        if directives.contains("no-store") { return .bypass }
        if directives.contains("no-cache") { return .refresh }
        return .normal
    }

    static func etag(of bytes: [UInt8]) -> String {
        "\"" + SHA256.hex(of: bytes, keepingBytes: 16) + "\""
    }

    private static func matches(_ header: String, etag: String) -> Bool {
        header.split(separator: ",").contains { candidate in
            let trimmed = candidate.trimmingCharacters(in: .whitespaces)
            return trimmed == "*" || trimmed == etag || trimmed == "W/" + etag
        }
    }
}

/// What a render throws when its answer is a problem that the store's current state proves, like a page past the
/// last one: the problem body is cached under the request's key, as a page would be, so asking again costs no
/// query. Every write that could make the page exist makes the entry unreachable, as it does every page.
struct CacheableProblem: Error {
    var problem: Problem
}

extension HTTPField.Name {
    static let xCache = HTTPField.Name("X-Cache")!
    /// Which tier served a hit: `memory` (this process) or `redis`.
    static let xCacheTier = HTTPField.Name("X-Cache-Tier")!
}
