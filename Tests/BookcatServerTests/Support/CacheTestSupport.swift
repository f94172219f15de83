import BookcatCache
import BookcatCore
import HTTPTypes
import HummingbirdTesting
import Logging
import RedisClient

extension HTTPField.Name {
    static let xCacheHeader = HTTPField.Name("X-Cache")!
}

extension TestResponse {
    var cacheOutcome: String? { headers[.xCacheHeader] }
}

extension RedisServer {
    /// A response cache in this server, with its own client (as a separate process would have).
    func responseCache(
        keyPrefix: String = "bookcat",
        memoryBytes: Int = 1 << 20,
        commandTimeout: Duration = .seconds(2),
        breakerPause: Duration? = nil
    ) -> RedisResponseCache {
        var logger = Logger(label: "bookcat-cache-tests")
        logger.logLevel = .critical
        var configuration = clientConfiguration(commandTimeout: commandTimeout)
        if let breakerPause { configuration.openDuration = breakerPause }
        return RedisResponseCache(
            client: RedisClient(configuration: configuration),
            ttlSeconds: 300,
            memoryBytes: memoryBytes,
            keyPrefix: keyPrefix,
            logger: logger
        )
    }

    /// How many keys the server holds.
    func keyCount() async throws -> Int64 {
        let client = inspector()
        defer { Task { await client.shutdown() } }
        return try await client.send("DBSIZE").integer ?? -1
    }
}
