import BookcatCore
import Foundation
import GRDB

/// One row of the Django service's database, read through one checked boundary: every value by the storage class
/// SQLite really holds (whatever the column's declared type says), every text as its bytes (GRDB's text accessors
/// stop at a NUL byte, which would cut `mem\0ber` to `mem` without a word) and then through the API's own rules
/// (``ValidationCollector``). A value it cannot take becomes a problem naming the row and the column, never a crash,
/// a truncation or a silent default.
struct DjangoRowReader {
    /// `book 7`: how problems name the row.
    let subject: String
    private let row: Row
    private(set) var problems: [String] = []
    /// What this row's values needed to be taken (a control character the service let in, replaced), a line each.
    private(set) var changes: [String] = []

    init(_ row: Row, subject: String) {
        (self.row, self.subject) = (row, subject)
    }

    /// Reads `row`'s `key` (a whole number in `range`) and returns it with a reader that names the row by it
    /// (`book 7`, or `book ?` when the key cannot be read), the key's problems already among its own.
    static func keyed(_ row: Row, table: String, key: String, in range: ClosedRange<Int64> = 1...Int64.max) -> (id: Int64?, reader: Self) {
        var keyReader = DjangoRowReader(row, subject: table)
        let id = keyReader.integer(key, in: range)
        var reader = DjangoRowReader(row, subject: "\(table) \(id.map(String.init) ?? "?")")
        reader.problems = keyReader.problems
        return (id, reader)
    }

    /// `text` with every control character (C0 and DEL) a space: what the service let into a text bookcat's rules
    /// keep free of them.
    static func spacingControls(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { $0.value < 32 || $0.value == 127 ? " " : $0 }))
    }

    /// The SELECT list that gives this reader what it needs of `columns`: each value, its storage class and, for
    /// text, its bytes.
    static func selection(_ columns: [String]) -> String {
        columns.map { #"\#($0), typeof(\#($0)) AS "\#($0):type", CAST(\#($0) AS BLOB) AS "\#($0):bytes""# }.joined(separator: ", ")
    }

    mutating func fail(_ column: String, _ problem: String) {
        problems.append("\(subject): \(column) \(problem)")
    }

    /// A whole number in `range`, stored as an integer.
    mutating func integer(_ column: String, in range: ClosedRange<Int64>) -> Int64? {
        guard case .int64(let value) = storage(column) else {
            fail(column, "is \(description(of: column)), not a whole number")
            return nil
        }
        guard range.contains(value) else {
            fail(column, "is \(value), outside \(range.lowerBound)…\(range.upperBound)")
            return nil
        }
        return value
    }

    /// Django's booleans: the integers 0 and 1.
    mutating func boolean(_ column: String) -> Bool? {
        guard case .int64(let value) = storage(column), value == 0 || value == 1 else {
            fail(column, "is \(description(of: column)), not a boolean (0 or 1)")
            return nil
        }
        return value == 1
    }

    /// Text as stored, every byte of it, in UTF-8; `allowingInteger` also takes a number stored as an integer (a
    /// numeric ISBN in a text column) as its digits. Nil (with a problem) for NULL, another storage class, or bytes
    /// that are not UTF-8. The caller applies the field's rules.
    mutating func text(_ column: String, allowingInteger: Bool = false) -> String? {
        let type: String? = row["\(column):type"]
        guard type == "text" || (allowingInteger && type == "integer"),
            case .blob(let bytes) = storage("\(column):bytes")
        else {
            // An empty text casts to an empty blob, which SQLite hands back as NULL.
            if type == "text" { return "" }
            fail(column, "is \(description(of: column)), not text")
            return nil
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            fail(column, "is not UTF-8 text")
            return nil
        }
        return text
    }

    /// Text the service let carry control characters (its serializers trim, but take a tab or a newline inside):
    /// each becomes a space, said in ``changes``; `fallback` stands in for one that then holds nothing. Anything
    /// else the API refuses (too long) is a problem.
    mutating func prose(_ column: String, maxLength: Int, fallback: String) -> String? {
        guard let stored = text(column) else { return nil }
        guard !stored.utf8.contains(0) else {
            fail(column, "holds a NUL byte (\(quoted(column))), which the service refused in every text it took")
            return nil
        }
        var check = ValidationCollector()
        let trimmed = check.requiredText(stored, field: column, maxLength: maxLength)
        if check.errors.isEmpty, trimmed == stored { return stored }
        let spaced = Self.spacingControls(stored)
        var recheck = ValidationCollector()
        var taken = recheck.requiredText(spaced, field: column, maxLength: maxLength)
        if recheck.errors.count == 1, spaced.trimmingWhitespace().isEmpty {
            (taken, recheck) = (fallback, ValidationCollector())
        }
        guard recheck.errors.isEmpty else {
            for error in recheck.errors { fail(column, "\(error.message) (\(quoted(column)))") }
            return nil
        }
        changes.append("\(subject): \(column) \(quoted(column)) breaks bookcat's rules: now \(DjangoFindings.quote(taken))")
        return taken
    }

    /// Applies `rule` (the API's checks) to a text value; its errors become this row's problems.
    mutating func checked<Value>(_ column: String, _ rule: (inout ValidationCollector) -> Value) -> Value? {
        var check = ValidationCollector()
        let value = rule(&check)
        for error in check.errors { fail(column, "\(error.message) (\(quoted(column)))") }
        return check.errors.isEmpty ? value : nil
    }

    /// What SQLite holds in `column` (of the SELECT), as it holds it; NULL for a column the SELECT lacks.
    private func storage(_ column: String) -> DatabaseValue.Storage {
        let value: DatabaseValue? = row[column]
        return value?.storage ?? .null
    }

    /// The stored value, for a message: `NULL`, `the text "lots"`, `the real number 3.5`, `a blob of 4 bytes`.
    private func description(of column: String) -> String {
        switch storage(column) {
        case .null: "NULL"
        case .int64(let value): "the integer \(value)"
        case .double(let value): "the real number \(value)"
        case .string: "the text \(quoted(column))"
        case .blob(let data): "a blob of \(data.count) bytes"
        }
    }

    /// The stored text, for a message (``DjangoFindings/quote(_:)``).
    private func quoted(_ column: String) -> String {
        guard case .blob(let bytes) = storage("\(column):bytes") else { return "\"\"" }
        return DjangoFindings.quote(String(decoding: bytes.prefix(160), as: UTF8.self))
    }
}
