/// A value the store holds that no write of this service stores (a hand edit, a damaged file, a bad import): the
/// read fails, saying where the value is, instead of answering with one made up in its place, which a client would
/// take for real. The HTTP layer answers it as any fault of the server: a logged 500.
public struct UnreadableStoredValue: Error, CustomStringConvertible {
    public let table: String
    public let rowID: Int64
    public let column: String
    public let value: String

    public init(table: String, rowID: Int64, column: String, value: String) {
        self.table = table
        self.rowID = rowID
        self.column = column
        self.value = value
    }

    public var description: String {
        "the store's \(table) \(rowID) holds \(column) \(value.debugDescription), which no write of this service stores"
    }
}

extension CalendarDate {
    /// A publication date as a store holds it: `YYYY-MM-DD`, or the error that says where it is not.
    public static func stored(_ text: String, book id: Int64) throws(UnreadableStoredValue) -> CalendarDate {
        guard let date = CalendarDate(text) else {
            throw UnreadableStoredValue(table: "book", rowID: id, column: "published_at", value: String(text.prefix(100)))
        }
        return date
    }
}
