import BookcatCore
import Foundation
import Hummingbird

/// An RFC 9457 problem-details response: the one shape of every 4xx and 5xx body this service sends.
public struct Problem: Error, HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    /// A stable identifier of the kind of problem, so clients can branch on it.
    public var type: String
    public var title: String
    public var detail: String
    /// Field-level validation failures, when the problem is about the input.
    public var errors: [FieldError]?
    public var headers: HTTPFields = [:]

    public init(status: HTTPResponse.Status, type: String? = nil, title: String? = nil, detail: String, errors: [FieldError]? = nil) {
        self.status = status
        self.type = type ?? "about:blank"
        self.title = title ?? status.reasonPhrase
        self.detail = detail
        self.errors = errors
    }

    public static let mediaType = "application/problem+json"

    /// A refusal the client may retry: `Retry-After` in whole seconds (at least one), which `detail` is given to
    /// say when.
    static func retryLater(
        _ status: HTTPResponse.Status,
        type: String,
        title: String,
        after wait: Duration,
        detail: (_ seconds: Int) -> String
    ) -> Problem {
        let seconds = max(1, Int(wait.seconds.rounded(.up)))
        var problem = Problem(status: status, type: typePrefix + type, title: title, detail: detail(seconds))
        problem.headers[.retryAfter] = String(seconds)
        return problem
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let data = try encodedBody()
        var headers = self.headers
        headers[.contentType] = Self.mediaType
        headers[.contentLength] = String(data.count)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// The JSON body, as every response of this problem carries it.
    func encodedBody() throws -> [UInt8] {
        Array(try JSONCoding.makeEncoder().encode(Body(type: type, title: title, status: Int(status.code), detail: detail, errors: errors)))
    }

    private struct Body: Encodable {
        var type: String
        var title: String
        var status: Int
        var detail: String
        var errors: [FieldError]?
    }
}

extension Problem {
    static let typePrefix = "urn:bookcat:problem:"

    public static func validation(_ errors: [FieldError], detail: String? = nil) -> Problem {
        let summary = errors.map { "\($0.field) \($0.message)" }.joined(separator: "; ")
        return Problem(
            status: .badRequest,
            type: typePrefix + "validation",
            title: "Invalid request",
            detail: detail ?? summary,
            errors: errors
        )
    }

    public static func badRequest(field: String, _ message: String) -> Problem {
        validation([FieldError(field: field, message: message)])
    }

    public static func unauthenticated(_ detail: String, scheme: String) -> Problem {
        var problem = Problem(status: .unauthorized, type: typePrefix + "unauthenticated", title: "Authentication required", detail: detail)
        problem.headers[.wwwAuthenticate] = scheme
        return problem
    }

    public static func forbidden(_ detail: String) -> Problem {
        Problem(status: .forbidden, type: typePrefix + "forbidden", title: "Forbidden", detail: detail)
    }

    public static func notFound(_ detail: String) -> Problem {
        Problem(status: .notFound, type: typePrefix + "not-found", title: "Not found", detail: detail)
    }

    public static func conflict(_ detail: String) -> Problem {
        Problem(status: .conflict, type: typePrefix + "conflict", title: "Conflict", detail: detail)
    }

    /// The problem a domain error stands for.
    static func from(_ error: CatalogError, authScheme: String) -> Problem {
        switch error {
        case .invalid(let errors): .validation(errors)
        case .notFound(let detail): .notFound(detail)
        case .conflict(let detail): .conflict(detail)
        case .unauthenticated(let detail): .unauthenticated(detail, scheme: authScheme)
        case .forbidden(let detail): .forbidden(detail)
        case .unavailable(let detail):
            .retryLater(.serviceUnavailable, type: "store-busy", title: "Store busy", after: .seconds(1)) { _ in detail }
        }
    }
}
