import BookcatCore
import Foundation
import Hummingbird

extension Request {
    /// Decodes a JSON request body, turning every way it can be wrong into a 4xx problem that says what to fix:
    /// 415 for a non-JSON content type, 413 above the context's upload limit, 400 naming the field otherwise.
    func decodeJSON<T: Decodable>(as type: T.Type, context: some RequestContext) async throws -> T {
        if let contentType = headers[.contentType] {
            let mediaType = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
            guard mediaType == "application/json" || mediaType.hasSuffix("+json") else {
                throw Problem(status: .unsupportedMediaType, detail: "the request body must be JSON (Content-Type: application/json), got '\(contentType)'")
            }
        }
        var request = self
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: context.maxUploadSize)
        } catch {
            throw Problem(status: .contentTooLarge, detail: "the request body is larger than the \(context.maxUploadSize / 1024 / 1024) MiB limit")
        }
        guard buffer.readableBytes > 0 else {
            throw Problem.badRequest(field: "body", "a JSON object is required")
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer.readableBytesView))
        } catch let error as DecodingError {
            throw Problem.validation([Self.fieldError(error)])
        } catch let error as CatalogError {
            throw error
        } catch {
            throw Problem.badRequest(field: "body", "is not valid JSON")
        }
    }

    private static func fieldError(_ error: DecodingError) -> FieldError {
        func path(_ codingPath: [any CodingKey], appending key: (any CodingKey)? = nil) -> String {
            var text = ""
            for key in codingPath + (key.map { [$0] } ?? []) {
                if let index = key.intValue {
                    text += "[\(index)]"
                } else {
                    text += text.isEmpty ? key.stringValue : ".\(key.stringValue)"
                }
            }
            return text.isEmpty ? "body" : text
        }
        switch error {
        case .keyNotFound(let key, let context):
            return FieldError(field: path(context.codingPath, appending: key), message: "is required")
        case .valueNotFound(let type, let context):
            return FieldError(field: path(context.codingPath), message: "must be \(describe(type)), not null")
        case .typeMismatch(let type, let context):
            return FieldError(field: path(context.codingPath), message: "must be \(describe(type))")
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty { return FieldError(field: "body", message: "is not valid JSON") }
            return FieldError(field: path(context.codingPath), message: "has a value out of range or of the wrong kind")
        @unknown default:
            return FieldError(field: "body", message: "could not be decoded")
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "a boolean"
        case is Int.Type, is Int64.Type: "a whole number"
        case is [Any].Type: "an array"
        case is [String: Any].Type: "an object"
        default:
            String(describing: type).hasPrefix("Array") ? "an array" : "a value of the documented type"
        }
    }
}
