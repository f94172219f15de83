import BookcatCore
import Foundation

/// Form bodies, as the Django service took them (DRF's default parsers, Postman's form-data tab): read into the JSON
/// object the same request would have sent, then decoded and validated exactly as JSON is. Every value is a string
/// there, which the request types coerce as DRF did (``LenientScalars``); a name given more than once, or one of
/// ``listFields`` (`tags`, also spelled `tags[]`), becomes an array. Files are refused: no write takes one.
enum FormBody {
    /// Fields that are lists even when a form gives them once.
    static let listFields: Set<String> = ["tags"]
    /// More than any request type has fields, with room for long tag lists; bounds the work a body can ask for.
    static let maximumFields = 1_000

    /// `application/x-www-form-urlencoded`.
    static func urlEncoded(_ body: Data) throws(CatalogError) -> Data {
        let text = String(decoding: body, as: UTF8.self)
        var fields: [(String, String)] = []
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = decode(parts[0]), let value = decode(parts.count == 2 ? parts[1] : "") else {
                throw .invalid(field: "body", "is not valid form data (a bad percent-escape)")
            }
            fields.append((name, value))
            guard fields.count <= maximumFields else { throw .invalid(field: "body", "has more than \(maximumFields) fields") }
        }
        return try json(fields)
    }

    /// `multipart/form-data` with the given boundary.
    static func multipart(_ body: Data, boundary: String) throws(CatalogError) -> Data {
        let bytes = [UInt8](body)
        let delimiter = Array("--\(boundary)".utf8)
        var fields: [(String, String)] = []
        let starts = occurrences(of: delimiter, in: bytes)
        guard starts.count >= 2 else { throw .invalid(field: "body", "is not valid multipart form data (no parts)") }
        // The last delimiter closes the body (`--boundary--`): without it, the body was cut short, and its parts are
        // not all here. None is applied.
        let closing = starts[starts.count - 1] + delimiter.count
        guard bytes[closing..<min(closing + 2, bytes.count)].elementsEqual(Array("--".utf8)) else {
            throw .invalid(field: "body", "is not valid multipart form data (it does not end with the closing boundary)")
        }
        let separator = Array("\r\n\r\n".utf8)
        for index in 0..<(starts.count - 1) {
            var start = starts[index] + delimiter.count
            // The delimiter line ends with CRLF; the part's content ends with the CRLF before the next one.
            if bytes[start..<min(start + 2, bytes.count)].elementsEqual([13, 10]) { start += 2 }
            var end = starts[index + 1]
            if end - 2 >= start, bytes[(end - 2)..<end].elementsEqual([13, 10]) { end -= 2 }
            let part = Array(bytes[start..<end])
            guard let headerEnd = occurrences(of: separator, in: part).first else {
                throw .invalid(field: "body", "is not valid multipart form data (a part without headers)")
            }
            let headers = String(decoding: part[0..<headerEnd], as: UTF8.self)
            let value = part[(headerEnd + separator.count)...]
            guard let name = dispositionParameter("name", in: headers) else {
                throw .invalid(field: "body", "is not valid multipart form data (a part without a name)")
            }
            if dispositionParameter("filename", in: headers) != nil {
                throw .invalid(field: name, "is a file; send the field's value as text")
            }
            guard let text = String(validating: value, as: UTF8.self) else { throw .invalid(field: name, "is not UTF-8 text") }
            fields.append((name, text))
            guard fields.count <= maximumFields else { throw .invalid(field: "body", "has more than \(maximumFields) fields") }
        }
        return try json(fields)
    }

    private static func json(_ fields: [(String, String)]) throws(CatalogError) -> Data {
        var counts: [String: Int] = [:]
        for (name, _) in fields { counts[fieldName(name), default: 0] += 1 }
        var object: [String: Any] = [:]
        // DRF's numbered items, per list field and index: a value (`tags[0]=1`) or an object's fields (`tags[0]tag_id=1`).
        var numbered: [String: [Int: Any]] = [:]
        for (rawName, value) in fields {
            if let item = try numberedItem(rawName) {
                guard let key = item.key else {
                    numbered[item.list, default: [:]][item.index] = value
                    continue
                }
                var fields = numbered[item.list]?[item.index] as? [String: String] ?? [:]
                fields[key] = value
                numbered[item.list, default: [:]][item.index] = fields
                continue
            }
            let name = fieldName(rawName)
            if counts[name]! > 1 || listFields.contains(name) {
                object[name] = ((object[name] as? [Any]) ?? []) + [value]
            } else {
                object[name] = value
            }
        }
        for (list, items) in numbered {
            object[list] = ((object[list] as? [Any]) ?? []) + items.sorted { $0.key < $1.key }.map(\.value)
        }
        do {
            return try JSONSerialization.data(withJSONObject: object)
        } catch {
            throw .invalid(field: "body", "could not be read as form data")
        }
    }

    /// How DRF's form parser names the items of a list of objects: `tags[0]tag_id`, and the spellings other clients
    /// use for it, `tags[0][tag_id]` and `tags[0].tag_id`; `tags[0]` is the item itself. Only for ``listFields``;
    /// the index orders the items (at most six digits: it is a position, not a size to allocate).
    private static func numberedItem(_ name: String) throws(CatalogError) -> (list: String, index: Int, key: String?)? {
        guard let open = name.firstIndex(of: "["), listFields.contains(String(name[..<open])) else { return nil }
        let afterOpen = name.index(after: open)
        guard let close = name[afterOpen...].firstIndex(of: "]"), close > afterOpen else { return nil }
        let digits = name[afterOpen..<close]
        guard digits.allSatisfy({ ("0"..."9").contains($0) }) else { return nil }
        guard digits.count <= 6, let index = Int(digits) else { throw .invalid(field: name, "numbers a list item beyond 999999") }
        var key = name[name.index(after: close)...]
        if key.hasPrefix("["), key.hasSuffix("]"), key.count > 2 {
            key = key.dropFirst().dropLast()
        } else if key.hasPrefix(".") {
            key = key.dropFirst()
        }
        return (String(name[..<open]), index, key.isEmpty ? nil : String(key))
    }

    /// `tags[]` (how PHP and jQuery name a list) is `tags`.
    private static func fieldName(_ name: String) -> String {
        name.hasSuffix("[]") ? String(name.dropLast(2)) : name
    }

    private static func decode(_ component: Substring) -> String? {
        component.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }

    /// A parameter of the Content-Disposition header among a part's headers: `name="title"`.
    private static func dispositionParameter(_ parameter: String, in headers: String) -> String? {
        for line in headers.split(separator: "\r\n") where line.lowercased().hasPrefix("content-disposition:") {
            for item in line.split(separator: ";").dropFirst() {
                let pair = item.split(separator: "=", maxSplits: 1)
                guard pair.count == 2, pair[0].trimmingCharacters(in: .whitespaces).lowercased() == parameter else { continue }
                var value = pair[1].trimmingCharacters(in: .whitespaces)
                if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
                return value
            }
        }
        return nil
    }

    /// Where `needle` starts in `haystack`, left to right, without overlaps.
    private static func occurrences(of needle: [UInt8], in haystack: [UInt8]) -> [Int] {
        guard !needle.isEmpty, haystack.count >= needle.count else { return [] }
        var found: [Int] = []
        var index = 0
        let first = needle[0]
        while index <= haystack.count - needle.count {
            if haystack[index] == first, haystack[index..<(index + needle.count)].elementsEqual(needle) {
                found.append(index)
                index += needle.count
            } else {
                index += 1
            }
        }
        return found
    }
}
