import BookcatCore

/// Parses a raw query string into (name, value) pairs in order, decoding `+` and percent-escapes in both.
///
/// Stricter than a lenient parser on purpose: a malformed escape or bytes that are not UTF-8 are a 400 naming
/// the parameter, rather than being passed on half-decoded where they could split one logical query into two cache keys.
/// Control characters are refused here too (see ``ControlCharacters``): `title=abc%00` would otherwise reach FTS5.
enum QueryParameters {
    static func parse(_ query: String?) throws(CatalogError) -> [(name: String, value: String)] {
        guard let query, !query.isEmpty else { return [] }
        var pairs: [(name: String, value: String)] = []
        // Split on the bytes: `&` and `=` are ASCII, and splitting a `String` walks its grapheme clusters.
        for component in query.utf8.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let equals = component.firstIndex(of: UInt8(ascii: "="))
            guard let name = decode(component[..<(equals ?? component.endIndex)]) else {
                throw .invalid(field: "query", "contains a malformed percent-escape or invalid UTF-8")
            }
            guard let value = equals.map({ decode(component[component.index(after: $0)...]) }) ?? "" else {
                throw .invalid(field: name, "contains a malformed percent-escape or invalid UTF-8")
            }
            if let violation = ControlCharacters.violation(in: name) {
                throw .invalid(field: "query", "parameter names \(violation)")
            }
            if let violation = ControlCharacters.violation(in: value) {
                throw .invalid(field: name, violation)
            }
            pairs.append((name, value))
        }
        return pairs
    }

    private static func decode(_ text: Substring.UTF8View) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.count)
        var iterator = text.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "+"):
                bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else { return nil }
                bytes.append(high << 4 | low)
            default:
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
