import BookcatTestSupport
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

/// A process cut off from Redis while the others still reach it (a partial partition): whatever it writes, it does
/// not answer until no other process can still serve what the write replaced. The others learn of the write from
/// the store within a lease (their coverage checks); the writer waits that lease out, for every kind of write.
@Suite("Partial partition")
struct PartialPartitionTests {
    enum Write: String, CaseIterable {
        /// An in-place change: only the bodies showing the book go.
        case stockChange
        /// A loan moves stock: in place too.
        case loan
        /// A change of what a filter reads: a new generation.
        case titleChange
        /// Session changes: the cut-off process's logout, password change.
        case logout, passwordChange
    }

    @Test(arguments: Write.allCases)
    func aProcessCutOffFromRedisAnswersNoWriteTheOthersCouldStillServeStaleAfter(write: Write) async throws {
        try await TestApp.runTwoInstancesWithFirstBehindProxy { cutOff, other, proxy in
            try await Self.check(write, cutOff: cutOff, other: other, cut: { proxy.cut() }, restore: { proxy.restore() })
        }
    }

    /// `write` through `cutOff` while `cut` holds it off Redis: answered, and then not contradicted by `other`.
    static func check(
        _ write: Write,
        cutOff: TestApp,
        other: TestApp,
        cut: () -> Void,
        restore: () -> Void
    ) async throws {
        let admin = try await cutOff.admin().accessToken
        let grace = try await cutOff.member("grace")
        let book = try await cutOff.createBook(token: admin, ["title": "Partition shelf", "stock": 5]).int("book_id")
        let page = "/api/v1/books?title=Partition"
        // The other process serves the page from its memory, for grace's session, before the cut.
        _ = try await other.send(.get, page, token: grace.accessToken)
        let warm = try await other.send(.get, page, token: grace.accessToken)
        #expect(warm.status == .ok && warm.cacheOutcome == "HIT")

        cut()
        let answered =
            switch write {
            case .stockChange:
                try await cutOff.send(.patch, "/api/v1/books/\(book)", token: admin, json: ["stock": 42])
            case .loan:
                try await cutOff.send(.post, "/api/v1/loans", token: grace.accessToken, json: ["book_id": book, "quantity": 2])
            case .titleChange:
                try await cutOff.send(.patch, "/api/v1/books/\(book)", token: admin, json: ["title": "Partition shelf, renamed"])
            case .logout:
                try await cutOff.send(.post, "/api/v1/auth/logout", token: grace.accessToken, json: ["refresh_token": grace.refreshToken])
            case .passwordChange:
                try await cutOff.changePassword(token: grace.accessToken, from: "member password 1", to: "new password 2")
            }
        #expect(answered.status.kind == .successful, "\(write): \(answered.status) \(answered.text)")
        // Truly cut off: its own reads cannot reach the cache.
        let own = try await cutOff.send(.get, page, token: admin)
        #expect(own.status == .ok && own.cacheOutcome == "ERROR", "\(write): the cut-off process read \(own.cacheOutcome ?? "-")")

        // Right after the answer, the other process must not serve what the write replaced.
        let after = try await other.send(.get, page, token: grace.accessToken)
        switch write {
        case .logout, .passwordChange:
            #expect(after.status == .unauthorized, "\(write): \(after.status) \(after.cacheOutcome ?? "")")
        case .stockChange, .loan, .titleChange:
            let expected: (stock: Int64, title: String) =
                switch write {
                case .stockChange: (42, "Partition shelf")
                case .loan: (3, "Partition shelf")
                default: (5, "Partition shelf, renamed")
                }
            let row = try #require(
                (try after.object()["results"] as? [[String: Any]])?.first { ($0["book_id"] as? NSNumber)?.int64Value == book }
            )
            #expect(row["stock"] as? NSNumber == NSNumber(value: expected.stock), "\(write): \(after.text)")
            #expect(row["title"] as? String == expected.title, "\(write): \(after.text)")
        }
        restore()
    }
}
