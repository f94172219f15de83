import BookcatCore
import BookcatTestSupport
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOConcurrencyHelpers
import Testing

@testable import BookcatApp
@testable import BookcatHTTP

/// Members' uncached listings have a budget (#41): the third audit's four member loops with new filter values made
/// 1,425 uncached renders in 15 s.
@Suite("Render budget")
struct RenderBudgetTests {
    @Test func aMemberLoopingNewFiltersIsAnswered429WhileCachedPagesAndAdminsGoOn() async throws {
        var configuration = TestApp.configuration()
        configuration.server.rendersPerMinute = 3
        configuration.server.rendersBurst = 3
        try await RedisServer.with { redis in
            try await TestApp.run(configuration: configuration, cacheOver: { redis.responseCache(store: $0) }) { app in
                let admin = try await app.admin()
                let member = try await app.member("looper")
                _ = try await app.createBook(token: admin.accessToken, ["title": "Budget"])
                for index in 0..<3 {
                    let page = try await app.send(.get, "/api/v1/books?title=new\(index)", token: member.accessToken)
                    #expect(page.status == .ok && page.cacheOutcome == "MISS")
                }
                let refused = try await app.send(.get, "/api/v1/books?title=new3", token: member.accessToken)
                #expect(refused.status == .tooManyRequests)
                let wait = try #require(refused.headers[.retryAfter].flatMap { Int($0) })
                #expect((1...20).contains(wait), "Retry-After \(wait)")
                #expect(refused.text.contains("RENDERS_PER_MINUTE"))
                // A page already cached costs nothing: still served.
                let cached = try await app.send(.get, "/api/v1/books?title=new0", token: member.accessToken)
                #expect(cached.status == .ok && cached.cacheOutcome == "HIT")
                // Another member's budget is their own, and admins are not counted.
                let other = try await app.member("other")
                #expect(try await app.send(.get, "/api/v1/books?title=new4", token: other.accessToken).status == .ok)
                for index in 5..<10 {
                    #expect(try await app.send(.get, "/api/v1/books?title=new\(index)", token: admin.accessToken).status == .ok)
                }
                // Book details and the tag list are cheap lookups, outside the budget.
                #expect(try await app.send(.get, "/api/v1/tags", token: member.accessToken).status == .ok)
            }
        }
    }

    /// The process's turns: one render running, the next waits its queue time, then 503 with Retry-After; a turn
    /// given back goes to the next waiter.
    @Test func membersRendersBeyondTheProcesssTurnsWaitThenAre503() async throws {
        let member = User(id: 7, email: "m@example.org", username: "member", passwordHash: "!", role: .user, createdAt: Date())
        let other = User(id: 8, email: "o@example.org", username: "other", passwordHash: "!", role: .user, createdAt: Date())
        /// Holds `budget`'s one turn until the returned continuation is told to let go.
        func holdTheTurn(of budget: RenderBudget) async -> (Task<Void, any Error>, AsyncStream<Void>.Continuation) {
            let entered = AsyncStream<Void>.makeStream()
            let release = AsyncStream<Void>.makeStream()
            let holding = Task {
                try await budget.render(for: member) {
                    entered.continuation.yield()
                    for await _ in release.stream { break }
                }
            }
            for await _ in entered.stream { break }
            return (holding, release.continuation)
        }
        // A short queue time: the second render is refused once it has passed.
        let short = RenderBudget(limits: .init(perAccountPerMinute: 100, burst: 100, concurrent: 1, queueWait: .milliseconds(200)))
        let (first, letGo) = await holdTheTurn(of: short)
        await #expect(throws: TooManyRenders.self) { try await short.render(for: other) {} }
        letGo.yield()
        try await first.value
        // A long one: the waiter gets the turn when it is given back.
        let long = RenderBudget(limits: .init(perAccountPerMinute: 100, burst: 100, concurrent: 1, queueWait: .seconds(60)))
        let (second, letGoAgain) = await holdTheTurn(of: long)
        let waiter = Task { try await long.render(for: other) { 42 } }
        letGoAgain.yield()
        #expect(try await waiter.value == 42)
        try await second.value
        // Admins never wait.
        let admin = User(id: 1, email: "a@example.org", username: "admin", passwordHash: "!", role: .admin, createdAt: Date())
        #expect(try await long.render(for: admin) { 1 } == 1)
    }
}
