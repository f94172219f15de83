import BookcatCore
import BookcatDigest
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

    /// Sets `ms` to the server's clock in milliseconds, and `born` to when the reader registry KEYS[n] (see
    /// ``CacheLease``) began, starting it now if it is missing. The start is kept in the registry itself, as a member
    /// with a negative score that expiry never removes, so the registry cannot lose its readers (a flush, an
    /// eviction, a restart without persistence) and keep its start: a writer then knows readers may be missing.
    private static func registry(_ n: Int) -> String {
        """

        local now = redis.call('TIME')
        local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
        local born = redis.call('ZSCORE', KEYS[\(n)], '~born')
        if born then
          born = -tonumber(born)
        else
          born = ms
          redis.call('ZADD', KEYS[\(n)], string.format('%.0f', -ms), '~born')
        end
        """
    }

    /// KEYS[1] generation key, KEYS[2] the catalog version the generation is known to cover, KEYS[3] the session
    /// epoch, KEYS[4] the reader registry; ARGV[1] the store's catalog version, ARGV[2] '1' to bump whatever the
    /// versions say (after a write), ARGV[3] the store's session epoch, or '' when unknown, ARGV[4] the channel
    /// changes are announced on.
    ///
    /// Bumps the generation when asked to or when the store is ahead of what the cache saw, and records the
    /// version. A generation this script has just created covers every version already (nothing is stored under
    /// it), so being ahead of a fresh Redis does not count as an invalidation. The session epoch only moves forward
    /// (processes publish concurrently; a late, smaller one must not undo a larger one); unknown, it is incremented,
    /// which makes every process look its remembered sessions up again. When either moved, announces
    /// "generation epoch" on ARGV[4].
    ///
    /// Returns {1 if it bumped the generation, generation, session epoch or false, 1 if it announced a change,
    /// milliseconds since the registry began, then for each live reader its id and its lease's remaining
    /// milliseconds} (readers only when it announced).
    static let publish = CacheScript(
        "local fresh = redis.call('EXISTS', KEYS[1]) == 0\n" + initialiseGeneration + """

            local seen = tonumber(redis.call('GET', KEYS[2]) or '-1')
            local version = tonumber(ARGV[1])
            local bumped = 0
            local changed = 0
            if version > seen then redis.call('SET', KEYS[2], ARGV[1]) end
            if ARGV[3] == '' then
              redis.call('INCR', KEYS[3])
              changed = 1
            elseif tonumber(ARGV[3]) > tonumber(redis.call('GET', KEYS[3]) or '-1') then
              redis.call('SET', KEYS[3], ARGV[3])
              changed = 1
            end
            if ARGV[2] == '1' or (version > seen and not fresh) then
              redis.call('INCR', KEYS[1])
              bumped = 1
              changed = 1
            end
            local generation = redis.call('GET', KEYS[1])
            local epoch = redis.call('GET', KEYS[3])
            """ + registry(4) + """

                local reply = {bumped, generation, epoch, changed, ms - born}
                if changed == 1 then
                  redis.call('PUBLISH', ARGV[4], generation .. ' ' .. (epoch or ''))
                  redis.call('ZREMRANGEBYSCORE', KEYS[4], 0, ms)
                  local readers = redis.call('ZRANGE', KEYS[4], 0, -1, 'WITHSCORES')
                  for i = 1, #readers, 2 do
                    if readers[i] ~= '~born' then
                      reply[#reply + 1] = readers[i]
                      reply[#reply + 1] = tonumber(readers[i + 1]) - ms
                    end
                  end
                end
                return reply
                """
    )

    /// KEYS[1] generation key, KEYS[2] session epoch key, KEYS[3] the reader registry; ARGV[1] the reader's id,
    /// ARGV[2] its lease in milliseconds. Registers (or extends) the reader until the lease ends by the server's
    /// clock, and returns {generation, session epoch or false} as they are now, creating the generation if missing.
    static let renewLease = CacheScript(
        initialiseGeneration + registry(3) + """

            redis.call('ZADD', KEYS[3], string.format('%.0f', ms + tonumber(ARGV[2])), ARGV[1])
            return {redis.call('GET', KEYS[1]), redis.call('GET', KEYS[2])}
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
