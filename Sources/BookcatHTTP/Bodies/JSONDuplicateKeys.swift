import Foundation

/// Finds an object key given twice in a JSON text. Foundation keeps one of them silently (the first), while a
/// proxy or a client library in front may keep the other (RFC 8259 §4 leaves it to each): the two then disagree on
/// what was sent. Forms with a name given twice are refused (the field is not a list), so JSON is too.
///
/// One pass over the bytes, a set of keys per open object; text that is not JSON is left to the decoder to refuse.
enum JSONDuplicateKeys {
    private enum Container {
        case object(keys: Set<String>, expectingKey: Bool)
        case array
    }

    /// The first key an object repeats (escapes resolved, so `"a"` and `"\u0061"` are one key), nil when none.
    /// `data` is UTF-8 (the caller checked): a quote or a backslash byte is one there, never part of a character.
    static func first(in data: Data) -> String? {
        let bytes = [UInt8](data)
        let decoder = JSONDecoder()
        var open: [Container] = []
        var index = 0
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "{"): open.append(.object(keys: [], expectingKey: true))
            case UInt8(ascii: "["): open.append(.array)
            case UInt8(ascii: "}"), UInt8(ascii: "]"): _ = open.popLast()
            case UInt8(ascii: ","):
                if case .object(let keys, _) = open.last { open[open.count - 1] = .object(keys: keys, expectingKey: true) }
            case UInt8(ascii: "\""):
                let start = index
                index += 1
                while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
                    index += bytes[index] == UInt8(ascii: "\\") ? 2 : 1
                }
                guard index < bytes.count else { return nil }
                if case .object(var keys, true) = open.last {
                    let key = Self.text(of: bytes[start...index], decoder: decoder)
                    guard keys.insert(key).inserted else { return key }
                    open[open.count - 1] = .object(keys: keys, expectingKey: false)
                }
            default: break
            }
            index += 1
        }
        return nil
    }

    /// A string literal's text: as written when it has no escapes, decoded when it has.
    private static func text(of literal: ArraySlice<UInt8>, decoder: JSONDecoder) -> String {
        let raw = String(decoding: literal.dropFirst().dropLast(), as: UTF8.self)
        guard literal.contains(UInt8(ascii: "\\")) else { return raw }
        return (try? decoder.decode(String.self, from: Data(literal))) ?? raw
    }
}
