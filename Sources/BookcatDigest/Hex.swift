extension Sequence where Element == UInt8 {
    /// Lower-case hexadecimal, two digits a byte: how digests and random keys are written in keys, ETags and logs.
    ///
    /// Inlinable so that callers in other modules get a copy specialised for their sequence: the generic one
    /// walked a digest's bytes through protocol witnesses, about 2% of a cache hit.
    @inlinable
    public var hexString: String {
        var text: [UInt8] = []
        text.reserveCapacity(underestimatedCount * 2)
        for byte in self {
            text.append(Self.hexDigit(byte >> 4))
            text.append(Self.hexDigit(byte & 0x0F))
        }
        return String(decoding: text, as: UTF8.self)
    }

    @inlinable
    static func hexDigit(_ value: UInt8) -> UInt8 {
        value < 10 ? UInt8(ascii: "0") + value : UInt8(ascii: "a") + value - 10
    }
}
