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

    /// KEYS: account, client. ARGV: account limit, client limit. Returns the longest remaining lockout in ms, or 0.
    private static let check = CacheScript(
        """
        local wait = 0
        for i, key in ipairs(KEYS) do
          local failures = tonumber(redis.call('GET', key) or '0')
          if failures >= tonumber(ARGV[i]) then wait = math.max(wait, redis.call('PTTL', key)) end
        end
        return wait
        """
    )

    /// KEYS: account, client. ARGV: window in ms. Counts a failure; the window starts at the first one.
    private static let fail = CacheScript(
        """
        for _, key in ipairs(KEYS) do
          if redis.call('INCR', key) == 1 then redis.call('PEXPIRE', key, ARGV[1]) end
        end
        return 1
        """
    )

    public func retryAfter(account: String, client: String) async -> Duration? {
        do {
            let reply = try await self.client.evaluate(
                Self.check,
                keys: [accountKey(account), clientKey(client)],
                arguments: [RedisArgument(limits.failuresPerAccount), RedisArgument(limits.failuresPerClient)]
            )
            let milliseconds = reply.integer ?? 0
            return milliseconds > 0 ? .milliseconds(milliseconds) : nil
        } catch {
            logger.warning("login throttle: Redis failed, using process memory", metadata: ["error": "\(error)"])
            return await fallback.retryAfter(account: account, client: client)
        }
    }

    public func recordFailure(account: String, client: String) async {
        let windowMilliseconds = Int(limits.window.components.seconds * 1000)
        do {
            _ = try await self.client.evaluate(
                Self.fail,
                keys: [accountKey(account), clientKey(client)],
                arguments: [RedisArgument(windowMilliseconds)]
            )
        } catch {
            await fallback.recordFailure(account: account, client: client)
        }
    }

    public func recordSuccess(account: String) async {
        _ = try? await client.send("DEL", RedisArgument(accountKey(account)))
        await fallback.recordSuccess(account: account)
    }

}
