import Foundation
import HTTPTypes
import Hummingbird

/// Where the listing's `next` and `previous` point: absolute URLs, as the Django service's (DRF's) were, so a client
/// can follow them as they are (`requests.get(page["next"])`), but never built from whatever `Host` a request
/// claims: that header is the client's to write, and a link made from it (and cached for everyone) would send other
/// clients elsewhere.
///
/// `PUBLIC_URL` (`https://books.example.org`) is used for every link. Without it, a request whose `Host` is one of
/// `ALLOWED_HOSTS` gets links on that host (`https` only when `TRUST_FORWARDED_FOR` is set and the proxy says so in
/// `X-Forwarded-Proto`). With neither, or another host, links are relative (`/api/v1/books?page=2`).
public struct PublicLinks: Sendable, Equatable {
    /// Scheme and authority, without a trailing slash.
    public var publicURL: String?
    /// Lower-cased `host` or `host:port` values.
    public var allowedHosts: Set<String> = []
    public var trustForwardedProto = false

    public init(publicURL: String? = nil, allowedHosts: Set<String> = [], trustForwardedProto: Bool = false) {
        (self.publicURL, self.allowedHosts, self.trustForwardedProto) = (publicURL, allowedHosts, trustForwardedProto)
    }

    /// `PUBLIC_URL`'s value made canonical, or nil when it is not a base URL (`http(s)://host[:port]`, no path).
    public static func parseBase(_ text: String) -> String? {
        let trimmed = text.hasSuffix("/") ? String(text.dropLast()) : text
        guard let components = URLComponents(string: trimmed), let scheme = components.scheme?.lowercased(),
            ["http", "https"].contains(scheme), let host = components.host, !host.isEmpty,
            components.query == nil, components.fragment == nil, components.user == nil, components.path.isEmpty
        else {
            return nil
        }
        return scheme + "://" + host.lowercased() + (components.port.map { ":\($0)" } ?? "")
    }

    /// What to tell the operator at start when every link will be relative, or nil when some may be absolute.
    /// Relative links are safe but break the clients that follow `next` as they are, as the Django service's did
    /// (`requests.get(page["next"])` raises `MissingSchema`), so production says so once, at start.
    public var relativeLinksWarning: String? {
        guard publicURL == nil, allowedHosts.isEmpty else { return nil }
        return "PUBLIC_URL is not set: the listing's next and previous links are relative (/api/v1/books?page=2), "
            + "and clients that follow them as they are, as the Django service's clients did, fail; set PUBLIC_URL to "
            + "the address clients use (https://books.example.org)"
    }

    /// The base for links in an answer to `request`, or nil for relative links.
    func base(for request: Request) -> String? {
        if let publicURL { return publicURL }
        // HTTP/1's Host header arrives as the authority (HTTP/2's :authority too), unless kept as a field.
        let authority = request.headers[.host] ?? request.head.authority
        guard !allowedHosts.isEmpty, let host = authority?.lowercased(), allowedHosts.contains(host) else { return nil }
        let https = trustForwardedProto && request.headers[values: .xForwardedProto].last?.lowercased() == "https"
        return (https ? "https://" : "http://") + host
    }
}
