import Foundation
import NIOCore

/// Swagger UI's files (`Resources/swagger-ui`, vendored by `scripts/generate/vendor-swagger-ui.py`), read once when the
/// router is built, not on a request's path.
///
/// SwiftPM copies the folder into the resource bundle it puts next to the binary; the image installs that bundle
/// beside `/usr/local/bin/bookcat`. The bundle is looked up there, not through `Bundle.module`, whose accessor stops
/// the process with a fatal error when the bundle is missing: a missing file must be an error that says where it
/// was looked for, at start-up, not a crash and not an empty page.
struct SwaggerUIFiles: Sendable {
    struct File: Sendable {
        var bytes: ByteBuffer
        var contentType: String
    }

    /// A file the page needs is not where the build put it.
    struct Missing: Error, CustomStringConvertible {
        var path: String
        var description: String {
            "Swagger UI's files are missing: no \(path). Install \(SwaggerUIFiles.bundleName) next to the bookcat binary."
        }
    }

    /// The resource bundle SwiftPM builds for this module: `<package>_<target>.resources`.
    static let bundleName = "bookcat_BookcatHTTP.resources"
    /// Each file `/docs/<name>` serves, with its content type.
    static let contentTypes = [
        "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
        "swagger-ui.css": "text/css; charset=utf-8",
        "favicon-32x32.png": "image/png",
    ]

    /// By the name `/docs/<name>` serves them under.
    let files: [String: File]

    /// Reads the files from `folder`, by default the bundle's `swagger-ui` folder next to the running executable.
    init(folder: URL = Bundle.main.bundleURL.appendingPathComponent(Self.bundleName).appendingPathComponent("swagger-ui")) throws {
        var files: [String: File] = [:]
        for (name, contentType) in Self.contentTypes {
            let path = folder.appendingPathComponent(name).path
            guard let data = FileManager.default.contents(atPath: path), !data.isEmpty else { throw Missing(path: path) }
            files[name] = File(bytes: ByteBuffer(bytes: data), contentType: contentType)
        }
        self.files = files
    }
}
