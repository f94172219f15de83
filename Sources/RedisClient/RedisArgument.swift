/// One argument of a command: text or raw bytes, sent with its exact length.
public struct RedisArgument: Sendable, ExpressibleByStringLiteral {
    public var bytes: [UInt8]

    public init(bytes: [UInt8]) { self.bytes = bytes }
    public init(_ text: String) { self.bytes = Array(text.utf8) }
    public init(stringLiteral text: String) { self.init(text) }
    public init(_ number: Int) { self.init(String(number)) }
}
