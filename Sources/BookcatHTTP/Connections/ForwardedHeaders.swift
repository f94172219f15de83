import HTTPTypes

/// The headers a reverse proxy adds, named once: a name built from a string literal is checked (and allocated)
/// each time it is built, and these are read on every request.
extension HTTPField.Name {
    /// The client's address as each proxy saw it, one entry appended per proxy.
    static let xForwardedFor = HTTPField.Name("X-Forwarded-For")!
    /// `https` when the proxy in front terminated TLS.
    static let xForwardedProto = HTTPField.Name("X-Forwarded-Proto")!
}
