import Hummingbird

/// `GET /docs`: Swagger UI for the contract. The page loads Swagger UI itself from a public CDN; the spec it
/// shows is this service's own `/openapi.yaml`. A Content-Security-Policy allows scripts only from this service
/// and that CDN, which is why the page's own start-up script is a file (`/docs/init.js`), not inline.
struct DocsController {
    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self' https://unpkg.com; style-src 'self' https://unpkg.com 'unsafe-inline'; "
        + "img-src 'self' data: https://unpkg.com; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

    func addRoutes(to group: RecordingGroup<AppRequestContext>) {
        group.get("docs", use: page)
        group.get("docs/init.js", use: initScript)
    }

    @Sendable func initScript(_ request: Request, context: AppRequestContext) async throws -> Response {
        let script = ##"window.ui = SwaggerUIBundle({ url: "/openapi.yaml", dom_id: "#swagger-ui", persistAuthorization: true });"##
        return Response(
            status: .ok,
            headers: [.contentType: "text/javascript; charset=utf-8", .contentLength: String(script.utf8.count)],
            body: .init(byteBuffer: ByteBuffer(string: script))
        )
    }

    @Sendable func page(_ request: Request, context: AppRequestContext) async throws -> Response {
        let html = """
            <!doctype html>
            <html lang="en">
            <head>
              <meta charset="utf-8">
              <meta name="viewport" content="width=device-width, initial-scale=1">
              <title>bookcat API</title>
              <link rel="stylesheet" href="https://unpkg.com/swagger-ui-dist@5/swagger-ui.css">
            </head>
            <body>
              <div id="swagger-ui"></div>
              <script src="https://unpkg.com/swagger-ui-dist@5/swagger-ui-bundle.js" crossorigin></script>
              <script src="/docs/init.js"></script>
            </body>
            </html>
            """
        return Response(
            status: .ok,
            headers: [
                .contentType: "text/html; charset=utf-8", .contentLength: String(html.utf8.count),
                .contentSecurityPolicy: Self.contentSecurityPolicy,
            ],
            body: .init(byteBuffer: ByteBuffer(string: html))
        )
    }
}
