/// A failure the domain reports to whoever called it.
///
/// Adapters and services throw these; the HTTP layer maps each case to one problem response,
/// so no storage or transport detail ever decides a status code.
public enum CatalogError: Error, Equatable, Sendable {
    /// The input broke one or more rules; each entry names the field and the rule.
    case invalid([FieldError])
    /// The named resource does not exist (or the caller may not know that it exists).
    case notFound(String)
    /// The request is well formed but clashes with the current state (duplicate ISBN, not enough stock, …).
    case conflict(String)
    /// The caller did not prove who they are, or the proof was rejected.
    case unauthenticated(String)
    /// The caller is known but not allowed to do this.
    case forbidden(String)
    /// The store could not take the request now (another process holds its write lock past the wait): nothing was
    /// done, and the same request may be sent again shortly.
    case unavailable(String)

    /// A convenience for the common one-field validation failure.
    public static func invalid(field: String, _ message: String) -> CatalogError {
        .invalid([FieldError(field: field, message: message)])
    }
}

/// One broken rule: which field, and what the caller should change.
public struct FieldError: Equatable, Sendable, Codable {
    public var field: String
    public var message: String

    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }
}

extension CatalogError: CustomStringConvertible {
    /// The message alone, as the command line prints it: `bookcat: …`, not the case's Swift spelling.
    public var description: String {
        switch self {
        case .invalid(let errors): errors.map { "\($0.field) \($0.message)" }.joined(separator: "; ")
        case .conflict(let message), .notFound(let message), .forbidden(let message), .unauthenticated(let message),
            .unavailable(let message):
            message
        }
    }
}
