import BookcatAccounts
import BookcatCore
import Hummingbird
import Logging

/// Turns every error a handler throws into a problem-details response.
///
/// Without it Hummingbird answers unknown errors with an empty 500; here domain errors get their
/// status, framework errors keep theirs with a problem body, and only a genuine bug becomes a 500,
/// logged with its cause but never revealing it to the client.
struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    let authScheme: String
    let routes: KnownRoutes

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            return try problem(for: error, request: request, context: context).response(from: request, context: context)
        }
    }

    private func problem(for error: any Error, request: Request, context: Context) -> Problem {
        switch error {
        case let problem as Problem:
            return problem
        case let error as CatalogError:
            return Problem.from(error, authScheme: authScheme)
        case let error as TooManyAttempts:
            return error.problem
        case let error as PasswordWorkBusy:
            return error.problem
        case let error as TooManyRenders:
            return error.problem
        case is CancellationError:
            // The server is stopping and its drain timeout passed: not a bug, and the client may try again elsewhere.
            var problem = Problem(status: .serviceUnavailable, title: "Stopping", detail: "the server is stopping; try again")
            problem.headers[.retryAfter] = "1"
            problem.headers[.connection] = "close"
            return problem
        case let error as HTTPError where error.status == .notFound && routes.isKnownPathWithOtherMethods(request):
            // A known path asked with a method it does not have: say which methods it has.
            let allowed = routes.allowedMethods(for: request.uri.path)
            let names = allowed.map(\.rawValue).joined(separator: ", ")
            var problem = Problem(status: .methodNotAllowed, detail: "\(request.method) is not allowed on \(request.uri.path); use \(names)")
            problem.headers[.allow] = names
            return problem
        case let error as HTTPError:
            let detail = error.body ?? Self.defaultDetail(for: error.status, request: request)
            var problem = error.status == .notFound ? Problem.notFound(detail) : Problem(status: error.status, detail: detail)
            problem.headers = error.headers
            return problem
        case let error as any HTTPResponseError:
            return Problem(status: error.status, detail: Self.defaultDetail(for: error.status, request: request))
        default:
            context.logger.error("unhandled error", metadata: ["error": "\(String(reflecting: error))"])
            return Problem(status: .internalServerError, detail: "The server failed to handle this request; it has been logged.")
        }
    }

    private static func defaultDetail(for status: HTTPResponse.Status, request: Request) -> String {
        switch status {
        case .notFound: "No resource at \(request.method) \(request.uri.path)"
        case .contentTooLarge: "The request body is larger than the 1 MiB limit"
        default: status.reasonPhrase
        }
    }
}
