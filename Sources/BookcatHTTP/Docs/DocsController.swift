import Hummingbird

/// `GET /docs`: Swagger UI for the contract, served entirely by this service (files vendored by
/// `scripts/generate/vendor-swagger-ui.py`, see ``SwaggerUIFiles``), so it works on machines without internet. The spec it shows is this service's
/// own `/openapi.yaml`. A Content-Security-Policy allows scripts only from this service, which is why the page's
/// start-up script is a file (`/docs/init.js`), not inline.
struct DocsController {
    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; "
        + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

    let swaggerUI: SwaggerUIFiles

    /// Throws when Swagger UI's files are missing, so a broken install stops at start-up with the path it looked at.
    init(swaggerUI: SwaggerUIFiles? = nil) throws {
        self.swaggerUI = try swaggerUI ?? SwaggerUIFiles()
    }

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get("docs", use: page)
        group.get("docs/init.js", use: initScript)
        group.get("docs/:asset", use: asset)
    }

    @Sendable func initScript(_ request: Request, context: AppRequestContext) async throws -> Response {
        let script = ##"window.ui = SwaggerUIBundle({ url: "/openapi.yaml", dom_id: "#swagger-ui", persistAuthorization: true });"##
        return Response(
            status: .ok,
            headers: [.contentType: "text/javascript; charset=utf-8", .contentLength: String(script.utf8.count)],
            body: .init(byteBuffer: ByteBuffer(string: script))
        )
    }

    @Sendable func asset(_ request: Request, context: AppRequestContext) async throws -> Response {
        let name = context.parameters.get("asset") ?? ""
        guard let file = swaggerUI.files[name] else {
            throw Problem(status: .notFound, title: "Not found", detail: "no documentation file named \(name)")
        }
        return Response(
            status: .ok,
            headers: [
                .contentType: file.contentType, .contentLength: String(file.bytes.readableBytes),
                // The files change only with a new release; a day keeps reloads cheap without pinning old ones long.
                .cacheControl: "public, max-age=86400",
            ],
            body: .init(byteBuffer: file.bytes)
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
              <link rel="icon" type="image/png" href="/docs/favicon-32x32.png">
              <link rel="stylesheet" href="/docs/swagger-ui.css">
            </head>
            <body>
              <div id="swagger-ui"></div>
              <script src="/docs/swagger-ui-bundle.js"></script>
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
