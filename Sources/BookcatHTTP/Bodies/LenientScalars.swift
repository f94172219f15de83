import BookcatCore

/// The scalar coercions Django REST Framework applies, so the Django service's clients keep working: a whole number
/// may come as a string of one (`"stock": "3"`, and every field of a form body, which only has strings), text may
/// come as a number (`"isbn": 9780262033848`), and a boolean as `"true"`/`"false"`/`"1"`/`"0"`. Nothing else is
/// coerced: `"3.5"`, `"three"` and `true` for a number are still 400s naming the field.
extension KeyedDecodingContainer {
    func decodeWholeNumber<Number: FixedWidthInteger & Decodable>(_ type: Number.Type, forKey key: Key) throws -> Number {
        if let number = try? decode(Number.self, forKey: key) { return number }
        if let text = try? decode(String.self, forKey: key), let number = Number(text.trimmingWhitespace()) { return number }
        // Decoded again for the error it throws: the field's path and what it must be.
        return try decode(Number.self, forKey: key)
    }

    func decodeWholeNumberUnlessAbsent<Number: FixedWidthInteger & Decodable>(_ type: Number.Type, forKey key: Key) throws -> Number? {
        contains(key) ? try decodeWholeNumber(Number.self, forKey: key) : nil
    }

    /// Text, or a whole number written as text (DRF's CharField takes `9780262033848` and means the digits).
    func decodeTextOrNumber(forKey key: Key) throws -> String {
        if let number = try? decode(Int64.self, forKey: key) { return String(number) }
        return try decode(String.self, forKey: key)
    }

    func decodeTextOrNumberUnlessAbsent(forKey key: Key) throws -> String? {
        contains(key) ? try decodeTextOrNumber(forKey: key) : nil
    }

    func decodeBoolean(forKey key: Key) throws -> Bool {
        if let flag = try? decode(Bool.self, forKey: key) { return flag }
        if let text = try? decode(String.self, forKey: key) {
            switch text.trimmingWhitespace().lowercased() {
            case "true", "1": return true
            case "false", "0": return false
            default: break
            }
        }
        return try decode(Bool.self, forKey: key)
    }

    func decodeBooleanUnlessAbsent(forKey key: Key) throws -> Bool? {
        contains(key) ? try decodeBoolean(forKey: key) : nil
    }
}

/// A tag named in a book's `tags`: its id (`3`, or `"3"` from a form), or the Django service's object form,
/// `{"tag_id": 3}`, which its own code and tests send.
struct TagReference: Decodable {
    var id: Int64

    private enum CodingKeys: String, CodingKey {
        case tagID = "tag_id"
    }

    init(from decoder: any Decoder) throws {
        if let container = try? decoder.container(keyedBy: CodingKeys.self) {
            id = try container.decodeWholeNumber(Int64.self, forKey: .tagID)
            return
        }
        let single = try decoder.singleValueContainer()
        if let id = try? single.decode(Int64.self) {
            self.id = id
        } else if let text = try? single.decode(String.self), let id = Int64(text.trimmingWhitespace()) {
            self.id = id
        } else {
            throw DecodingError.typeMismatch(
                Int64.self,
                DecodingError.Context(codingPath: decoder.codingPath, debugDescription: "a tag id, or an object with tag_id")
            )
        }
    }
}
