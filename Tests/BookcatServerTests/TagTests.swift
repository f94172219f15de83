import BookcatCore
import BookcatTestSupport
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@testable import BookcatApp
@testable import BookcatHTTP

@Suite("Tags")
struct TagTests {
    @Test func adminsManageTagsAndMembersReadThem() async throws {
        try await TestApp.run { app in
            let admin = try await app.admin()
            let member = try await app.member()
            let id = try await app.createTag("Fantasy", token: admin.accessToken)
            #expect(try await app.send(.post, "/api/v1/tags", token: member.accessToken, json: ["name": "x"]).status == .forbidden)
            #expect(try await app.send(.get, "/api/v1/tags", token: member.accessToken).array().map { $0["name"] as? String } == ["Fantasy"])
            #expect(try await app.send(.get, "/api/v1/tags/\(id)", token: member.accessToken).object().string("name") == "Fantasy")

            let renamed = try await app.send(.put, "/api/v1/tags/\(id)", token: admin.accessToken, json: ["name": "High fantasy"])
            #expect(try renamed.object().string("name") == "High fantasy")
            #expect(try await app.send(.put, "/api/v1/tags/\(id)", token: member.accessToken, json: ["name": "y"]).status == .forbidden)
            #expect(try await app.send(.delete, "/api/v1/tags/\(id)", token: member.accessToken).status == .forbidden)
            #expect(try await app.send(.delete, "/api/v1/tags/\(id)", token: admin.accessToken).status == .noContent)
            #expect(try await app.send(.get, "/api/v1/tags/\(id)", token: admin.accessToken).status == .notFound)
            #expect(try await app.send(.put, "/api/v1/tags/\(id)", token: admin.accessToken, json: ["name": "z"]).status == .notFound)
        }
    }

    @Test func tagNamesAreUniqueRegardlessOfCase() async throws {
        try await TestApp.run { app in
            let admin = try await app.admin()
            _ = try await app.createTag("Poetry", token: admin.accessToken)
            #expect(try await app.send(.post, "/api/v1/tags", token: admin.accessToken, json: ["name": "poetry"]).status == .conflict)
            #expect(try await app.send(.post, "/api/v1/tags", token: admin.accessToken, json: ["name": " "]).status == .badRequest)
            let long = String(repeating: "n", count: 65)
            #expect(try await app.send(.post, "/api/v1/tags", token: admin.accessToken, json: ["name": long]).status == .badRequest)
        }
    }

    @Test func deletingATagRemovesItFromBooks() async throws {
        try await TestApp.run { app in
            let admin = try await app.admin()
            let tag = try await app.createTag("gone", token: admin.accessToken)
            let book = try await app.createBook(token: admin.accessToken, ["tags": [tag]])
            _ = try await app.send(.delete, "/api/v1/tags/\(tag)", token: admin.accessToken)
            let fetched = try await app.send(.get, "/api/v1/books/\(try book.int("book_id"))", token: admin.accessToken)
            #expect((try fetched.object()["tags"] as? [Any])?.isEmpty == true)
        }
    }
}
