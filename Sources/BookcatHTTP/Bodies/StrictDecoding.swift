import BookcatCore

extension KeyedDecodingContainer {
    /// An optional field that may be left out but, when present, must not be `null`: the contract says "string",
    /// and silently reading `null` as "absent" would accept what the contract forbids.
    func decodeUnlessAbsent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        contains(key) ? try decode(T.self, forKey: key) : nil
    }

    /// A string that goes on unvalidated (a login identifier, a password to verify): refused with a 400 naming the
    /// field when it is longer than `limit` (before anything normalises, folds or looks it up, whose cost grows
    /// with its length) or holds a control character, which the C libraries downstream would cut the value at.
    func decodeText(forKey key: Key, limit: TextLimit) throws -> String {
        let text = try decode(String.self, forKey: key)
        if let violation = limit.violation(in: text) ?? ControlCharacters.violation(in: text) {
            throw CatalogError.invalid(field: (codingPath + [key]).map(\.stringValue).joined(separator: "."), violation)
        }
        return text
    }

    /// ``decodeText(forKey:limit:)`` for a field that may be left out but is never `null`.
    func decodeTextUnlessAbsent(forKey key: Key, limit: TextLimit) throws -> String? {
        contains(key) ? try decodeText(forKey: key, limit: limit) : nil
    }

    /// A password presented to be verified: bounded like ``decodeText(forKey:limit:)``, but only NUL (which the C
    /// libraries would cut it at) is refused among the control characters. Bookcat's own passwords hold none, but an
    /// account imported from the Django service keeps the password it had, and Django took a tab in one.
    func decodePresentedPassword(forKey key: Key) throws -> String {
        let text = try decode(String.self, forKey: key)
        let nul = text.utf8.contains(0) ? "must not contain control characters (found U+0000)" : nil
        if let violation = TextLimit.presentedPassword.violation(in: text) ?? nul {
            throw CatalogError.invalid(field: (codingPath + [key]).map(\.stringValue).joined(separator: "."), violation)
        }
        return text
    }
}
