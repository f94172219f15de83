import BookcatCore
import BookcatDigest
import Foundation

/// Writes JSON straight into bytes, for the bodies a listing renders on every cache miss.
///
/// Foundation's `JSONEncoder` spent over a third of an uncached listing's CPU time (generic containers, dynamic
/// casts, a date formatter per value). The types that adopt ``JSONRenderable`` write the same bytes it writes with
/// ``JSONCoding/makeEncoder()`` (keys in byte order, slashes unescaped, ISO 8601 dates in UTC to the second), so
/// ETags do not change; a test compares the two on hostile text and dates.
struct JSONOutput {
    private(set) var bytes: [UInt8] = []
    /// Whether the object being written has no member yet (no comma before the next one).
    private var isFirstMember = true

    init() {
        bytes.reserveCapacity(1024)
    }

    /// Writes an object; `body` writes its members with ``member(_:_:)``, keys in byte order.
    ///
    /// Everything is written into this one buffer in place (a nested writer holding a copy of it would copy the
    /// whole body on each append).
    mutating func object(_ body: (inout JSONOutput) -> Void) {
        bytes.append(UInt8(ascii: "{"))
        let outer = isFirstMember
        isFirstMember = true
        body(&self)
        isFirstMember = outer
        bytes.append(UInt8(ascii: "}"))
    }

    /// One member of the object being written. Keys are written as given: callers list them in byte order, as
    /// `.sortedKeys` does.
    mutating func member(_ key: StaticString, _ write: (inout JSONOutput) -> Void) {
        if !isFirstMember { bytes.append(UInt8(ascii: ",")) }
        isFirstMember = false
        bytes.append(UInt8(ascii: "\""))
        key.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
        write(&self)
    }

    mutating func array<Element>(_ elements: [Element], _ write: (inout JSONOutput, Element) -> Void) {
        bytes.append(UInt8(ascii: "["))
        for (index, element) in elements.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            write(&self, element)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    mutating func null() {
        bytes.append(contentsOf: "null".utf8)
    }

    mutating func integer(_ value: some BinaryInteger) {
        bytes.append(contentsOf: String(value).utf8)
    }

    mutating func string(_ value: String?) {
        guard let value else { return null() }
        bytes.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x08: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
            case 0x09: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0x0A: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0C: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
            case 0x0D: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x00..<0x20:
                bytes.append(contentsOf: "\\u00".utf8)
                bytes.append(contentsOf: CollectionOfOne(byte).hexString.utf8)
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// `yyyy-MM-ddTHH:mm:ssZ` in UTC, fractions of a second dropped (rounded down), as `JSONEncoder`'s `.iso8601`.
    mutating func date(_ value: Date?) {
        guard let value else { return null() }
        let seconds = Int64(value.timeIntervalSince1970.rounded(.down))
        // Foundation switches to the Julian calendar before October 1582; stored timestamps never go there, but a
        // date outside the plain Gregorian range is left to Foundation rather than written differently.
        guard (Self.firstGregorianSecond...Self.lastFourDigitYearSecond).contains(seconds) else {
            return string(value.formatted(.iso8601))
        }
        let (days, secondOfDay) = seconds.quotientAndRemainderRoundingDown(dividingBy: 86_400)
        let (year, month, day) = Self.civilDate(daysSince1970: days)
        bytes.append(UInt8(ascii: "\""))
        appendDigits(year, count: 4)
        bytes.append(UInt8(ascii: "-"))
        appendDigits(month, count: 2)
        bytes.append(UInt8(ascii: "-"))
        appendDigits(day, count: 2)
        bytes.append(UInt8(ascii: "T"))
        appendDigits(secondOfDay / 3600, count: 2)
        bytes.append(UInt8(ascii: ":"))
        appendDigits(secondOfDay / 60 % 60, count: 2)
        bytes.append(UInt8(ascii: ":"))
        appendDigits(secondOfDay % 60, count: 2)
        bytes.append(contentsOf: [UInt8(ascii: "Z"), UInt8(ascii: "\"")])
    }

    mutating func value(_ value: some JSONRenderable) {
        value.render(into: &self)
    }

    /// 1583-01-01T00:00:00Z and 9999-12-31T23:59:59Z.
    private static let firstGregorianSecond: Int64 = -12_212_553_600
    private static let lastFourDigitYearSecond: Int64 = 253_402_300_799

    /// `value` in exactly `count` decimal digits, zero-padded.
    private mutating func appendDigits(_ value: Int64, count: Int) {
        var divisor: Int64 = 1
        for _ in 1..<count { divisor *= 10 }
        while divisor > 0 {
            bytes.append(UInt8(ascii: "0") + UInt8(value / divisor % 10))
            divisor /= 10
        }
    }

    /// Year, month and day of the proleptic Gregorian calendar (Howard Hinnant's `civil_from_days`).
    private static func civilDate(daysSince1970: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = daysSince1970 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

/// A response body that writes itself with ``JSONOutput``.
protocol JSONRenderable: Sendable {
    func render(into output: inout JSONOutput)
}

extension JSONRenderable {
    var jsonBytes: [UInt8] {
        var output = JSONOutput()
        render(into: &output)
        return output.bytes
    }
}

extension Array: JSONRenderable where Element: JSONRenderable {
    func render(into output: inout JSONOutput) {
        output.array(self) { $0.value($1) }
    }
}

extension Int64 {
    fileprivate func quotientAndRemainderRoundingDown(dividingBy divisor: Int64) -> (Int64, Int64) {
        let (quotient, remainder) = quotientAndRemainder(dividingBy: divisor)
        return remainder < 0 ? (quotient - 1, remainder + divisor) : (quotient, remainder)
    }
}
