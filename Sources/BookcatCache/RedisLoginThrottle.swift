import BookcatCore
import Crypto
import Logging
import RedisClient

/// Failed-login counters in Redis, shared by every server process; falls back to process memory while Redis fails,
/// so throttling never switches off.
public final class RedisLoginThrottle: LoginThrottle {
    private let client: RedisClient
    private let limits: LoginLimits
    private let fallback: MemoryLoginThrottle
    private let namespace: String
    private let logger: Logger

    public init(client: RedisClient, limits: LoginLimits = LoginLimits(), keyPrefix: String = "bookcat", logger: Logger) {
        self.client = client
        self.limits = limits
        self.fallback = MemoryLoginThrottle(limits: limits)
        self.namespace = CacheKeys(prefix: keyPrefix).namespace + ":login"
        self.logger = logger
    }

    /// Accounts are hashed: identifiers typed at a login prompt are not stored in clear text.
    private func accountKey(_ account: String) -> String {
        namespace + ":account:" + SHA256.hash(data: Array(account.utf8)).prefix(20).hexString
    }

    private func clientKey(_ client: String) -> String { namespace + ":client:" + client }

    /// KEYS: account, client. ARGV: account limit, client limit, window in ms. Checks both limits and counts the
    /// attempt in one step, so concurrent attempts cannot all pass the check before any is counted. Returns the
    /// longest remaining lockout in ms (counting nothing), or 0 when the attempt was counted and may go ahead.
    private static let reserve = CacheScript(
        """
        local wait = 0
        for i, key in ipairs(KEYS) do
          local attempts = tonumber(redis.call('GET', key) or '0')
          if attempts >= tonumber(ARGV[i]) then wait = math.max(wait, redis.call('PTTL', key)) end
        end
        if wait > 0 then return wait end
        for _, key in ipairs(KEYS) do
          if redis.call('INCR', key) == 1 then redis.call('PEXPIRE', key, ARGV[3]) end
        end
        return 0
        """
    )

    /// KEYS: account, client. Clears the account's count and gives the client its attempt back.
    private static let succeed = CacheScript(
        """
        redis.call('DEL', KEYS[1])
        if tonumber(redis.call('GET', KEYS[2]) or '0') > 0 then redis.call('DECR', KEYS[2]) end
        return 1
        """
    )

    public func reserveAttempt(account: String, client: String) async -> Duration? {
        let windowMilliseconds = Int(limits.window.components.seconds * 1000)
        do {
            let reply = try await self.client.evaluate(
                Self.reserve,
                keys: [accountKey(account), clientKey(client)],
                arguments: [RedisArgument(limits.failuresPerAccount), RedisArgument(limits.failuresPerClient), RedisArgument(windowMilliseconds)]
            )
            let milliseconds = reply.integer ?? 0
            return milliseconds > 0 ? .milliseconds(milliseconds) : nil
        } catch {
            logger.warning("login throttle: Redis failed, using process memory", metadata: ["error": "\(error)"])
            return await fallback.reserveAttempt(account: account, client: client)
        }
    }

    public func recordSuccess(account: String, client: String) async {
        _ = try? await self.client.evaluate(Self.succeed, keys: [accountKey(account), clientKey(client)], arguments: [])
        await fallback.recordSuccess(account: account, client: client)
    }

}
