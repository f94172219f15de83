import BookcatCore
import Crypto
import Foundation
import HTTPTypes
import Hummingbird

/// Serves read endpoints through the ``ResponseCache`` seam: the body is rendered once into bytes with an ETag,
/// and every response says in `X-Cache` where its body came from.
struct CachedReads: Sendable {
    let cache: any ResponseCache
    let bypass: CacheBypassGate
    let versions: any CatalogVersionSource

    /// The one place writes invalidate: after the write committed (which bumped the store's catalog version in its
    /// transaction) and before it is acknowledged.
    func invalidateCatalog() async {
        // Should the version not be readable, 0 still invalidates (a write's invalidation always does); it only
        // leaves the recorded version as it was.
        let version = (try? await versions.catalogVersion()) ?? 0
        await cache.invalidateCatalog(catalogVersion: version)
    }

    /// Answers `user` with the cached body for `key`, rendering `value()` on a miss.
    func respond(
        to request: Request,
        as user: User,
        key: String,
        render value: @escaping @Sendable () async throws -> some Encodable & Sendable
    ) async throws -> Response {
        let (body, outcome) = try await bypass.withPolicy(Self.policy(of: request), for: user) { policy in
            try await cache.body(for: key, policy: policy) {
                let bytes = Array(try JSONCoding.makeEncoder().encode(try await value()))
                return CachedBody(bytes: bytes, etag: Self.etag(of: bytes))
            }
        }
        var headers: HTTPFields = [.eTag: body.etag, .xCache: outcome.rawValue]
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
        "\"" + SHA256.hash(data: bytes).prefix(16).hexString + "\""
    }

    private static func matches(_ header: String, etag: String) -> Bool {
        header.split(separator: ",").contains { candidate in
            let trimmed = candidate.trimmingCharacters(in: .whitespaces)
            return trimmed == "*" || trimmed == etag || trimmed == "W/" + etag
        }
    }
}

extension HTTPField.Name {
    static let xCache = HTTPField.Name("X-Cache")!
}
