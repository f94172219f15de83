import BookcatTestSupport
import Foundation
import Metrics
import Testing

@testable import RedisClient

#if canImport(Glibc)
import Glibc
#endif

/// `rediss://`: a real `redis-server` on a TLS port with a certificate from a test CA (made by `openssl`). Commands
/// and subscriptions go over TLS; a certificate that should not be trusted is a failed connection that says why,
/// and there is never a fall-back to plain text.
@Suite("Redis over TLS")
struct RedisTLSTests {
    @Test func commandsAndSubscriptionsGoOverVerifiedTLS() async throws {
        let certificates = try TestCertificates.make()
        defer { certificates.folder.remove() }
        try await RedisServer.with(tls: .init(certificates: certificates)) { redis in
            var configuration = try #require(RedisConfiguration(url: redis.url))
            #expect(configuration.tls == RedisTLS(), "rediss:// alone trusts the system's CAs")
            configuration = redis.clientConfiguration()
            let client = RedisClient(configuration: configuration, metrics: NOOPMetricsHandler.instance)
            // More commands at once than the pool has connections: every connection makes its own handshake.
            try await withThrowingTaskGroup(of: RESPValue.self) { group in
                for index in 0..<8 { group.addTask { try await client.send("SET", RedisArgument("key-\(index)"), "over TLS") } }
                for try await reply in group { #expect(reply == .simpleString("OK")) }
            }
            let subscription = try await RedisSubscription.subscribe(to: ["changes"], configuration: configuration)
            _ = try await client.send("PUBLISH", "changes", "hello").checked()
            for await message in subscription.messages {
                #expect(String(decoding: message.payload, as: UTF8.self) == "hello")
                break
            }
            subscription.close()
            let inspector = redis.inspector()
            #expect(try await inspector.send("DBSIZE") == .integer(8))
            await inspector.shutdown()
            await client.shutdown()
        }
    }

    /// Each way a server's certificate can be wrong fails the connection, naming the cause; the system's trust store
    /// (no CA file) does not know the test CA either.
    @Test(arguments: [
        ("another CA", "not signed by a trusted CA"),
        ("the system's CAs", "not signed by a trusted CA"),
        ("expired", "not signed by a trusted CA, or has expired"),
        ("wrong name", "does not name the host"),
    ])
    func aCertificateThatMustNotBeTrustedFailsTheConnectionAndSaysWhy(wrong: String, says: String) async throws {
        let certificates = try TestCertificates.make()
        defer { certificates.folder.remove() }
        let presented =
            switch wrong {
            case "expired": certificates.expiredCertificate
            case "wrong name": certificates.wrongNameCertificate
            default: certificates.serverCertificate
            }
        try await RedisServer.with(tls: .init(certificates: certificates, serverCertificate: presented)) { redis in
            var configuration = redis.clientConfiguration()
            switch wrong {
            case "another CA": configuration.tls = RedisTLS(caFile: certificates.otherCAFile)
            case "the system's CAs": configuration.tls = RedisTLS()
            default: break
            }
            let client = RedisClient(configuration: configuration, metrics: NOOPMetricsHandler.instance)
            await #expect(throws: RedisError.self) { try await client.send("PING") }
            do {
                _ = try await client.send("PING")
            } catch {
                #expect(client.describeFailure(error).contains(says), "\(client.describeFailure(error))")
                #expect(client.describeFailure(error).contains("over TLS"))
            }
            await #expect(throws: RedisError.self) {
                try await RedisSubscription.subscribe(to: ["changes"], configuration: configuration)
            }
            await client.shutdown()
        }
    }

    @Test func aServerThatAsksForAClientCertificateGetsOneWhenConfigured() async throws {
        let certificates = try TestCertificates.make()
        defer { certificates.folder.remove() }
        try await RedisServer.with(tls: .init(certificates: certificates, requireClientCertificate: true)) { redis in
            let client = RedisClient(configuration: redis.clientConfiguration(), metrics: NOOPMetricsHandler.instance)
            let pong = try await client.send("PING")
            #expect(pong == .simpleString("PONG"))
            await client.shutdown()

            var withoutCertificate = redis.clientConfiguration()
            withoutCertificate.tls = RedisTLS(caFile: certificates.caFile)
            let refused = RedisClient(configuration: withoutCertificate, metrics: NOOPMetricsHandler.instance)
            await #expect(throws: RedisError.self) { try await refused.send("PING") }
            await refused.shutdown()
        }
    }

    /// The wrong scheme for the port is a failed connection, never a silent plain-text one, and never a hang past
    /// the connect timeout.
    @Test func theWrongSchemeForThePortFailsWithinTheTimeout() async throws {
        let certificates = try TestCertificates.make()
        defer { certificates.folder.remove() }
        try await RedisServer.with(tls: .init(certificates: certificates)) { tlsServer in
            var plainToTLS = tlsServer.clientConfiguration()
            plainToTLS.tls = nil
            plainToTLS.connectTimeout = .seconds(2)
            plainToTLS.commandTimeout = .seconds(2)
            let client = RedisClient(configuration: plainToTLS, metrics: NOOPMetricsHandler.instance)
            await #expect(throws: RedisError.self) { try await client.send("PING") }
            await client.shutdown()
        }
        try await RedisServer.with { plainServer in
            var tlsToPlain = plainServer.clientConfiguration()
            tlsToPlain.tls = RedisTLS(caFile: certificates.caFile)
            let client = RedisClient(configuration: tlsToPlain, metrics: NOOPMetricsHandler.instance)
            do {
                _ = try await client.send("PING")
                Issue.record("a TLS client talked to a plain-text port")
            } catch {
                #expect(client.describeFailure(error).contains("TLS handshake"), "\(client.describeFailure(error))")
            }
            await client.shutdown()
        }
    }

    /// Files that cannot work are refused when the settings are read, naming the file; a FIFO is never opened (it
    /// would hang the start).
    @Test func filesThatCannotWorkAreRefusedNamingThem() throws {
        let certificates = try TestCertificates.make()
        defer { certificates.folder.remove() }
        let fifo = certificates.folder.url.appendingPathComponent("fifo").path
        #expect(mkfifo(fifo, 0o600) == 0)
        let cases: [(RedisTLS, String)] = [
            (RedisTLS(caFile: certificates.folder.url.appendingPathComponent("missing.pem").path), "cannot be read"),
            (RedisTLS(caFile: fifo), "is not a regular file"),
            (RedisTLS(caFile: certificates.serverKey), "holds no PEM certificate"),
            (RedisTLS(certificateFile: certificates.clientCertificate), "set REDIS_TLS_CERT_FILE and REDIS_TLS_KEY_FILE together"),
            (RedisTLS(certificateFile: certificates.clientCertificate, keyFile: certificates.caFile), "holds no PEM private key"),
        ]
        for (tls, says) in cases {
            #expect {
                _ = try tls.context()
            } throws: { error in
                "\(error)".contains(says)
            }
        }
    }
}
