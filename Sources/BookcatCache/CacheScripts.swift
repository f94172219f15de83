import BookcatCore
import Crypto
import RedisClient

/// Server-side scripts that keep each cache operation to one round trip and atomic.
///
/// The generation counter is folded into every entry key: bumping it makes every older entry unreachable at once
/// (O(1), no KEYS or SCAN). When the counter is missing (a fresh or restarted Redis), it starts from the server's
/// clock in microseconds, so a restart can never bring an old generation, and the entries stored under it, back.
struct CacheScript: Sendable {
    let source: String
    let sha1: String

    init(_ source: String) {
        self.source = source
        self.sha1 = Insecure.SHA1.hash(data: Array(source.utf8)).hexString
    }

    private static let initialiseGeneration = """
        if redis.call('EXISTS', KEYS[1]) == 0 then
          local now = redis.call('TIME')
          redis.call('SET', KEYS[1], now[1] .. string.format('%06d', tonumber(now[2])), 'NX')
        end
        """

    /// KEYS[1] generation key; ARGV[1] entry key prefix; ARGV[2] hashed request key. Returns {generation, entry or false}.
    static let read = CacheScript(
        initialiseGeneration + """

            local generation = redis.call('GET', KEYS[1])
            return {generation, redis.call('GET', ARGV[1] .. generation .. ':' .. ARGV[2])}
            """
    )

    /// KEYS[1] generation key. Returns the new generation.
    static let invalidate = CacheScript(
        initialiseGeneration + """

            return redis.call('INCR', KEYS[1])
            """
    )
}

extension RedisClient {
    /// Runs a script by its SHA1, loading it with EVAL the first time a server has not seen it.
    func evaluate(_ script: CacheScript, keys: [String], arguments: [RedisArgument]) async throws -> RESPValue {
        let tail = [RedisArgument(keys.count)] + keys.map { RedisArgument($0) } + arguments
        let reply = try await send(["EVALSHA", RedisArgument(script.sha1)] + tail)
        if case .error(let message) = reply, message.hasPrefix("NOSCRIPT") {
            return try await send(["EVAL", RedisArgument(script.source)] + tail).checked()
        }
        return try reply.checked()
    }
}
