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
}
