import BookcatSQLite
import BookcatTestSupport
import Foundation
import GRDB
import HTTPTypes
import HummingbirdTesting
import Testing

/// Another process holding the SQLite file's write lock past the busy timeout (a backup, a second server, an
/// operator's `sqlite3` session): a write is answered 503 with `Retry-After`, having done nothing, not a 500.
@Suite("A busy store")
struct StoreBusyTests {
    @Test func aWriteThatCannotTakeTheLockIs503AndChangesNothing() async throws {
        let folder = TemporaryFolder("busy")
        defer { folder.remove() }
        let path = folder.databasePath
        _ = try AppDatabase(path: path)
        try await TestApp.run(databasePath: path) { app in
            let token = try await app.admin().accessToken
            var holding = Configuration()
            holding.allowsUnsafeTransactions = true
            let holder = try DatabaseQueue(path: path, configuration: holding)
            try await holder.writeWithoutTransaction { db in try db.execute(sql: "BEGIN IMMEDIATE") }
            let refused = try await app.send(.post, "/api/v1/tags", token: token, json: ["name": "while locked"])
            try await holder.writeWithoutTransaction { db in try db.execute(sql: "ROLLBACK") }
            #expect(refused.status == .serviceUnavailable, "\(refused.status) \(refused.text)")
            #expect(refused.headers[.retryAfter] == "1")
            #expect(refused.text.contains("nothing was written"))
            let tags = try await app.send(.get, "/api/v1/tags", token: token)
            #expect(!tags.text.contains("while locked"))
            #expect(try await app.send(.post, "/api/v1/tags", token: token, json: ["name": "after"]).status == .created)
        }
    }
}
