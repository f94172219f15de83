import HTTPTypes
import Hummingbird

/// Adds the headers every response carries, problem responses included (it sits outside ``ProblemMiddleware``).
///
/// `X-Content-Type-Options: nosniff` keeps browsers from guessing a type other than the declared one, so a JSON
/// body that happens to hold markup is never run as a page.
struct SecurityHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        response.headers[.xContentTypeOptions] = "nosniff"
        return response
    }
}
