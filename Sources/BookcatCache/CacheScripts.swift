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

    /// KEYS[1] generation key, KEYS[2] session epoch key; ARGV[1] entry key prefix; ARGV[2] hashed request key.
    /// Returns {generation, entry or false, session epoch or false}.
    static let read = CacheScript(
        initialiseGeneration + """

            local generation = redis.call('GET', KEYS[1])
            return {generation, redis.call('GET', ARGV[1] .. generation .. ':' .. ARGV[2]), redis.call('GET', KEYS[2])}
            """
    )

    /// KEYS[1] generation key, KEYS[2] the catalog version the generation is known to cover, KEYS[3] the session
    /// epoch; ARGV[1] the store's catalog version, ARGV[2] '1' to bump whatever the versions say (after a write),
    /// ARGV[3] the store's session epoch, or '' when unknown. Bumps the generation when asked to or when the store is
    /// ahead of what the cache saw, and records the version. The session epoch only moves forward (processes
    /// publish concurrently; a late, smaller one must not undo a larger one); unknown, it is incremented, which
    /// makes every process look its remembered sessions up again. Returns 1 if it bumped the generation.
    static let publish = CacheScript(
        initialiseGeneration + """

            local seen = tonumber(redis.call('GET', KEYS[2]) or '-1')
            local version = tonumber(ARGV[1])
            if version > seen then redis.call('SET', KEYS[2], ARGV[1]) end
            if ARGV[3] == '' then
              redis.call('INCR', KEYS[3])
            elseif tonumber(ARGV[3]) > tonumber(redis.call('GET', KEYS[3]) or '-1') then
              redis.call('SET', KEYS[3], ARGV[3])
            end
            if ARGV[2] == '1' or version > seen then
              redis.call('INCR', KEYS[1])
              return 1
            end
            return 0
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
