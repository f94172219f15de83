extension KeyedDecodingContainer {
    /// An optional field that may be left out but, when present, must not be `null`: the contract says "string",
    /// and silently reading `null` as "absent" would accept what the contract forbids.
    func decodeUnlessAbsent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        contains(key) ? try decode(T.self, forKey: key) : nil
    }
}
