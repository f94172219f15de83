import BookcatCore
import BookcatSQLite
import BookcatTestSupport
import Foundation
import GRDB
import Testing

@testable import BookcatApp

/// Damaged and crafted databases in the Django service's layout (column names only, no types or constraints, so a
/// value of any storage class fits anywhere, as python's sqlite3 writes them): every column of every table in turn
/// holds NULL, the wrong storage class, too much text, NUL and control characters, ids of 0 and below, huge numbers.
/// Each must get a clear refusal naming the row, or a faithful import, never a crash, a truncation or a silent drop;
/// the ones it takes are imported into the store the suite runs on.
@Suite struct DjangoImportFuzzTests {
    static let layout: [(table: String, columns: [String])] = [
        ("user", ["id", "password", "last_login", "email", "role", "username"]),
        ("tag", ["created_at", "updated_at", "tag_id", "name"]),
        ("book", ["created_at", "updated_at", "book_id", "title", "author", "isbn", "stock", "published_at"]),
        ("book_tag", ["id", "book_id", "tag_id"]),
        ("loan", ["created_at", "updated_at", "loan_id", "quantity", "is_returned", "book_id", "user_id"]),
        ("token", ["created_at", "updated_at", "token_id", "token", "expired", "user_id"]),
    ]

    static let hash = "pbkdf2_sha256$870000$salt$" + Data(repeating: 7, count: 32).base64EncodedString()
    static let moment = "2024-05-01 10:00:00.123456"

    /// A small, valid catalog, row by row, in id order.
    static let rows: [String: [[String: DatabaseValue]]] = [
        "user": (1...3).map {
            [
                "id": $0.databaseValue, "password": hash.databaseValue, "last_login": .null, "email": "u\($0)@example.org".databaseValue,
                "role": "user".databaseValue, "username": "user\($0)".databaseValue,
            ]
        },
        "tag": (1...2).map {
            ["created_at": moment.databaseValue, "updated_at": moment.databaseValue, "tag_id": $0.databaseValue, "name": "tag \($0)".databaseValue]
        },
        "book": (1...3).map {
            [
                "created_at": moment.databaseValue, "updated_at": moment.databaseValue, "book_id": $0.databaseValue,
                "title": "Book \($0)".databaseValue,
                "author": "Author".databaseValue, "isbn": "978000000000\($0)".databaseValue, "stock": 5.databaseValue,
                "published_at": "2001-02-03".databaseValue,
            ]
        },
        "book_tag": [
            ["id": 1.databaseValue, "book_id": 1.databaseValue, "tag_id": 1.databaseValue],
            ["id": 2.databaseValue, "book_id": 2.databaseValue, "tag_id": 2.databaseValue],
        ],
        "loan": (1...2).map {
            [
                "created_at": moment.databaseValue, "updated_at": moment.databaseValue, "loan_id": $0.databaseValue, "quantity": 2.databaseValue,
                "is_returned": ($0 == 2).databaseValue, "book_id": $0.databaseValue, "user_id": $0.databaseValue,
            ]
        },
        "token": [],
    ]

    /// What each column is given in turn: every storage class, and each of bookcat's limits just past.
    static let damaged: [DatabaseValue] = [
        .null, "lots".databaseValue, 3.5.databaseValue, (-5).databaseValue, 0.databaseValue, Int64.max.databaseValue,
        Data([0, 255, 1]).databaseValue, "mem\0ber".databaseValue, String(repeating: "x", count: 300).databaseValue,
        "a\tb".databaseValue, "".databaseValue, 9_780_441_013_593.databaseValue, "Zoë".databaseValue, "  padded  ".databaseValue,
        "x\r\ny@example.org".databaseValue, "1".databaseValue,
    ]

    /// Writes `rows` in the service's layout: each key its table's INTEGER PRIMARY KEY, as the service's migrations
    /// made it (without, `keyed: false`, a layout the import refuses), every other column without a type.
    static func write(_ rows: [String: [[String: DatabaseValue]]], to path: String, keyed: Bool = true) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            for (table, columns) in layout {
                let key = DjangoCatalog.keyColumns[table]
                let declared = columns.map { keyed && $0 == key ? "\"\($0)\" INTEGER PRIMARY KEY" : "\"\($0)\"" }
                try db.execute(sql: "CREATE TABLE \"\(table)\" (\(declared.joined(separator: ", ")))")
                for row in rows[table] ?? [] {
                    // Text goes in as its bytes, cast to text: bound as a string, SQLite would stop at a NUL byte.
                    let values = columns.map { row[$0] ?? .null }
                    let placeholders = values.map { if case .string = $0.storage { "CAST(? AS TEXT)" } else { "?" } }
                    let arguments = values.map { value -> DatabaseValue in
                        if case .string(let text) = value.storage { return Data(text.utf8).databaseValue }
                        return value
                    }
                    try db.execute(
                        sql:
                            "INSERT INTO \"\(table)\" (\(columns.map { "\"\($0)\"" }.joined(separator: ", "))) VALUES (\(placeholders.joined(separator: ", ")))",
                        arguments: StatementArguments(arguments)
                    )
                }
            }
        }
    }

    @Test func everyDamagedValueIsRefusedByRowOrImportedFaithfully() async throws {
        let folder = TemporaryFolder("django-fuzz")
        defer { folder.remove() }
        var refused = 0
        var taken: [(String, DjangoCatalog, [(id: Int64, title: String?)])] = []
        var case_ = 0
        for (table, columns) in Self.layout where !(Self.rows[table] ?? []).isEmpty {
            for column in columns {
                for value in Self.damaged {
                    case_ += 1
                    var rows = Self.rows
                    rows[table]![0][column] = value
                    let path = folder.url.appendingPathComponent("case-\(case_).sqlite3").path
                    // A key holds whole numbers only (SQLite refuses the rest): such a file cannot exist.
                    guard (try? Self.write(rows, to: path)) != nil else { continue }
                    let what = "\(table).\(column) = \(value)"
                    let catalog: DjangoCatalog
                    do {
                        catalog = try DjangoCatalog(path: path, importedAt: Date(), recountingStock: true)
                    } catch let refusal as DjangoCatalog.Refusal {
                        Issue.record("\(what): refused before reading rows: \(refusal)")
                        continue
                    }
                    if !catalog.findings.refused.isEmpty {
                        refused += 1
                        // Named by its row and column, so a person can find it.
                        #expect(catalog.findings.refused.contains { $0.contains(column) }, "\(what): \(catalog.findings.refused)")
                        await #expect(throws: DjangoCatalog.Refusal.self, "\(what): exported despite refusals") {
                            try await catalog.exportCatalog(batchSize: 100) { _ in }
                        }
                        continue
                    }
                    // The books as the file holds them (SQLite gives a NULL key a rowid, and stores "1" in one as 1),
                    // each title as all its bytes.
                    let books = try await DatabaseQueue(path: path).read { db in
                        try Row.fetchAll(db, sql: "SELECT book_id, typeof(title) AS type, CAST(title AS BLOB) AS title FROM book").map { row in
                            let bytes: Data? = row["title"]
                            return (
                                id: row["book_id"] as Int64,
                                title: (row["type"] as String) == "text" ? String(decoding: bytes ?? Data(), as: UTF8.self) : nil
                            )
                        }
                    }
                    taken.append((what, catalog, books))
                }
            }
        }
        #expect(refused > 100, "most damage is refused (\(refused))")
        #expect(taken.count > 20, "values bookcat's rules allow are taken (\(taken.count))")
        // Faithful: every row the source holds arrives unless the report says it does not, and a text is the text
        // that was there, every byte, unless the report names its change.
        for (what, catalog, books) in taken {
            let fingerprint: CatalogFingerprint
            do {
                fingerprint = try await Self.imported(catalog) { app in
                    for source in books {
                        guard let book = try await app.store.books.book(id: source.id) else {
                            Issue.record("\(what): book \(source.id) was not imported")
                            continue
                        }
                        let titleChanged = catalog.findings.resolved.contains { $0.hasPrefix("book \(source.id): title ") }
                        if let title = source.title, !titleChanged {
                            #expect(book.title == title, "\(what)")
                        }
                    }
                }
            } catch {
                Issue.record("\(what): a database the check took was not imported: \(error)")
                continue
            }
            let loansLeftOut = catalog.findings.resolved.filter { $0.hasPrefix("loan ") && $0.hasSuffix("not imported") }.count
            #expect(
                fingerprint.summary.contains("book 3 · ") && fingerprint.summary.contains("loan \(2 - loansLeftOut) "),
                "\(what): \(fingerprint.summary)"
            )
        }
    }

    /// Imports `catalog` into a fresh store of the kind the suite runs on and runs `test` on it.
    static func imported(_ catalog: DjangoCatalog, _ test: @Sendable (TestApp) async throws -> Void) async throws -> CatalogFingerprint {
        let folder = TemporaryFolder("django-fuzz-store")
        defer { folder.remove() }
        let fingerprint = DjangoImportTests.FingerprintBox()
        let importing: @Sendable (any CatalogImporting) async throws -> Void = { target in
            fingerprint.value = try await CatalogCopy.copy(from: catalog, to: target)
        }
        try await TestApp.run(databasePath: TestApp.StoreKind.configured == .sqlite ? folder.databasePath : nil, importing: importing) { app in
            try await test(app)
        }
        return try #require(fingerprint.value)
    }

    /// `--recount-stock` with a stock near what the stores hold and a return: the sum is checked, never an overflow.
    @Test func aRecountPastTheStockLimitIsRefusedNotOverflowed() throws {
        let folder = TemporaryFolder("django-recount")
        defer { folder.remove() }
        var rows = Self.rows
        rows["book"]![1]["stock"] = (Int64(Int32.max) - 1).databaseValue
        let path = folder.databasePath
        try Self.write(rows, to: path)
        let catalog = try DjangoCatalog(path: path, importedAt: Date(), recountingStock: true)
        #expect(
            catalog.findings.refused == ["book 2: stock would be 2147483648 with its 2 returned copies back, beyond the 2147483647 bookcat stores"]
        )
        let asRecorded = try DjangoCatalog(path: path, importedAt: Date(), recountingStock: false)
        #expect(asRecorded.findings.refused.isEmpty)
        #expect(asRecorded.findings.resolved.contains("book 2: stock 2147483646 is beyond the 1000000 the API takes in a write: kept as it is"))
    }

    /// Reading is bounded in time: past the limit it is interrupted and refused (here a limit already passed).
    @Test func aReadPastItsTimeLimitIsRefused() throws {
        let folder = TemporaryFolder("django-slow")
        defer { folder.remove() }
        var rows = Self.rows
        rows["book"] = (1...20_000).map { index in
            var row = Self.rows["book"]![0]
            (row["book_id"], row["isbn"]) = (index.databaseValue, String(format: "978%010d", index).databaseValue)
            return row
        }
        try Self.write(rows, to: folder.databasePath)
        let refusal = #expect(throws: DjangoCatalog.Refusal.self) {
            try DjangoCatalog(path: folder.databasePath, importedAt: Date(), recountingStock: false, timeLimit: .zero)
        }
        #expect(refusal?.description.contains("took longer than 0 s") == true, "\(String(describing: refusal))")
        #expect(try DjangoCatalog(path: folder.databasePath, importedAt: Date(), recountingStock: false).contents.books == 20_000)
    }

    /// A key that is not its table's INTEGER PRIMARY KEY (so not the rowid: a damaged index could order it, or
    /// repeat it) is not the service's layout, and is refused before any row is read.
    @Test func aTableWhoseKeyIsNotItsIntegerPrimaryKeyIsRefused() throws {
        let folder = TemporaryFolder("django-unkeyed")
        defer { folder.remove() }
        try Self.write(Self.rows, to: folder.databasePath, keyed: false)
        let refusal = #expect(throws: DjangoCatalog.Refusal.self) {
            try DjangoCatalog(path: folder.databasePath, importedAt: Date(), recountingStock: false)
        }
        #expect(refusal?.description.contains("book.book_id is not the table's INTEGER PRIMARY KEY") == true, "\(String(describing: refusal))")
    }

    /// Datetimes exactly as Django writes them, every part in range; anything else is refused, not read leniently.
    @Test(arguments: [
        "2024-02-30 10:00:00", "2024-05-01 25:00:00", "2024-05-01 10:00:00+05:00", "2024-05-01 10:00:00.123garbage",
        "2024-05-01 10:00:00.", "0000-01-01 00:00:00", "99999-01-01 00:00:00", "2024-05-01T10:00:00", "", "2024-05-01 10:00:60",
    ])
    func aDatetimeDjangoCouldNotHaveWrittenIsRefused(text: String) {
        #expect(throws: DjangoCatalog.Refusal.self) { try DjangoCatalog.moment(text, field: "created_at") }
    }

    @Test func djangoDatetimesAreReadToTheMillisecond() throws {
        #expect(try DjangoCatalog.moment("2024-05-01 10:00:00.123456", field: "x").timeIntervalSince1970 == 1_714_557_600.123)
        #expect(try DjangoCatalog.moment("2024-05-01 10:00:00", field: "x").timeIntervalSince1970 == 1_714_557_600)
        #expect(try DjangoCatalog.moment("2024-02-29 23:59:59.5", field: "x").timeIntervalSince1970 == 1_709_251_199.5)
    }

    /// A FIFO (or anything but a regular file) is refused at once instead of blocking the open.
    @Test func aFIFOIsRefusedWithoutBeingOpened() throws {
        let folder = TemporaryFolder("django-fifo")
        defer { folder.remove() }
        try FileManager.default.createDirectory(at: folder.url, withIntermediateDirectories: true)
        let path = folder.url.appendingPathComponent("db.sqlite3").path
        #expect(mkfifo(path, 0o600) == 0)
        let refusal = #expect(throws: DjangoCatalog.Refusal.self) { try DjangoCatalog(path: path, importedAt: Date(), recountingStock: false) }
        #expect(refusal?.description.contains("not a regular file") == true)
        let folderRefusal = #expect(throws: DjangoCatalog.Refusal.self) {
            try DjangoCatalog(path: folder.url.path, importedAt: Date(), recountingStock: false)
        }
        #expect(folderRefusal?.description.contains("not a regular file") == true)
    }
}
