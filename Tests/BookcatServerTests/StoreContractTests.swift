import BookcatCore
import BookcatPostgres
import BookcatSQLite
import BookcatTestSupport
import Foundation
import Logging
import Testing

@testable import BookcatInMemoryStore

/// One set of promises, three stores: SQLite, PostgreSQL and the in-memory store the HTTP module's own tests run on.
/// Each rule is asked of each store the same way and must be answered the same way, the error included word for
/// word (the words are written once, in `CatalogError+Rules.swift`): a store that drifts fails here, not in a
/// client's hands.
@Suite("Every store keeps the same rules")
struct StoreContractTests {
    enum Store: String, CaseIterable, CustomTestStringConvertible {
        case sqlite, postgres, inMemory
        var testDescription: String { rawValue }
    }

    /// A new, empty store of `kind`.
    private func with(_ kind: Store, _ body: @Sendable (CatalogStore) async throws -> Void) async throws {
        switch kind {
        case .sqlite:
            try await body(try AppDatabase.inMemory().store())
        case .postgres:
            let location = try await PostgresCluster.shared.freshDatabase()
            try await PostgresDatabase(location: location, poolSize: 2, logger: Logger(label: "store-contract")).run { postgres in
                try await postgres.migrate()
                try await body(postgres.store())
            }
        case .inMemory:
            try await body(InMemoryCatalog().store())
        }
    }

    private func draft(_ title: String, isbn: String, stock: Int = 3, tags: [Int64] = []) -> BookDraft {
        BookDraft(
            title: title,
            author: "Ann Author",
            isbn: isbn,
            publisher: nil,
            publishedAt: CalendarDate("2001-02-03")!,
            stock: stock,
            tagIDs: tags
        )
    }

    private func member(_ store: CatalogStore, _ name: String) async throws -> User {
        try await store.users.create(NewUser(email: "\(name)@example.org", username: name, passwordHash: "!", role: .user))
    }

    @Test(arguments: Store.allCases)
    func whatDoesNotExistIsNamed(_ kind: Store) async throws {
        try await with(kind) { store in
            await #expect(throws: CatalogError.noSuchBook(404)) { try await store.books.delete(id: 404) }
            await #expect(throws: CatalogError.noSuchBook(404)) { _ = try await store.books.update(id: 404) { BookDraft($0) } }
            await #expect(throws: CatalogError.noSuchTag(404)) { try await store.tags.delete(id: 404) }
            await #expect(throws: CatalogError.noSuchTag(404)) { _ = try await store.tags.rename(id: 404, to: "x") }
            await #expect(throws: CatalogError.noSuchUser(404)) { try await store.users.delete(id: 404) }
            await #expect(throws: CatalogError.noSuchLoan(404)) { _ = try await store.loans.markReturned(id: 404, now: Date()) }
            let user = try await member(store, "ada")
            await #expect(throws: CatalogError.noSuchBook(404)) {
                _ = try await store.loans.create(userID: user.id, bookID: 404, quantity: 1, now: Date())
            }
            #expect(try await store.books.book(id: 404) == nil)
        }
    }

    @Test(arguments: Store.allCases)
    func anISBNAndATagNameBelongToOneAtATime(_ kind: Store) async throws {
        try await with(kind) { store in
            let first = try await store.books.create(draft("Dune", isbn: "9780441013593"))
            await #expect(throws: CatalogError.isbnTaken("9780441013593", byBook: first.id)) {
                _ = try await store.books.create(draft("Dune again", isbn: "9780441013593"))
            }
            let second = try await store.books.create(draft("Emma", isbn: "9780141439587"))
            await #expect(throws: CatalogError.isbnTaken("9780441013593", byBook: first.id)) {
                _ = try await store.books.update(id: second.id) { BookDraft($0).with { $0.isbn = "9780441013593" } }
            }
            let fiction = try await store.tags.create(name: "fiction")
            await #expect(throws: CatalogError.tagNameTaken("fiction", byTag: fiction.id)) { _ = try await store.tags.create(name: "fiction") }
            let poetry = try await store.tags.create(name: "poetry")
            await #expect(throws: CatalogError.tagNameTaken("fiction", byTag: fiction.id)) {
                _ = try await store.tags.rename(id: poetry.id, to: "fiction")
            }
            // Refused writes changed nothing.
            #expect(try await store.books.book(id: second.id)?.isbn == "9780141439587")
            #expect(try await store.tags.allTags().map(\.name).sorted() == ["fiction", "poetry"])
        }
    }

    @Test(arguments: Store.allCases)
    func loansMoveStockAndHoldWhatTheyHold(_ kind: Store) async throws {
        try await with(kind) { store in
            let book = try await store.books.create(draft("Dune", isbn: "9780441013593", stock: 2))
            let user = try await member(store, "ada")
            await #expect(throws: CatalogError.notEnoughCopies(ofBook: book.id, available: 2, requested: 3)) {
                _ = try await store.loans.create(userID: user.id, bookID: book.id, quantity: 3, now: Date())
            }
            let loan = try await store.loans.create(userID: user.id, bookID: book.id, quantity: 2, now: Date())
            #expect(try await store.books.book(id: book.id)?.stock == 0)
            await #expect(throws: CatalogError.bookHasCopiesOnLoan(book.id, onLoan: 2)) { try await store.books.delete(id: book.id) }
            await #expect(throws: CatalogError.accountHasLoans(onLoan: 1)) { try await store.users.delete(id: user.id) }
            let returned = try await store.loans.markReturned(id: loan.id, now: Date())
            #expect(returned.isReturned)
            #expect(try await store.books.book(id: book.id)?.stock == 2)
            await #expect(throws: CatalogError.loanAlreadyReturned(loan.id)) { _ = try await store.loans.markReturned(id: loan.id, now: Date()) }
            #expect(try await store.books.book(id: book.id)?.stock == 2)
            try await store.users.delete(id: user.id)
            try await store.books.delete(id: book.id)
        }
    }

    /// The same catalog, the same questions: the same pages, in the same order, with the same counts.
    @Test(arguments: Store.allCases)
    func listingsAnswerAsTheOtherStoresDo(_ kind: Store) async throws {
        try await with(kind) { store in
            let fiction = try await store.tags.create(name: "fiction").id
            let classic = try await store.tags.create(name: "classic").id
            let titles = ["Dune", "Dune Messiah", "Emma", "Hyperion", "Middlemarch", "Persuasion", "The Dune Encyclopedia"]
            for (index, title) in titles.enumerated() {
                let tags = [index % 2 == 0 ? fiction : nil, index % 3 == 0 ? classic : nil].compactMap { $0 }
                _ = try await store.books.create(draft(title, isbn: "97800000000\(index)", tags: tags))
            }
            func titlesOf(_ parameters: [(String, String)]) async throws -> ([String], Int) {
                let page = try await store.books.page(BookListQuery.parse(parameters))
                return (page.books.map(\.title), page.totalCount)
            }
            #expect(try await titlesOf([("title", "dune"), ("order_by", "title")]) == (["Dune", "Dune Messiah", "The Dune Encyclopedia"], 3))
            #expect(try await titlesOf([("title", "DUNE"), ("order_by", "-title")]) == (["The Dune Encyclopedia", "Dune Messiah", "Dune"], 3))
            #expect(try await titlesOf([("author", "ann"), ("order_by", "title"), ("page_size", "2"), ("page", "2")]) == (["Emma", "Hyperion"], 7))
            #expect(
                try await titlesOf([("tag", "\(fiction)"), ("tag", "\(classic)"), ("tag_option", "and"), ("order_by", "title")])
                    == (["Dune", "The Dune Encyclopedia"], 2)
            )
            #expect(
                try await titlesOf([("tag", "\(fiction)"), ("tag", "\(classic)"), ("tag_option", "or"), ("order_by", "title")])
                    == (["Dune", "Emma", "Hyperion", "Middlemarch", "The Dune Encyclopedia"], 5)
            )
            #expect(try await titlesOf([("title", "dune"), ("tag", "\(classic)"), ("order_by", "title")]) == (["Dune", "The Dune Encyclopedia"], 2))
        }
    }
}
