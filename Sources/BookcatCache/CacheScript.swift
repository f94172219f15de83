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

    /// Creates the counter KEYS[n] (the generation, the change counter) from the server's clock in microseconds when
    /// it is missing, so one lost or restarted never counts from below a value a process, a key or a fill still holds.
    private static func startFromClock(_ n: Int) -> String {
        """
        if redis.call('EXISTS', KEYS[\(n)]) == 0 then
          local now = redis.call('TIME')
          redis.call('SET', KEYS[\(n)], now[1] .. string.format('%06d', tonumber(now[2])), 'NX')
        end

        """
    }

    /// KEYS[1] generation key, KEYS[2] session epoch key, KEYS[3] change counter; ARGV[1] entry key prefix, or ''
    /// on a cluster (the entry lives on another shard: the caller reads it); ARGV[2] hashed request key. Returns
    /// {generation, entry or false, session epoch or false, change counter}.
    static let read = CacheScript(
        startFromClock(1) + startFromClock(3) + """

            local generation = redis.call('GET', KEYS[1])
            local entry = false
            if ARGV[1] ~= '' then entry = redis.call('GET', ARGV[1] .. generation .. ':' .. ARGV[2]) end
            return {generation, entry, redis.call('GET', KEYS[2]), redis.call('GET', KEYS[3])}
            """
    )

    /// KEYS[1] the entry key, KEYS[2] its generation's changed-books hash, KEYS[3] the change counter; ARGV[1] the
    /// encoded body, ARGV[2] its time to live in seconds, ARGV[3] the change counter read before the body was
    /// rendered, ARGV[4] the generation's `shows:` prefix, ARGV[5] the hashed request key, ARGV[6] the books the body
    /// shows, comma-separated, or `*` for any.
    ///
    /// Stores the entry and lists it under each of its books, unless one of them changed in place after the body
    /// began to render (the change's publish ran between the read and now, so it could not delete this entry): then
    /// stores nothing. A body that may show any book is refused after any change. Returns 1 if it stored the entry.
    static let store = CacheScript(
        """
        if redis.call('EXISTS', KEYS[3]) == 0 then return 0 end
        local since = tonumber(ARGV[3])
        local books = {}
        if ARGV[6] == '*' then
          if tonumber(redis.call('GET', KEYS[3])) > since then return 0 end
          books[1] = '*'
        else
          for book in string.gmatch(ARGV[6], '[^,]+') do
            local changed = redis.call('HGET', KEYS[2], book)
            if changed and tonumber(changed) > since then return 0 end
            books[#books + 1] = book
          end
        end
        redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
        for _, book in ipairs(books) do
          redis.call('SADD', ARGV[4] .. book, ARGV[5])
          redis.call('EXPIRE', ARGV[4] .. book, ARGV[2])
        end
        return 1
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

    static let changedBooksPerGeneration = 65_536

    /// KEYS[1] generation key, KEYS[2] the catalog version the generation is known to cover, KEYS[3] the session
    /// epoch, KEYS[4] the reader registry, KEYS[5] the change counter, KEYS[6] the store's in-place change head
    /// covered here; ARGV[1] the store's catalog version, ARGV[2] '1' to bump whatever the versions say (after a
    /// write), ARGV[3] the store's session epoch, or '' when unknown, ARGV[4] the channel changes are announced on,
    /// ARGV[5] the store's in-place change head, or '' when unknown, ARGV[6] the head the caller's books start
    /// after (every change up to it is reflected here already, as far as the caller knows), or '' when it knows
    /// none, ARGV[7] the prefix of the per-generation keys (``CacheKeys/generationScopedPrefix``), ARGV[8] the
    /// books changed in place after ARGV[6] up to ARGV[5], comma-separated, ARGV[9] the entry key prefix, or '' on a
    /// cluster, where entries live on other shards: they are not deleted there, but checked by their readers against
    /// the changed-books hash (``RedisResponseCache``), which records from which count on it is whole (`~since`).
    ///
    /// Bumps the generation when asked to, when the store is ahead of what the cache saw, or when in-place changes
    /// may be missing here (the caller's start is ahead of KEYS[6], or it knows no start and the store is ahead),
    /// and records the versions. A generation this script has just created covers every version already (nothing
    /// is stored under it), so being ahead of a fresh Redis does not count as an invalidation. Otherwise, for books
    /// changed in place, counts one change, deletes the entries that show them (or may show any book) and records
    /// the count per book, so a fill that read an older count does not store them again (``store``). The session
    /// epoch only moves forward (processes publish concurrently; a late, smaller one must not undo a larger one);
    /// unknown, it is incremented, which makes every process look its remembered sessions up again. When anything
    /// moved, announces "generation epoch counter from through books" on ARGV[4]: `through` (with `from`, '' for
    /// any) is the store head every change up to which is now reflected here, for readers that had reflected every
    /// one up to `from`.
    ///
    /// A generation whose changed-books hash holds ``changedBooksPerGeneration`` books is replaced by a new one
    /// instead, which bounds the hash; the old generation's hash goes when it is replaced.
    ///
    /// Returns {1 if it bumped the generation, generation, session epoch or false, 1 if it announced a change,
    /// milliseconds since the registry began, change counter, 1 if it dropped the books, then for each live reader
    /// its id and its lease's remaining milliseconds} (readers only when it announced).
    static let publish = CacheScript(
        "local fresh = redis.call('EXISTS', KEYS[1]) == 0\n" + startFromClock(1) + startFromClock(5) + """

            local seen = tonumber(redis.call('GET', KEYS[2]) or '-1')
            local version = tonumber(ARGV[1])
            local bumped = 0
            local changed = 0
            local dropped = 0
            if version > seen then redis.call('SET', KEYS[2], ARGV[1]) end
            if ARGV[3] == '' then
              redis.call('INCR', KEYS[3])
              changed = 1
            elseif tonumber(ARGV[3]) > tonumber(redis.call('GET', KEYS[3]) or '-1') then
              redis.call('SET', KEYS[3], ARGV[3])
              changed = 1
            end
            local head = tonumber(ARGV[5])
            local from = tonumber(ARGV[6])
            local covered = tonumber(redis.call('GET', KEYS[6]) or '-1')
            local missing = head ~= nil and head > covered and (from == nil or from > covered) and not fresh
            local through = ''
            if head ~= nil and head > covered then redis.call('SET', KEYS[6], ARGV[5]) end
            local changedBooks = ARGV[7] .. 'changed:' .. redis.call('GET', KEYS[1])
            -- A generation that saw this many books change starts over: what it keeps per book stays bounded.
            local full = ARGV[8] ~= '' and redis.call('HLEN', changedBooks) >= \(changedBooksPerGeneration)
            if ARGV[2] == '1' or (version > seen and not fresh) or missing or full then
              -- Fills of the old generation store where nobody reads: what they check against can go now.
              redis.call('DEL', changedBooks)
              redis.call('INCR', KEYS[1])
              bumped = 1
              changed = 1
              if head ~= nil then through = ARGV[5] end
              from = nil
            elseif ARGV[8] ~= '' then
              local count = redis.call('INCR', KEYS[5])
              local generation = redis.call('GET', KEYS[1])
              local shows = ARGV[7] .. 'shows:' .. generation .. ':'
              local entries = ARGV[9] .. generation .. ':'
              local function dropShowing(book)
                if ARGV[9] == '' then return end
                for _, key in ipairs(redis.call('SMEMBERS', shows .. book)) do redis.call('DEL', entries .. key) end
                redis.call('DEL', shows .. book)
              end
              dropShowing('*')
              -- The first count this hash holds: a reader of an entry read before it cannot tell what it missed.
              redis.call('HSETNX', changedBooks, '~since', count)
              for book in string.gmatch(ARGV[8], '[^,]+') do
                dropShowing(book)
                redis.call('HSET', changedBooks, book, count)
              end
              -- Outlives any fill that could still check it, whatever the entries' own time to live.
              redis.call('EXPIRE', changedBooks, 86400)
              dropped = 1
              changed = 1
              if head ~= nil and from ~= nil then through = ARGV[5] end
            end
            local generation = redis.call('GET', KEYS[1])
            local epoch = redis.call('GET', KEYS[3])
            local counter = redis.call('GET', KEYS[5])
            """ + registry(4) + """

                local reply = {bumped, generation, epoch, changed, ms - born, counter, dropped}
                if changed == 1 then
                  local books = ''
                  if dropped == 1 then books = ARGV[8] end
                  local start = ''
                  if from ~= nil then start = ARGV[6] end
                  redis.call('PUBLISH', ARGV[4], generation .. ' ' .. (epoch or '') .. ' ' .. counter .. ' ' .. start .. ' ' .. through .. ' ' .. books)
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

    /// KEYS[1] generation key, KEYS[2] session epoch key, KEYS[3] the reader registry, KEYS[4] the change counter;
    /// ARGV[1] the reader's id, ARGV[2] its lease in milliseconds. Registers (or extends) the reader until the lease
    /// ends by the server's clock, and returns {generation, session epoch or false, change counter} as they are now,
    /// creating the generation and the counter if missing.
    static let renewLease = CacheScript(
        startFromClock(1) + startFromClock(4) + registry(3) + """

            redis.call('ZADD', KEYS[3], string.format('%.0f', ms + tonumber(ARGV[2])), ARGV[1])
            return {redis.call('GET', KEYS[1]), redis.call('GET', KEYS[2]), redis.call('GET', KEYS[4])}
            """
    )
}

extension RedisClient {
    /// Runs a script by its SHA1, loading it with EVAL the first time a server has not seen it.
    func evaluate(_ script: CacheScript, keys: [String], arguments: [RedisArgument]) async throws -> RESPValue {
        try await evaluate(script, keys: keys, arguments: arguments, followedBy: nil).reply
    }

    /// The same, with `WAIT 1` sent right after it on the same connection when `waitingForReplica`: the script's
    /// reply, and the `WAIT`'s (how many replicas have the script's writes), or nil when not asked.
    func evaluate(
        _ script: CacheScript,
        waitingForReplica: Bool,
        keys: [String],
        arguments: [RedisArgument]
    ) async throws -> (reply: RESPValue, wait: RESPValue?) {
        let wait: [RedisArgument] = ["WAIT", "1", RedisArgument(max(1, Int(configuration.commandTimeout / .milliseconds(1)) / 2))]
        return try await evaluate(script, keys: keys, arguments: arguments, followedBy: waitingForReplica ? wait : nil)
    }

    /// EVALSHA (EVAL on `NOSCRIPT`), and `next`, when given, in the same round trip on the same connection.
    private func evaluate(
        _ script: CacheScript,
        keys: [String],
        arguments: [RedisArgument],
        followedBy next: [RedisArgument]?
    ) async throws -> (reply: RESPValue, wait: RESPValue?) {
        let tail = [RedisArgument(keys.count)] + keys.map { RedisArgument($0) } + arguments
        func run(_ head: [RedisArgument]) async throws -> [RESPValue] {
            try await send(pipeline: [head + tail] + (next.map { [$0] } ?? []))
        }
        var replies = try await run(["EVALSHA", RedisArgument(script.sha1)])
        if case .error(let message) = replies[0], message.hasPrefix("NOSCRIPT") {
            replies = try await run(["EVAL", RedisArgument(script.source)])
        }
        return (try replies[0].checked(), next == nil ? nil : replies[1])
    }
}
