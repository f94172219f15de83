import BookcatCore
import Foundation
import GRDB

/// The SQLite database of the Django service bookcat replaces (Scanf-s/django_example), read as a catalog to import:
/// `bookcat import-django`. Opened read-only; its layout is checked before anything is read, so another database is
/// refused with what was expected instead of half-imported.
///
/// What changes on the way in, and why:
/// - Accounts keep Django's `pbkdf2_sha256$…` hash as it is: bookcat verifies it at login and then stores bcrypt.
///   Django kept no signup date, so `created_at` is the import's time. An account without a username (the service
///   made it optional) gets one derived from its e-mail, as a bookcat signup without one does.
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
        /// Accounts the service kept without a username.
        public var usernamesDerived = 0
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
    private let importedAt: Date
    private let recountingStock: Bool
    /// Every account as it will be imported: usernames derived and skeletons made unique across the whole table.
    private let users: [CatalogRows.User]
    public let contents: Contents

    /// Opens `path` read-only and checks that it is the service's database. `importedAt` becomes the accounts'
    /// `created_at`.
    public init(path: String, importedAt: Date, recountingStock: Bool) throws {
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw Refusal(description: "\(path) does not exist or cannot be read")
        }
        var configuration = Configuration()
        configuration.readonly = true
        do {
            reader = try DatabaseQueue(path: path, configuration: configuration)
            try reader.read { db in try Self.checkLayout(db) }
        } catch let refusal as Refusal {
            throw refusal
        } catch {
            throw Refusal(description: "\(path) is not a SQLite database the Django service made (\(error))")
        }
        (self.importedAt, self.recountingStock) = (importedAt, recountingStock)
        (users, contents) = try reader.read { db in try Self.survey(db, importedAt: importedAt) }
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
    }

    private static func survey(_ db: Database, importedAt: Date) throws -> ([CatalogRows.User], Contents) {
        var contents = Contents()
        var users: [CatalogRows.User] = []
        var takenSkeletons = Set<String>()
        var takenUsernames = Set<String>()
        let rows = try Row.fetchAll(db, sql: "SELECT id, password, email, role, username FROM user ORDER BY id")
        // Usernames the service stored come first, so a derived one never takes a name an account already had.
        for row in rows {
            if let username: String = row["username"], !username.isEmpty { takenUsernames.insert(UsernameSkeleton.of(username)) }
        }
        for row in rows {
            let id: Int64 = row["id"]
            let email: String = row["email"]
            let role: String = row["role"]
            guard Role(rawValue: role) != nil else {
                throw Refusal(description: "user \(id) has the role \"\(role)\"; the service knew only admin and user")
            }
            var username: String = row["username"] ?? ""
            if username.isEmpty {
                username = DerivedUsername.candidates(fromEmail: email).first { !takenUsernames.contains(UsernameSkeleton.of($0)) }!
                takenUsernames.insert(UsernameSkeleton.of(username))
                contents.usernamesDerived += 1
            }
            // Look-alikes the service let in both keep working under their exact names; the oldest gets the skeleton.
            var key = UsernameSkeleton.of(username)
            if !takenSkeletons.insert(key).inserted { key += "#\(id)" }
            users.append(
                CatalogRows.User(
                    id: id,
                    email: email.lowercased(),
                    username: username,
                    usernameKey: key,
                    passwordHash: row["password"],
                    role: role,
                    createdAt: importedAt
                )
            )
        }
        contents.users = users.count
        contents.tags = try Int.fetchOne(db, sql: "SELECT count(*) FROM tag") ?? 0
        contents.books = try Int.fetchOne(db, sql: "SELECT count(*) FROM book") ?? 0
        contents.bookTags = try Int.fetchOne(db, sql: "SELECT count(*) FROM book_tag WHERE book_id IS NOT NULL AND tag_id IS NOT NULL") ?? 0
        contents.loans = try Int.fetchOne(db, sql: "SELECT count(*) FROM loan") ?? 0
        contents.returnedLoans = try Int.fetchOne(db, sql: "SELECT count(*) FROM loan WHERE is_returned") ?? 0
        contents.copiesNotRestocked = try Int.fetchOne(db, sql: "SELECT coalesce(sum(quantity), 0) FROM loan WHERE is_returned") ?? 0
        contents.tokens = try Int.fetchOne(db, sql: "SELECT count(*) FROM token") ?? 0
        return (users, contents)
    }

    public func exportCatalog(batchSize: Int, _ visit: (CatalogBatch) async throws -> Void) async throws {
        for start in stride(from: 0, to: users.count, by: batchSize) {
            try await visit(.users(Array(users[start..<min(start + batchSize, users.count)])))
        }
        try await walk(batchSize: batchSize, visit) { db, after in
            let rows = try Row.fetchAll(
                db,
                sql: "SELECT tag_id, name FROM tag WHERE tag_id > ? ORDER BY tag_id LIMIT ?",
                arguments: [after, batchSize]
            )
            return (.tags(rows.map { Tag(id: $0["tag_id"], name: $0["name"]) }), rows.last?["tag_id"])
        }
        let restocking = recountingStock
        try await walk(batchSize: batchSize, visit) { db, after in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT book_id, title, author, isbn, stock, published_at, created_at, updated_at,
                           (SELECT coalesce(sum(quantity), 0) FROM loan WHERE loan.book_id = book.book_id AND is_returned) AS returned
                    FROM book WHERE book_id > ? ORDER BY book_id LIMIT ?
                    """,
                arguments: [after, batchSize]
            )
            let books = try rows.map { row in
                let id: Int64 = row["book_id"]
                let stock: Int = row["stock"]
                let returned: Int = row["returned"]
                guard stock >= 0 else { throw Refusal(description: "book \(id) has stock \(stock); bookcat's stock is never negative") }
                return CatalogRows.Book(
                    id: id,
                    title: row["title"],
                    author: row["author"],
                    // A number is text in bookcat (the service's column is text too; SQLite may hand back an integer).
                    isbn: Self.text(row["isbn"]),
                    publisher: nil,
                    publishedAt: try Self.day(row["published_at"], field: "book \(id) published_at"),
                    stock: restocking ? stock + returned : stock,
                    createdAt: try Self.moment(row["created_at"], field: "book \(id) created_at"),
                    updatedAt: try Self.moment(row["updated_at"], field: "book \(id) updated_at")
                )
            }
            return (.books(books), rows.last?["book_id"])
        }
        var afterLink: (Int64, Int64) = (0, 0)
        while true {
            let rows = try await reader.read { [afterLink] db in
                try Row.fetchAll(
                    db,
                    sql: """
                        SELECT book_id, tag_id FROM book_tag WHERE book_id IS NOT NULL AND tag_id IS NOT NULL
                          AND (book_id, tag_id) > (?, ?) ORDER BY book_id, tag_id LIMIT ?
                        """,
                    arguments: [afterLink.0, afterLink.1, batchSize]
                )
            }
            guard let last = rows.last else { break }
            try await visit(.bookTags(rows.map { CatalogRows.BookTag(bookID: $0["book_id"], tagID: $0["tag_id"]) }))
            guard rows.count == batchSize else { break }
            afterLink = (last["book_id"], last["tag_id"])
        }
        try await walk(batchSize: batchSize, visit) { db, after in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT loan_id, user_id, book_id, quantity, is_returned, created_at, updated_at FROM loan
                    WHERE loan_id > ? ORDER BY loan_id LIMIT ?
                    """,
                arguments: [after, batchSize]
            )
            let loans = try rows.map { row in
                let id: Int64 = row["loan_id"]
                let quantity: Int = row["quantity"]
                guard quantity >= 1 else { throw Refusal(description: "loan \(id) has quantity \(quantity); a bookcat loan is of at least 1 copy") }
                let returned: Bool = row["is_returned"]
                return Loan(
                    id: id,
                    userID: row["user_id"],
                    bookID: row["book_id"],
                    quantity: quantity,
                    isReturned: returned,
                    createdAt: try Self.moment(row["created_at"], field: "loan \(id) created_at"),
                    returnedAt: returned ? try Self.moment(row["updated_at"], field: "loan \(id) updated_at") : nil
                )
            }
            return (.loans(loans), rows.last?["loan_id"])
        }
    }

    /// Reads a table keyed by one integer a batch at a time: `page` gets the last key read (0 at first).
    private func walk(
        batchSize: Int,
        _ visit: (CatalogBatch) async throws -> Void,
        page: @escaping @Sendable (Database, Int64) throws -> (CatalogBatch, Int64?)
    ) async throws {
        var after: Int64 = 0
        while true {
            let (batch, last) = try await reader.read { [after] db in try page(db, after) }
            guard let last, batch.count > 0 else { return }
            try await visit(batch)
            guard batch.count == batchSize else { return }
            after = last
        }
    }

    /// Django's `datetime` columns: UTC, `YYYY-MM-DD HH:MM:SS[.ffffff]`, kept to the millisecond (what SQLite keeps).
    static func moment(_ text: String, field: String) throws -> Date {
        let parts = text.split(separator: ".", maxSplits: 1)
        let digits = parts.count == 2 ? parts[1].prefix(3) : ""
        guard let seconds = try? Date(String(parts[0]).replacingOccurrences(of: " ", with: "T") + "Z", strategy: .iso8601),
            digits.allSatisfy(\.isASCII), let milliseconds = Int64(digits.padding(toLength: 3, withPad: "0", startingAt: 0))
        else { throw Refusal(description: "\(field) is \"\(text)\", not a Django datetime") }
        return Date(timeIntervalSince1970: Double(Int64(seconds.timeIntervalSince1970) * 1000 + milliseconds) / 1000)
    }

    /// Django's `date` columns, `YYYY-MM-DD`, as bookcat stores them.
    static func day(_ text: String, field: String) throws -> String {
        guard CalendarDate(text) != nil else { throw Refusal(description: "\(field) is \"\(text)\", not a date") }
        return text
    }

    /// A text column SQLite may hand back as a number (a numeric ISBN): as text either way.
    static func text(_ value: DatabaseValue) -> String {
        switch value.storage {
        case .string(let text): text
        case .int64(let number): String(number)
        case .double(let number): String(number)
        case .blob(let data): String(decoding: data, as: UTF8.self)
        case .null: ""
        }
    }
}
