import Foundation
import NIOCore

/// Swagger UI's files as bytes ready to send, decoded once from ``SwaggerUIAssets`` when the router is built (not
/// on a request's path).
struct SwaggerUIFiles: Sendable {
    struct File: Sendable {
        var bytes: ByteBuffer
        var contentType: String
    }

    /// By the name `/docs/<name>` serves them under.
    let files: [String: File]

    init() {
        func decode(_ base64: String) -> ByteBuffer {
            // The generated file wraps the base64 text in lines; its --check proves the text decodes.
            ByteBuffer(bytes: Data(base64Encoded: base64, options: .ignoreUnknownCharacters) ?? Data())
        }
        files = [
            "swagger-ui-bundle.js": File(bytes: decode(SwaggerUIAssets.bundleJavaScript), contentType: "text/javascript; charset=utf-8"),
            "swagger-ui.css": File(bytes: decode(SwaggerUIAssets.styleSheet), contentType: "text/css; charset=utf-8"),
            "favicon-32x32.png": File(bytes: decode(SwaggerUIAssets.favicon), contentType: "image/png"),
        ]
    }
}
