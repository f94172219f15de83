import BookcatCore
import Foundation
import GRDB

/// The SQLite database of the Django service bookcat replaces (Scanf-s/django_example), read as a catalog to import:
/// `bookcat import-django`. Only a regular file, opened read-only; its layout is checked before anything is read, so
/// another database is refused with what was expected instead of half-imported. Every row is then read through
/// bookcat's rules (``DjangoRowReader``) before anything is written: values the service could not have written
/// refuse the import, each named (``DjangoFindings/refused``); what it allowed and bookcat does not is changed as
/// ``DjangoAccounts`` and ``DjangoTags`` say, each change named (``DjangoFindings/resolved``).
///
/// What changes on the way in, and why:
/// - Accounts keep Django's `pbkdf2_sha256$…` hash as it is: bookcat verifies it at login and then stores bcrypt.
///   Django kept no signup date, so `created_at` is the import's time. An account without a username (the service
///   made it optional) gets one derived from its e-mail, as a bookcat signup without one does (see ``DjangoAccounts``
///   for the other account changes).
/// - Books have no publisher there. Django's refresh tokens are not imported: they were signed with the service's
///   secret, so every account logs in once on bookcat.
/// - A returned loan's `returned_at` is its `updated_at`, the moment of the `PATCH` that returned it.
/// - Stock is as the service recorded it. Its returns never put copies back, so `recountingStock` adds every
///   returned loan's quantity back to its book: sound when nobody corrected stock by hand after a return.
public struct DjangoCatalog: CatalogExporting {
    /// What the service's database holds, for the import's summary.
    public struct Contents: Sendable, Equatable {
        public var users = 0
        public var tags = 0
        public var books = 0
        public var bookTags = 0
        public var loans = 0
        public var returnedLoans = 0
        /// Copies the service's returns did not put back, over all books.
        public var copiesNotRestocked = 0
        /// Refresh tokens the service issued: not imported.
        public var tokens = 0
    }

    /// Why a database cannot be imported; nothing was read past the check.
    public struct Refusal: Error, CustomStringConvertible {
        public let description: String
    }

    /// The tables and columns the service's migrations made (its app's `0001`…, Django 5.1).
    static let expectedColumns: [String: Set<String>] = [
        "user": ["id", "password", "last_login", "email", "role", "username"],
        "book": ["created_at", "updated_at", "book_id", "title", "author", "isbn", "stock", "published_at"],
        "tag": ["created_at", "updated_at", "tag_id", "name"],
        "book_tag": ["id", "book_id", "tag_id"],
        "loan": ["created_at", "updated_at", "loan_id", "quantity", "is_returned", "book_id", "user_id"],
        "token": ["created_at", "updated_at", "token_id", "token", "expired", "user_id"],
    ]

    private let reader: DatabaseQueue
    private let recountingStock: Bool
    /// Every account as it will be imported (``DjangoAccounts``).
    public let users: [CatalogRows.User]
    private let tags: DjangoTags
    /// Copies each book's returned loans hold, for `recountingStock`.
    private let returnedCopies: [Int64: Int64]
    public let contents: Contents
    /// What bookcat cannot take as it is: refused damage, and resolved conflicts (see ``DjangoFindings``).
    public let findings: DjangoFindings

    /// Opens `path` read-only, checks that it is the service's database, and reads every row through bookcat's rules
    /// (``findings``); writes nothing. `importedAt` becomes the accounts' `created_at`.
    /// Reading takes longer than `timeLimit` only for a file far beyond anything the service made (or one built to
    /// be slow): then it is interrupted and refused.
    public init(path: String, importedAt: Date, recountingStock: Bool, timeLimit: Duration = .seconds(600)) throws {
        let reader = try Self.open(path)
        self.reader = reader
        self.recountingStock = recountingStock
        let deadline = DjangoReadingDeadline(limit: timeLimit)
        do {
            (users, tags, returnedCopies, contents, findings) = try reader.read { db in
                try Self.checkLayout(db)
                return try Self.survey(db, importedAt: importedAt, recountingStock: recountingStock, deadline: deadline)
            }
        } catch let refusal as Refusal {
            throw refusal
        } catch is DjangoReadingDeadline.Passed {
            throw Refusal(description: "\(path) took longer than \(timeLimit.components.seconds) s to read; nothing was imported")
        } catch {
            throw Refusal(description: "\(path) could not be read as the Django service's database (\(error))")
        }
    }

    /// Only a regular file (through symlinks), opened read-only: a FIFO or a device would block the open or the first
    /// read for as long as nobody writes to it.
    private static func open(_ path: String) throws -> DatabaseQueue {
        let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: resolved),
            FileManager.default.isReadableFile(atPath: resolved)
        else { throw Refusal(description: "\(path) does not exist or cannot be read") }
        guard attributes[.type] as? FileAttributeType == .typeRegular else {
            throw Refusal(description: "\(path) is not a regular file (a FIFO, a device or a folder): give the service's db.sqlite3")
        }
        var configuration = Configuration()
        configuration.readonly = true
        do {
            return try DatabaseQueue(path: resolved, configuration: configuration)
        } catch {
            throw Refusal(description: "\(path) is not a SQLite database the Django service made (\(error))")
        }
    }
    private static func checkLayout(_ db: Database) throws {
        var problems: [String] = []
        for (table, expected) in expectedColumns.sorted(by: { $0.key < $1.key }) {
            let found = try db.tableExists(table) ? Set(try db.columns(in: table).map(\.name)) : []
            if found.isEmpty {
                problems.append("no table \"\(table)\"")
            } else if found != expected {
                let missing = expected.subtracting(found).sorted()
                let extra = found.subtracting(expected).sorted()
                var what: [String] = []
                if !missing.isEmpty { what.append("without \(missing.joined(separator: ", "))") }
                if !extra.isEmpty { what.append("with \(extra.joined(separator: ", ")) (a newer schema?)") }
                problems.append("table \"\(table)\" \(what.joined(separator: " and "))")
            }
        }
        guard problems.isEmpty else {
            let layout = expectedColumns.keys.sorted().map { "\($0)(\(expectedColumns[$0]!.sorted().joined(separator: ", ")))" }
            throw Refusal(
                description: "not the Django service's database: \(problems.joined(separator: "; ")). Expected the tables "
                    + layout.joined(separator: ", ")
            )
        }
        // The service's migrations make each key the table's INTEGER PRIMARY KEY: the rowid itself, so a key is a
        // unique whole number and reading in key order reads the table, not an index that may disagree with it. No
        // generated columns: a few bytes of schema could make every value hundreds of megabytes.
        for (table, key) in keyColumns.sorted(by: { $0.key < $1.key }) {
            let columns = try Row.fetchAll(db, sql: "PRAGMA table_xinfo(\(table.quotedDatabaseIdentifier))")
            let primary = columns.filter { ($0["pk"] as Int64? ?? 0) > 0 }
            if primary.count != 1 || (primary.first?["name"] as String?) != key || (primary.first?["type"] as String?)?.uppercased() != "INTEGER" {
                problems.append("\(table).\(key) is not the table's INTEGER PRIMARY KEY")
            }
            if columns.contains(where: { ($0["hidden"] as Int64? ?? 0) != 0 }) { problems.append("table \"\(table)\" has generated columns") }
        }
        guard problems.isEmpty else {
            throw Refusal(description: "not a database the Django service's migrations made: \(problems.joined(separator: "; "))")
        }
        // A damaged index can hand out another row's values in key order while the table holds the right ones.
        let integrity = try String.fetchAll(db, sql: "PRAGMA integrity_check(20)")
        guard integrity == ["ok"] else {
            throw Refusal(description: "the database is damaged (SQLite's integrity check: \(integrity.prefix(3).joined(separator: "; ")))")
        }
    }

    /// Each table's key, which the service's migrations made its `INTEGER PRIMARY KEY`.
    public static let keyColumns = ["user": "id", "tag": "tag_id", "book": "book_id", "book_tag": "id", "loan": "loan_id", "token": "token_id"]

    private static func survey(
        _ db: Database,
        importedAt: Date,
        recountingStock: Bool,
        deadline: DjangoReadingDeadline
    ) throws -> ([CatalogRows.User], DjangoTags, [Int64: Int64], Contents, DjangoFindings) {
        var findings = DjangoFindings()
        var contents = Contents()
        let users = try DjangoAccounts.read(db, importedAt: importedAt, deadline: deadline, findings: &findings)
        let tags = try DjangoTags.read(db, deadline: deadline, findings: &findings)
        contents.users = users.count
        contents.tags = tags.kept.count
        let userIDs = Set(users.map(\.id))

        var bookIDs = Set<Int64>()
        let books = try Row.fetchCursor(db, sql: "SELECT \(DjangoRowReader.selection(bookColumns)) FROM book ORDER BY rowid")
        while let row = try books.next() {
            try deadline.check()
            let book = Self.book(row, returned: 0)
            findings.refused += book.problems
            if !recountingStock { findings.resolved += book.changes }
            if let id = book.id, !bookIDs.insert(id).inserted { findings.refused.append("book \(id): book_id appears twice") }
        }
        contents.books = bookIDs.count

        var returned: [Int64: Int64] = [:]
        let loans = try Row.fetchCursor(db, sql: "SELECT \(DjangoRowReader.selection(loanColumns)) FROM loan ORDER BY rowid")
        while let row = try loans.next() {
            try deadline.check()
            let loan = Self.loan(row, users: userIDs, books: bookIDs)
            findings.refused += loan.problems
            if let skipped = loan.skipped { findings.resolved.append(skipped) }
            guard let loan = loan.loan else { continue }
            contents.loans += 1
            guard loan.isReturned else { continue }
            contents.returnedLoans += 1
            // Each at most 2³¹ − 1, so a sum overflows only past 2³² returned loans of one book: capped, and a
            // recount past the stores' limit is refused below.
            let (sum, overflow) = returned[loan.bookID, default: 0].addingReportingOverflow(Int64(loan.quantity))
            returned[loan.bookID] = overflow ? Int64.max : sum
            let (copies, copiesOverflow) = contents.copiesNotRestocked.addingReportingOverflow(loan.quantity)
            contents.copiesNotRestocked = copiesOverflow ? Int.max : copies
        }
        if recountingStock {
            let stocks = try Row.fetchCursor(db, sql: "SELECT \(DjangoRowReader.selection(bookColumns)) FROM book ORDER BY rowid")
            while let row = try stocks.next() {
                try deadline.check()
                guard let id = Self.book(row, returned: 0).row?.id else { continue }
                let book = Self.book(row, returned: min(returned[id] ?? 0, largestCount))
                findings.refused += book.problems
                findings.resolved += book.changes
            }
        }

        var links = 0
        try Self.walkLinks(db, books: bookIDs, tags: tags, deadline: deadline, findings: &findings) { batch in links += batch.count }
        contents.bookTags = links
        contents.tokens = try Int.fetchOne(db, sql: "SELECT count(*) FROM token") ?? 0
        return (users, tags, returned, contents, findings)
    }

    static let bookColumns = ["book_id", "title", "author", "isbn", "stock", "published_at", "created_at", "updated_at"]
    static let loanColumns = ["loan_id", "user_id", "book_id", "quantity", "is_returned", "created_at", "updated_at"]

    /// The largest stock or loan quantity bookcat's stores hold (PostgreSQL's `integer`).
    static let largestCount = Int64(Int32.max)

    /// A book row through the API's rules, `returned` copies put back: the row, or the problems that refuse it, and
    /// the changes it needed.
    private static func book(
        _ row: Row,
        returned: Int64
    ) -> (id: Int64?, row: CatalogRows.Book?, problems: [String], changes: [String]) {
        var (id, reader) = DjangoRowReader.keyed(row, table: "book", key: "book_id")
        let title = reader.prose("title", maxLength: BookRules.maximumTextLength, fallback: "Untitled \(id ?? 0)")
        let author = reader.prose("author", maxLength: BookRules.maximumTextLength, fallback: "Unknown")
        let isbn = reader.text("isbn", allowingInteger: true).flatMap { text in reader.checked("isbn") { $0.isbn(text) } }
        let stock = reader.integer("stock", in: 0...largestCount)
        let publishedAt = reader.text("published_at")
        if let publishedAt, CalendarDate(publishedAt) == nil { reader.fail("published_at", "is \(DjangoFindings.quote(publishedAt)), not a date") }
        let createdAt = reader.text("created_at").flatMap { moment($0, column: "created_at", reader: &reader) }
        let updatedAt = reader.text("updated_at").flatMap { moment($0, column: "updated_at", reader: &reader) }
        // Both at most 2³¹ − 1 here, so the sum cannot overflow; past the stores' limit it is refused.
        var recounted = stock.map { $0 + returned }
        if let total = recounted, total > largestCount {
            reader.fail("stock", "would be \(total) with its \(returned) returned copies back, beyond the \(largestCount) bookcat stores")
            recounted = nil
        }
        var changes = reader.changes
        if let total = recounted, total > Int64(BookRules.maximumStock), let id {
            changes.append("book \(id): stock \(total) is beyond the \(BookRules.maximumStock) the API takes in a write: kept as it is")
        }
        let problems = reader.problems
        guard problems.isEmpty, let id, let title, let author, let isbn, let recounted, let publishedAt, let createdAt, let updatedAt
        else { return (id, nil, problems, []) }
        let book = CatalogRows.Book(
            id: id,
            title: title,
            author: author,
            isbn: isbn,
            publisher: nil,
            publishedAt: publishedAt,
            stock: Int(recounted),
            createdAt: createdAt,
            updatedAt: updatedAt
        )
        return (id, book, [], changes)
    }

    /// A loan row through bookcat's rules, its account and book among those imported: the loan, or the problems that
    /// refuse it, or (a loan of 0 copies, which the service took and which moved nothing) the line that says it is
    /// not imported.
    private static func loan(_ row: Row, users: Set<Int64>, books: Set<Int64>) -> (loan: Loan?, problems: [String], skipped: String?) {
        var (id, reader) = DjangoRowReader.keyed(row, table: "loan", key: "loan_id")
        let userID = reader.integer("user_id", in: 1...Int64.max)
        if let userID, !users.contains(userID) { reader.fail("user_id", "is \(userID), an account the database does not hold") }
        let bookID = reader.integer("book_id", in: 1...Int64.max)
        if let bookID, !books.contains(bookID) { reader.fail("book_id", "is \(bookID), a book the database does not hold") }
        let quantity = reader.integer("quantity", in: 0...largestCount)
        let isReturned = reader.boolean("is_returned")
        let createdAt = reader.text("created_at").flatMap { moment($0, column: "created_at", reader: &reader) }
        let updatedAt = reader.text("updated_at").flatMap { moment($0, column: "updated_at", reader: &reader) }
        let problems = reader.problems
        guard problems.isEmpty, let id, let userID, let bookID, let quantity, let isReturned, let createdAt, let updatedAt else {
            return (nil, problems, nil)
        }
        guard quantity > 0 else {
            return (nil, [], "loan \(id): of 0 copies (the service took it; it moved no stock and cannot be returned): not imported")
        }
        let loan = Loan(
            id: id,
            userID: userID,
            bookID: bookID,
            quantity: Int(quantity),
            isReturned: isReturned,
            createdAt: createdAt,
            returnedAt: isReturned ? updatedAt : nil
        )
        return (loan, [], nil)
    }

    private static func moment(_ text: String, column: String, reader: inout DjangoRowReader) -> Date? {
        guard let date = try? moment(text, field: column) else {
            reader.fail(column, "is \(DjangoFindings.quote(text)), not a Django datetime")
            return nil
        }
        return date
    }

    /// The book-tag links as bookcat will hold them, in key order, a batch at most 1,000 at a time: each moved to
    /// the tag it was merged into, once per book. A link to a tag or a book that no longer exists (the service left
    /// them when it deleted one) is not imported, and said.
    private static func walkLinks(
        _ db: Database,
        books: Set<Int64>,
        tags: DjangoTags,
        deadline: DjangoReadingDeadline = .none,
        findings: inout DjangoFindings,
        _ visit: ([CatalogRows.BookTag]) throws -> Void
    ) throws {
        var group: (book: Int64, tags: Set<Int64>)?
        // The tags the current book's rows name as stored, to tell a repeated row from links that a merge joined.
        var linked = Set<Int64>()
        var batch: [CatalogRows.BookTag] = []
        func flush(_ group: (book: Int64, tags: Set<Int64>)?) throws {
            guard let group else { return }
            batch += group.tags.sorted().map { CatalogRows.BookTag(bookID: group.book, tagID: $0) }
            if batch.count >= 1_000 {
                try visit(batch)
                batch = []
            }
        }
        let rows = try Row.fetchCursor(
            db,
            sql: "SELECT \(DjangoRowReader.selection(["id", "book_id", "tag_id"])) FROM book_tag ORDER BY book_id, tag_id, rowid"
        )
        while let row = try rows.next() {
            try deadline.check()
            var (_, reader) = DjangoRowReader.keyed(row, table: "book_tag", key: "id")
            if (row["tag_id:type"] as String?) == "null" {
                findings.resolved.append("\(reader.subject): links a book to no tag (the service deleted it): not imported")
                continue
            }
            let bookID = reader.integer("book_id", in: 1...Int64.max)
            // Any whole number: the service made tags of ids ≤ 0 (``DjangoTags`` gives them new ones).
            let tagID = reader.integer("tag_id", in: Int64.min...Int64.max)
            findings.refused += reader.problems
            guard let bookID, let tagID, reader.problems.isEmpty else { continue }
            guard books.contains(bookID), let target = tags.target(of: tagID) else {
                let missing = books.contains(bookID) ? "tag \(tagID)" : "book \(bookID)"
                findings.resolved.append("\(reader.subject): links to \(missing), which the database does not hold: not imported")
                continue
            }
            if group?.book != bookID {
                try flush(group)
                (group, linked) = ((bookID, []), [])
            }
            if !linked.insert(tagID).inserted {
                findings.resolved.append("\(reader.subject): links book \(bookID) to tag \(tagID) again: imported once")
            }
            group?.tags.insert(target)
        }
        try flush(group)
        if !batch.isEmpty { try visit(batch) }
    }

    public func exportCatalog(batchSize: Int, _ visit: (CatalogBatch) async throws -> Void) async throws {
        guard findings.refused.isEmpty else { throw Refusal(description: Self.refusal(findings.refused)) }
        for start in stride(from: 0, to: users.count, by: batchSize) {
            try await visit(.users(Array(users[start..<min(start + batchSize, users.count)])))
        }
        for start in stride(from: 0, to: tags.kept.count, by: batchSize) {
            try await visit(.tags(Array(tags.kept[start..<min(start + batchSize, tags.kept.count)])))
        }
        let (returnedCopies, restocking) = (self.returnedCopies, recountingStock)
        try await walk(batchSize: batchSize, table: "book", key: "book_id", columns: Self.bookColumns, visit) { rows in
            .books(
                try rows.map { row in
                    let id = DjangoRowReader.keyed(row, table: "book", key: "book_id").id ?? 0
                    guard let book = Self.book(row, returned: restocking ? min(returnedCopies[id] ?? 0, Self.largestCount) : 0).row else {
                        throw Refusal(description: "book \(id) changed while it was read")
                    }
                    return book
                }
            )
        }
        let bookIDs = try await reader.read { db in Set(try Int64.fetchAll(db, sql: "SELECT book_id FROM book")) }
        let links = try await reader.read { [tags] db in
            var links: [CatalogRows.BookTag] = []
            var findings = DjangoFindings()
            try Self.walkLinks(db, books: bookIDs, tags: tags, findings: &findings) { links += $0 }
            return links
        }
        for start in stride(from: 0, to: links.count, by: batchSize) {
            try await visit(.bookTags(Array(links[start..<min(start + batchSize, links.count)])))
        }
        let userIDs = Set(users.map(\.id))
        try await walk(batchSize: batchSize, table: "loan", key: "loan_id", columns: Self.loanColumns, visit) { rows in
            .loans(
                try rows.compactMap { row in
                    let loan = Self.loan(row, users: userIDs, books: bookIDs)
                    if loan.skipped != nil { return nil }
                    guard let taken = loan.loan else { throw Refusal(description: "a loan changed while it was read") }
                    return taken
                }
            )
        }
    }

    /// Reads `table` a batch at a time in the order of its `key` (export order is key order), which the survey found
    /// to be a whole number of at least 1 in every row, each once.
    private func walk(
        batchSize: Int,
        table: String,
        key: String,
        columns: [String],
        _ visit: (CatalogBatch) async throws -> Void,
        convert: @escaping @Sendable ([Row]) throws -> CatalogBatch
    ) async throws {
        var after: Int64 = 0
        while true {
            let (batch, last) = try await reader.read { [after] db in
                let rows = try Row.fetchAll(
                    db,
                    sql: "SELECT \(DjangoRowReader.selection(columns)) FROM \(table) WHERE \(key) > ? ORDER BY \(key) LIMIT ?",
                    arguments: [after, batchSize]
                )
                return (try convert(rows), rows.count == batchSize ? rows.last.map { $0[key] as Int64 } : nil)
            }
            // A batch may hold fewer rows than were read (a loan not imported); only a short read ends the table.
            if batch.count > 0 { try await visit(batch) }
            guard let last else { return }
            after = last
        }
    }

    /// The refusal of a database with damaged rows: the first 20, and how to see them all.
    static func refusal(_ refused: [String]) -> String {
        let shown = refused.prefix(20).map { "\n  \($0)" }.joined()
        let more = refused.count > 20 ? "\n  … and \(refused.count - 20) more" : ""
        return "the database holds \(refused.count) values bookcat cannot take (the service could not have written them: "
            + "a damaged or crafted file):\(shown)\(more)\n(bookcat import-django --check lists every one)"
    }

    /// Django's `datetime` columns: UTC, exactly `YYYY-MM-DD HH:MM:SS[.ffffff]` with every part in its range (no
    /// offset, no 30 February, no year 0 or 99999), kept to the millisecond, as bookcat stores every time.
    public static func moment(_ text: String, field: String) throws -> Date {
        let refusal = Refusal(description: "\(field) is \"\(text)\", not a Django datetime")
        let bytes = Array(text.utf8)
        guard bytes.count == 19 || (21...26).contains(bytes.count) else { throw refusal }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for byte in bytes[range] {
                guard (48...57).contains(byte) else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            return value
        }
        guard bytes[4] == 45, bytes[7] == 45, bytes[10] == 32, bytes[13] == 58, bytes[16] == 58,
            let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
            let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
            bytes.count == 19 || (bytes[19] == 46 && number(20..<bytes.count) != nil)
        else { throw refusal }
        let fraction = bytes.count == 19 ? "000" : String(decoding: bytes[20...], as: UTF8.self).padding(toLength: 3, withPad: "0", startingAt: 0)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .gmt
        let components = DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        guard year >= 1, hour < 24, minute < 60, second < 60, components.isValidDate(in: calendar),
            let date = calendar.date(from: components), let milliseconds = Int64(fraction.prefix(3))
        else { throw refusal }
        return Date(timeIntervalSince1970: Double(Int64(date.timeIntervalSince1970) * 1000 + milliseconds) / 1000)
    }
}
