import BookcatTestSupport
import Metrics
import RedisClient
import Testing

/// `REDIS_URL=redis://:password@host:port/db`: every connection authenticates and selects its database first.
@Suite("Redis AUTH and SELECT")
struct RedisAuthAndDatabaseTests {
    private static let password = "a long redis password"

    @Test func everyConnectionAuthenticatesAndSelectsItsDatabase() async throws {
        try await RedisServer.with(password: Self.password) { redis in
            let url = "redis://:a%20long%20redis%20password@127.0.0.1:\(redis.port)/3"
            var configuration = try #require(RedisConfiguration(url: url))
            #expect(configuration.password == Self.password && configuration.database == 3)
            // The service's 250 ms to connect and 100 ms per command are what the whole suite on a loaded machine can
            // outrun; set-up is the subject here, not how fast it is.
            configuration.connectTimeout = RedisServer.roomyTimeout
            configuration.commandTimeout = RedisServer.roomyTimeout
            let client = RedisClient(configuration: configuration, metrics: NOOPMetricsHandler.instance)
            // More commands at once than the pool has connections: each new connection must do its own set-up.
            try await withThrowingTaskGroup(of: RESPValue.self) { group in
                for index in 0..<8 { group.addTask { try await client.send("SET", RedisArgument("key-\(index)"), "in database 3") } }
                for try await reply in group { #expect(reply == .simpleString("OK")) }
            }
            let inspector = redis.inspector()
            #expect(try await inspector.send("DBSIZE") == .integer(0), "written to database 0")
            let selected = try await inspector.send(pipeline: [["SELECT", "3"], ["DBSIZE"]])
            #expect(selected[1] == .integer(8))
            await inspector.shutdown()
            await client.shutdown()
        }
    }

    @Test func aWrongPasswordIsAFailureThatNamesTheCause() async throws {
        try await RedisServer.with(password: Self.password) { redis in
            var configuration = redis.clientConfiguration()
            configuration.password = "not the password"
            let client = RedisClient(configuration: configuration, metrics: NOOPMetricsHandler.instance)
            do {
                _ = try await client.send("PING")
                Issue.record("a wrong password was accepted")
            } catch {
                #expect(client.describeFailure(error).lowercased().contains("pass"), "\(client.describeFailure(error))")
            }
            await client.shutdown()
        }
    }

    /// `redis://USER:PASSWORD@host`: `AUTH user password`, as Redis 6 ACL users and ElastiCache RBAC need. A user the
    /// server does not know, or a wrong password, names the cause; a user without a password is not a URL at all.
    @Test func anACLUserAuthenticatesByName() async throws {
        let arguments = ["--user", "catalog", "on", ">a user's password", "~*", "+@all"]
        try await RedisServer.with(password: Self.password, arguments: arguments) { redis in
            let url = "redis://catalog:a%20user's%20password@127.0.0.1:\(redis.port)"
            var configuration = try #require(RedisConfiguration(url: url))
            #expect(configuration.username == "catalog" && configuration.password == "a user's password")
            configuration.connectTimeout = RedisServer.roomyTimeout
            configuration.commandTimeout = RedisServer.roomyTimeout
            let client = RedisClient(configuration: configuration, metrics: NOOPMetricsHandler.instance)
            #expect(try await client.send("ACL", "WHOAMI") == .bulkString(Array("catalog".utf8)))
            await client.shutdown()

            configuration.password = Self.password
            let wrong = RedisClient(configuration: configuration, metrics: NOOPMetricsHandler.instance)
            do {
                _ = try await wrong.send("PING")
                Issue.record("the default user's password was taken for the ACL user's")
            } catch {
                #expect(wrong.describeFailure(error).contains("WRONGPASS"), "\(wrong.describeFailure(error))")
            }
            await wrong.shutdown()
        }
        #expect(RedisConfiguration(url: "redis://catalog@127.0.0.1:6379") == nil)
        #expect(RedisConfiguration(url: "redis://catalog:@127.0.0.1:6379") == nil)
    }
}
