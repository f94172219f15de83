import Hummingbird

/// `GET /docs`: Swagger UI for the contract. The page loads Swagger UI itself from a public CDN; the spec it
/// shows is this service's own `/openapi.yaml`.
struct DocsController {
    func addRoutes(to group: RecordingGroup<AppRequestContext>) {
        group.get("docs", use: page)
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
              <script>
                window.ui = SwaggerUIBundle({ url: "/openapi.yaml", dom_id: "#swagger-ui", persistAuthorization: true });
              </script>
            </body>
            </html>
            """
        return Response(
            status: .ok,
            headers: [.contentType: "text/html; charset=utf-8", .contentLength: String(html.utf8.count)],
            body: .init(byteBuffer: ByteBuffer(string: html))
        )
    }
}
