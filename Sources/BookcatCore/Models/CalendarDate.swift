/// A day in the proleptic Gregorian calendar, written `YYYY-MM-DD`.
///
/// Kept as its canonical text: it sorts correctly as a string and round-trips through SQLite and JSON unchanged.
public struct CalendarDate: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    /// Parses `YYYY-MM-DD` (four-digit year 0001–9999) and rejects days that do not exist, such as `2023-02-29`.
    ///
    /// Reads the UTF-8 bytes directly (ten of them: ASCII digits and two dashes): every listing page parses a hundred
    /// of these, and splitting into `Character`s cost more than the page's SQL.
    public init?(_ text: String) {
        guard let (year, month, day) = text.utf8.withContiguousStorageIfAvailable({ Self.parse($0) }) ?? Self.parse(Array(text.utf8)),
            year >= 1, (1...12).contains(month), day >= 1, day <= Self.daysIn(month: month, year: year)
        else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    public var description: String {
        var bytes = [UInt8](repeating: UInt8(ascii: "-"), count: 10)
        for (value, range) in [(year, 0..<4), (month, 5..<7), (day, 8..<10)] {
            var rest = value
            for index in range.reversed() {
                bytes[index] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func parse(_ bytes: some Collection<UInt8>) -> (Int, Int, Int)? {
        guard bytes.count == 10 else { return nil }
        var fields = (0, 0, 0)
        for (index, byte) in bytes.enumerated() {
            if index == 4 || index == 7 {
                guard byte == UInt8(ascii: "-") else { return nil }
                continue
            }
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            let digit = Int(byte - UInt8(ascii: "0"))
            switch index {
            case 0..<4: fields.0 = fields.0 * 10 + digit
            case 5..<7: fields.1 = fields.1 * 10 + digit
            default: fields.2 = fields.2 * 10 + digit
            }
        }
        return fields
    }

    public static func < (lhs: CalendarDate, rhs: CalendarDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}

extension Character {
    /// Only `0`–`9`: `Character.isNumber` also accepts digits of other scripts, which ids and ISBNs must not contain.
    var isASCIIDigit: Bool { isASCII && isWholeNumber }
}
