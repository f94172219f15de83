import BookcatCore
import BookcatTestSupport
import Foundation
import Testing

/// The store tells in-place changes (``StoreVersions/bookChanges``, one log entry per book) apart from changes to
/// what a listing reads (``StoreVersions/catalog``), in the writing transaction, on both stores.
@Suite("The store's log of in-place changes")
struct InPlaceChangeLogTests {
    private enum Kind { case inPlace, catalog }

    /// Runs `write` and checks which counter it moved, and that the log names `book` for an in-place one.
    private static func expect(
        _ store: CatalogStore,
        _ kind: Kind,
        book: Int64,
        _ name: String,
        _ write: () async throws -> Void
    ) async throws {
        let before = try await store.versions.storeVersions()
        try await write()
        let after = try await store.versions.storeVersions()
        #expect(after.sessions == before.sessions, "\(name)")
        switch kind {
        case .inPlace:
            #expect(after.catalog == before.catalog, "\(name) moved the catalog version")
            #expect(after.bookChanges == before.bookChanges + 1, "\(name) was not logged once")
            #expect(try await store.versions.changedBooks(after: before.bookChanges, through: after.bookChanges) == [book], "\(name)")
        case .catalog:
            // (A tag change also updates the book's `updated_at` in place, which may be logged beside it: the new
            // generation the catalog version brings covers it.)
            #expect(after.catalog > before.catalog, "\(name) left the catalog version")
        }
    }

    @Test func onlyChangesNoFilterOrderOrMembershipReadsAreInPlace() async throws {
        try await TestApp.run { app in
            let store = app.store
            let tag = try await store.tags.create(name: "first")
            let other = try await store.tags.create(name: "second")
            var book = try await store.books.create(
                BookDraft(
                    title: "Dune",
                    author: "Frank Herbert",
                    isbn: "9780000000017",
                    publisher: "Chilton",
                    publishedAt: CalendarDate("1965-08-01")!,
                    stock: 5,
                    tagIDs: [tag.id]
                )
            )
            let id = book.id
            let user = try await store.users.create(NewUser(email: "reader@example.org", username: "reader", passwordHash: "x", role: .user))
            let inPlace: [(String, @Sendable (inout BookDraft) -> Void)] = [
                ("stock", { $0.stock = 9 }),
                ("isbn", { $0.isbn = "9780000000024" }),
                ("publisher", { $0.publisher = "Ace" }),
                ("no publisher", { $0.publisher = nil }),
                ("the same tags again", { $0.tagIDs = [tag.id] }),
            ]
            for (name, change) in inPlace {
                try await Self.expect(store, .inPlace, book: id, name) {
                    book = try await store.books.update(id: id) { BookDraft($0).with(change) }
                }
            }
            try await Self.expect(store, .inPlace, book: id, "a loan") {
                _ = try await store.loans.create(userID: user.id, bookID: id, quantity: 2, now: Date())
            }
            let loan = try #require(try await store.loans.loans(bookID: id).first)
            try await Self.expect(store, .inPlace, book: id, "a return") {
                _ = try await store.loans.markReturned(id: loan.id, now: Date())
            }
            let catalog: [(String, @Sendable (inout BookDraft) -> Void)] = [
                ("title", { $0.title = "Dune Messiah" }),
                // Equal under the title's case-folding collation, but the page shows the case.
                ("title's case", { $0.title = "DUNE MESSIAH" }),
                ("author", { $0.author = "F. Herbert" }),
                ("published_at", { $0.publishedAt = CalendarDate("1969-01-01")! }),
                ("a tag added", { $0.tagIDs = [tag.id, other.id] }),
                ("a tag removed", { $0.tagIDs = [other.id] }),
            ]
            for (name, change) in catalog {
                try await Self.expect(store, .catalog, book: id, name) {
                    book = try await store.books.update(id: id) { BookDraft($0).with(change) }
                }
            }
            try await Self.expect(store, .catalog, book: id, "a created book") {
                _ = try await store.books.create(BookDraft(book).with { $0.isbn = "9780000000031" })
            }
            try await Self.expect(store, .catalog, book: id, "a renamed tag") { _ = try await store.tags.rename(id: other.id, to: "renamed") }
            try await Self.expect(store, .catalog, book: id, "a deleted book") { try await store.books.delete(id: id) }
        }
    }

    @Test func theLogKeepsItsNewestEntriesAndSaysWhenOlderOnesAreGone() async throws {
        try await TestApp.run { app in
            let store = app.store
            let book = try await store.books.create(
                BookDraft(
                    title: "Stocked",
                    author: "A",
                    isbn: "9780000000048",
                    publisher: nil,
                    publishedAt: CalendarDate("2000-01-01")!,
                    stock: 0,
                    tagIDs: []
                )
            )
            let start = try await store.versions.storeVersions().bookChanges
            let changes = 4_100
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<8 {
                    group.addTask {
                        for stock in stride(from: writer, to: changes, by: 8) {
                            _ = try await store.books.update(id: book.id) { BookDraft($0).with { $0.stock = stock } }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let head = try await store.versions.storeVersions().bookChanges
            #expect(head == start + Int64(changes))
            // The newest are all there, in one piece; reaching back past the kept ones says so rather than guess.
            #expect(try await store.versions.changedBooks(after: head - 4_000, through: head) == [book.id])
            #expect(try await store.versions.changedBooks(after: start, through: head) == nil)
            #expect(try await store.versions.changedBooks(after: head, through: head) == [])
        }
    }
}
