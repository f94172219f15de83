import BookcatCore
import BookcatSQLite
import BookcatTestSupport
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@testable import BookcatApp
@testable import BookcatHTTP

@Suite("Loans move stock")
struct LoanTests {
    @Test func borrowingTakesCopiesAndReturningPutsThemBack() async throws {
        try await TestApp.run { app in
            let admin = try await app.admin()
            let member = try await app.member()
            let bookID = try await app.createBook(token: admin.accessToken, ["stock": 3]).int("book_id")
            let borrow = try await app.send(.post, "/api/v1/loans", token: member.accessToken, json: ["book_id": bookID, "quantity": 2])
            #expect(borrow.status == .created)
            let loan = try borrow.object()
            let loanID = try loan.int("loan_id")
            #expect(borrow.headers[.location] == "/api/v1/loans/\(loanID)")
            #expect(try loan.int("user_id") == member.userID)
            #expect(loan["is_returned"] as? Bool == false)
            #expect(loan["returned_at"] is NSNull)
            #expect(try await app.send(.get, "/api/v1/books/\(bookID)", token: member.accessToken).object().int("stock") == 1)

            let returned = try await app.send(.patch, "/api/v1/loans/\(loanID)", token: member.accessToken, json: ["is_returned": true])
            #expect(returned.status == .ok)
            #expect(try returned.object()["is_returned"] as? Bool == true)
            #expect(try returned.object()["returned_at"] is String)
            #expect(try await app.send(.get, "/api/v1/books/\(bookID)", token: member.accessToken).object().int("stock") == 3)

            let again = try await app.send(.patch, "/api/v1/loans/\(loanID)", token: member.accessToken, json: ["is_returned": true])
            #expect(again.status == .conflict)
            #expect(try await app.store.books.book(id: bookID)?.stock == 3)
        }
    }

    @Test func borrowingMoreThanTheShelfHoldsIsAConflict() async throws {
        try await TestApp.run { app in
            let admin = try await app.admin()
            let bookID = try await app.createBook(token: admin.accessToken, ["stock": 1]).int("book_id")
            let response = try await app.send(.post, "/api/v1/loans", token: admin.accessToken, json: ["book_id": bookID, "quantity": 2])
            #expect(response.status == .conflict)
            #expect(try await app.store.books.book(id: bookID)?.stock == 1)
            #expect(try await app.store.loans.loans(userID: nil).isEmpty)
        }
    }

    @Test(arguments: [
        (#"{"book_id": 1, "quantity": 0}"#, "quantity"),
        (#"{"book_id": 1, "quantity": -3}"#, "quantity"),
        (#"{"book_id": 1}"#, "quantity"),
        (#"{"book_id": "one", "quantity": 1}"#, "book_id"),
        (#"{"book_id": 0, "quantity": 1}"#, "book_id"),
    ])
    func invalidLoansAreRejected(body: String, field: String) async throws {
        try await TestApp.run { app in
            let admin = try await app.admin()
            _ = try await app.createBook(token: admin.accessToken)
            let response = try await app.send(
                .post,
                "/api/v1/loans",
                token: admin.accessToken,
                json: try JSONSerialization.jsonObject(with: Data(body.utf8))
            )
            #expect(response.status == .badRequest)
            #expect(try response.problemFields().contains(field))
        }
    }

    /// The second audit: one member borrowed all 1,000,000 copies of a book in one loan. A loan takes at most
    /// LOAN_MAX_QUANTITY copies (10 unless set).
    @Test func aLoanTakesAtMostTheConfiguredQuantity() async throws {
        try await TestApp.run { app in
            let admin = try await app.admin()
            let member = try await app.member("grace")
            let book = try await app.createBook(token: admin.accessToken, ["stock": 1_000_000])
            let all = try await app.send(
                .post,
                "/api/v1/loans",
                token: member.accessToken,
                json: ["book_id": book["book_id"]!, "quantity": 1_000_000]
            )
            #expect(all.status == .badRequest)
            #expect(try all.problemFields() == ["quantity"])
            #expect(all.text.contains("must be from 1 to 10"))
            let ten = try await app.send(.post, "/api/v1/loans", token: member.accessToken, json: ["book_id": book["book_id"]!, "quantity": 10])
            #expect(ten.status == .created)
        }
        var configuration = TestApp.configuration()
        configuration.server.loanMaxQuantity = 2
        try await TestApp.run(configuration: configuration) { app in
            let admin = try await app.admin()
            let book = try await app.createBook(token: admin.accessToken, ["stock": 5])
            let three = try await app.send(.post, "/api/v1/loans", token: admin.accessToken, json: ["book_id": book["book_id"]!, "quantity": 3])
            #expect(three.status == .badRequest)
        }
    }

    @Test func borrowingAnUnknownBookIsNotFound() async throws {
        try await TestApp.run { app in
            let member = try await app.member()
            #expect(try await app.send(.post, "/api/v1/loans", token: member.accessToken, json: ["book_id": 42, "quantity": 1]).status == .notFound)
        }
    }

    @Test func onlyTrueIsAcceptedWhenUpdatingALoan() async throws {
        try await TestApp.run { app in
            let admin = try await app.admin()
            let bookID = try await app.createBook(token: admin.accessToken).int("book_id")
            let loanID = try await app.send(.post, "/api/v1/loans", token: admin.accessToken, json: ["book_id": bookID, "quantity": 1]).object().int(
                "loan_id"
            )
            let reopen = try await app.send(.patch, "/api/v1/loans/\(loanID)", token: admin.accessToken, json: ["is_returned": false])
            #expect(reopen.status == .badRequest)
            #expect(try await app.store.books.book(id: bookID)?.stock == 4)
        }
    }

    @Test func loansAreVisibleToTheirOwnerAndAdmins() async throws {
        try await TestApp.run { app in
            let admin = try await app.admin()
            let alice = try await app.member("alice")
            let bob = try await app.member("bob")
            let bookID = try await app.createBook(token: admin.accessToken).int("book_id")
            let aliceLoan = try await app.send(.post, "/api/v1/loans", token: alice.accessToken, json: ["book_id": bookID, "quantity": 1]).object()
                .int("loan_id")
            _ = try await app.send(.post, "/api/v1/loans", token: bob.accessToken, json: ["book_id": bookID, "quantity": 1])

            #expect(try await app.send(.get, "/api/v1/loans", token: alice.accessToken).array().count == 1)
            #expect(try await app.send(.get, "/api/v1/loans", token: admin.accessToken).array().count == 2)
            #expect(try await app.send(.get, "/api/v1/loans/\(aliceLoan)", token: alice.accessToken).status == .ok)
            #expect(try await app.send(.get, "/api/v1/loans/\(aliceLoan)", token: admin.accessToken).status == .ok)
            // Another member's loan is answered as a missing one, word for word: loan ids say nothing to others.
            let others = try await app.send(.get, "/api/v1/loans/\(aliceLoan)", token: bob.accessToken)
            let missing = try await app.send(.get, "/api/v1/loans/\(aliceLoan + 1000)", token: bob.accessToken)
            #expect(others.status == .notFound && missing.status == .notFound)
            #expect(
                others.text.replacingOccurrences(of: "\(aliceLoan)", with: "N")
                    == missing.text.replacingOccurrences(of: "\(aliceLoan + 1000)", with: "N")
            )
            #expect(
                try await app.send(.patch, "/api/v1/loans/\(aliceLoan)", token: bob.accessToken, json: ["is_returned": true]).status == .notFound
            )
            #expect(try await app.send(.get, "/api/v1/loans/999", token: admin.accessToken).status == .notFound)

            #expect(try await app.send(.get, "/api/v1/loans/books/\(bookID)", token: admin.accessToken).array().count == 2)
            #expect(try await app.send(.get, "/api/v1/loans/books/\(bookID)", token: alice.accessToken).status == .forbidden)
            #expect(try await app.send(.get, "/api/v1/loans/books/999", token: admin.accessToken).status == .notFound)
            // An admin may return anyone's loan.
            #expect(try await app.send(.patch, "/api/v1/loans/\(aliceLoan)", token: admin.accessToken, json: ["is_returned": true]).status == .ok)
        }
    }

    @Test func concurrentLoansNeverOversellTheShelf() async throws {
        try await TestApp.run { app in
            let admin = try await app.admin()
            let stock = 5
            let attempts = 40
            let bookID = try await app.createBook(token: admin.accessToken, ["stock": stock]).int("book_id")
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<attempts {
                    group.addTask {
                        try await app.send(.post, "/api/v1/loans", token: admin.accessToken, json: ["book_id": bookID, "quantity": 1]).status
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .created }.count == stock)
            #expect(statuses.filter { $0 == .conflict }.count == attempts - stock)
            #expect(try await app.store.books.book(id: bookID)?.stock == 0)
            #expect(try await app.store.loans.loans(bookID: bookID).count == stock)
        }
    }

    @Test func concurrentLoansAndBookEditsNeverLoseAStockChange() async throws {
        try await TestApp.run { app in
            let admin = try await app.admin()
            let bookID = try await app.createBook(token: admin.accessToken, ["stock": 20]).int("book_id")
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<10 {
                    group.addTask {
                        _ = try await app.send(.post, "/api/v1/loans", token: admin.accessToken, json: ["book_id": bookID, "quantity": 1])
                    }
                    group.addTask {
                        _ = try await app.send(.patch, "/api/v1/books/\(bookID)", token: admin.accessToken, json: ["title": "Edit \(index)"])
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await app.store.books.book(id: bookID)?.stock == 10)
        }
    }
}
