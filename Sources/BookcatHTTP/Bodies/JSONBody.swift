import BookcatCore
import Foundation
import Hummingbird

extension Request {
    /// Decodes a request body, turning every way it can be wrong into a 4xx problem that says what to fix: 415 for
    /// a content type other than JSON or a form, 413 above the context's upload limit, 400 naming the field
    /// otherwise. Form bodies (urlencoded or multipart, as the Django service took them) are read into the JSON
    /// object they stand for (``FormBody``) and then decoded and validated exactly as JSON is.
    func decodeJSON<T: Decodable>(as type: T.Type, context: some RequestContext) async throws -> T {
        var form: BodyForm?
        if let contentType = headers[.contentType] {
            let parameters = contentType.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            let mediaType = parameters.first?.lowercased() ?? ""
            switch mediaType {
            case "application/json",
                _ where mediaType.hasSuffix("+json"):
                break
            case "application/x-www-form-urlencoded":
                form = .urlEncoded
            case "multipart/form-data":
                let boundary = parameters.dropFirst().first { $0.lowercased().hasPrefix("boundary=") }
                    .map { String($0.dropFirst("boundary=".count)).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
                guard let boundary, (1...70).contains(boundary.utf8.count) else {
                    throw Problem.badRequest(field: "body", "multipart/form-data needs a boundary of 1 to 70 characters")
                }
                form = .multipart(boundary: boundary)
            default:
                throw Problem(
                    status: .unsupportedMediaType,
                    detail: "the request body must be JSON (Content-Type: application/json) or a form "
                        + "(application/x-www-form-urlencoded, multipart/form-data), got '\(contentType.prefix(100))'"
                )
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
        var data = Data(buffer.readableBytesView)
        switch form {
        case nil: break
        case .urlEncoded: data = try FormBody.urlEncoded(data)
        case .multipart(let boundary): data = try FormBody.multipart(data, boundary: boundary)
        }
        // RFC 8259 §8.1: JSON exchanged between systems is UTF-8. Foundation would also read UTF-16 and UTF-32, which
        // the duplicate-key scan below (and any proxy in front) reads differently.
        guard String(validating: data, as: UTF8.self) != nil else {
            throw Problem.badRequest(field: "body", "is not UTF-8 (JSON bodies must be UTF-8)")
        }
        if let key = JSONDuplicateKeys.first(in: data) {
            throw Problem.badRequest(field: String(key.prefix(100)), "is given more than once")
        }
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch DecodingError.dataCorrupted(let context) where context.codingPath.isEmpty {
            // Foundation reports a number too large for its type as "not valid JSON" with no path; find it.
            if let path = Self.outOfRangeNumberPath(in: data) {
                throw Problem.badRequest(field: path, "is a number out of range")
            }
            throw Problem.badRequest(field: "body", "is not valid JSON")
        } catch let error as DecodingError {
            throw Problem.validation([Self.fieldError(error)])
        } catch let error as CatalogError {
            throw error
        } catch {
            throw Problem.badRequest(field: "body", "is not valid JSON")
        }
    }

    private enum BodyForm {
        case urlEncoded
        case multipart(boundary: String)
    }

    /// The path of the first number in `data` that no 64-bit integer can hold, if `data` is JSON at all.
    private static func outOfRangeNumberPath(in data: Data) -> String? {
        guard let root = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) else { return nil }
        func search(_ value: Any, _ path: String) -> String? {
            switch value {
            case let object as [String: Any]:
                for key in object.keys.sorted() {
                    if let found = search(object[key]!, path.isEmpty ? key : "\(path).\(key)") { return found }
                }
            case let array as [Any]:
                for (index, element) in array.enumerated() {
                    if let found = search(element, "\(path)[\(index)]") { return found }
                }
            case let number as NSNumber where !(value is Bool):
                if abs(number.doubleValue) >= 9.2e18 { return path.isEmpty ? "body" : path }
            default:
                break
            }
            return nil
        }
        return search(root, "")
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
