import Foundation
import Metrics
import NIOConcurrencyHelpers
import RedisClient

#if canImport(Glibc)
import Glibc
#endif

/// A real `redis-server` for one test, on a free loopback port, without persistence. Stopped (by its process id)
/// when the test ends, also when it fails.
public final class RedisServer: @unchecked Sendable {
    public let port: Int
    /// What clients must send with AUTH (`--requirepass`); nil for none.
    public let password: String?
    /// What the process is: a server, a replica of another, or a Sentinel.
    public enum Role: Sendable {
        case primary
        /// `--replicaof 127.0.0.1 PORT`.
        case replica(ofPort: Int)
        /// `redis-server FILE --sentinel`: the file holds the `sentinel monitor …` lines and must be writable.
        case sentinel(configurationFile: String)
    }

    /// TLS instead of plain TCP on `port` (`--port 0 --tls-port`): the certificate it presents, signed by
    /// `certificates`' CA, and whether it asks clients for one of their own.
    public struct TLS: Sendable {
        public var certificates: TestCertificates
        public var serverCertificate: String
        public var requireClientCertificate: Bool

        public init(certificates: TestCertificates, serverCertificate: String? = nil, requireClientCertificate: Bool = false) {
            self.certificates = certificates
            self.serverCertificate = serverCertificate ?? certificates.serverCertificate
            self.requireClientCertificate = requireClientCertificate
        }

        /// What a client that trusts the test CA (and has the client certificate, when asked for one) configures.
        public var client: RedisTLS {
            RedisTLS(
                caFile: certificates.caFile,
                certificateFile: requireClientCertificate ? certificates.clientCertificate : nil,
                keyFile: requireClientCertificate ? certificates.clientKey : nil
            )
        }
    }

    public let tls: TLS?
    /// Where the test itself looks inside: `port`, or with TLS a plain-text port of its own, so a server whose
    /// certificate no client should trust can still be probed and inspected.
    public let inspectionPort: Int
    /// More `redis-server` arguments, such as `--user` lines for ACL users.
    private let extraArguments: [String]
    private let role: Role
    private var process: Process?
    /// Signalled when the running process has exited.
    private var exited = DispatchSemaphore(value: 0)

    private init(port: Int, password: String? = nil, role: Role = .primary, tls: TLS? = nil, extraArguments: [String] = []) {
        self.port = port
        self.password = password
        self.role = role
        self.tls = tls
        self.extraArguments = extraArguments
        self.inspectionPort = tls == nil ? port : ((try? LoopbackPort.free()) ?? port + 1)
    }

    /// Starts a server (requiring `password`, if given), runs `body` with it and always stops it.
    public static func with<Value: Sendable>(
        password: String? = nil,
        role: Role = .primary,
        tls: TLS? = nil,
        arguments extraArguments: [String] = [],
        _ body: (RedisServer) async throws -> Value
    ) async throws -> Value {
        var attempt = 1
        while true {
            let server = RedisServer(port: try LoopbackPort.free(), password: password, role: role, tls: tls, extraArguments: extraArguments)
            // Stopped on every path, also when it never answered: a started process must not outlive the test.
            defer { server.stop() }
            do {
                try await server.start()
            } catch is PortTakenMeanwhile where attempt < 5 {
                // Another test's server took the port between `LoopbackPort.free()` and our bind: take another.
                attempt += 1
                continue
            }
            return try await body(server)
        }
    }

    /// Tests run in parallel and each finds its port by asking for a free one, so two can be handed the same port;
    /// the second `redis-server` then fails to bind while the first one answers its probe.
    public struct PortTakenMeanwhile: Error {}

    /// A server that will listen on `port` once started; the caller stops it.
    public static func at(port: Int) -> RedisServer { RedisServer(port: port) }

    public var url: String { "\(tls == nil ? "redis" : "rediss")://127.0.0.1:\(port)" }

    /// The connect and command timeout of the tests' clients: what no healthy reply on a loaded machine outlasts.
    /// (The service's own, 250 and 100 ms, are for a quiet one.)
    public static let roomyTimeout = Duration.seconds(5)

    /// The command timeout of tests of a hung (paused) server, where the timeout is what is tested and every one is
    /// waited out: long enough that a healthy reply on a loaded machine fits, which those tests also retry.
    public static let hungTimeout = Duration.seconds(1)

    /// A client with a short breaker pause, so fault tests stay quick. The timeouts are generous, so a busy machine
    /// (the whole suite beside other work on two cores, at a load of 16) does not turn a slow reply into a failure:
    /// a stopped server refuses at once whatever they are, and only tests of a hung server shorten them.
    public func clientConfiguration(commandTimeout: Duration = RedisServer.roomyTimeout) -> RedisConfiguration {
        var configuration = RedisConfiguration(host: "127.0.0.1", port: port, password: password, tls: tls?.client)
        configuration.connectTimeout = Self.roomyTimeout
        configuration.commandTimeout = commandTimeout
        configuration.openDuration = .milliseconds(200)
        configuration.poolSize = 2
        return configuration
    }

    public func start() async throws {
        let process = Process()
        process.executableURL = try Self.executable()
        var common = ["--port", String(port), "--bind", "127.0.0.1", "--loglevel", "warning"]
        if let tls {
            common = [
                "--port", String(inspectionPort), "--tls-port", String(port), "--bind", "127.0.0.1", "--loglevel", "warning", "--tls-cert-file",
                tls.serverCertificate, "--tls-key-file", tls.certificates.serverKey, "--tls-ca-cert-file", tls.certificates.caFile,
                "--tls-auth-clients", tls.requireClientCertificate ? "yes" : "no",
            ]
        }
        common += extraArguments
        switch role {
        case .primary:
            // A replica that asks is sent the data at once, over the socket, with no pause to gather others.
            process.arguments =
                common + ["--save", "", "--appendonly", "no", "--repl-diskless-sync-delay", "0"]
                + (password.map { ["--requirepass", $0] } ?? [])
        case .replica(let primaryPort):
            // Loads the primary's data straight from the socket: the working folder may not be writable (it is the
            // checkout, for the unprivileged test user), and a replica that cannot write its temporary file stalls.
            process.arguments =
                common + [
                    "--save", "", "--appendonly", "no", "--repl-diskless-load", "on-empty-db", "--dir", NSTemporaryDirectory(),
                    "--replicaof", "127.0.0.1", String(primaryPort),
                ]
        case .sentinel(let file):
            // The configuration file comes first; Sentinel rewrites it as it learns.
            process.arguments = [file, "--sentinel"] + common
        }
        // What the server says goes to a file of its own (`--logfile`), shown when it does not answer.
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("bookcat-redis-\(port)-\(UUID().uuidString).log")
        defer { try? FileManager.default.removeItem(at: log) }
        process.arguments = (process.arguments ?? []) + ["--logfile", log.path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        let exited = DispatchSemaphore(value: 0)
        let ended = NIOLockedValueBox<String?>(nil)
        process.terminationHandler = { process in
            ended.withLockedValue { $0 = "ended (\(process.terminationReason == .uncaughtSignal ? "signal" : "exit") \(process.terminationStatus))" }
            exited.signal()
        }
        self.exited = exited
        try process.run()
        self.process = process
        let probe = RedisClient(configuration: inspectionConfiguration(), metrics: NOOPMetricsHandler.instance)
        defer { Task { await probe.shutdown() } }
        let lastReply: Result<RESPValue, any Error> = try await eventually {
            do { return .success(try await probe.send("PING")) } catch { return .failure(error) }
        } until: {
            (try? $0.get()) == .simpleString("PONG")
        }
        if let info = try? await probe.send("INFO", "server").string {
            // Answered, but by this process? A server another test started on the same port answers too, and sharing
            // it (its FLUSHALL, its stop, its pause) makes both tests fail at random.
            if info.contains("process_id:\(process.processIdentifier)\r\n") { return }
            stop()
            throw PortTakenMeanwhile()
        }
        stop()
        var failure: any Error = RedisError.unavailable
        if case .failure(let error) = lastReply { failure = error }
        let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        let how = ended.withLockedValue { $0 } ?? "still running"
        throw TestFailure("redis-server did not answer on port \(port) (\(how)): \(probe.describeFailure(failure)); it said: \(output.suffix(1_000))")
    }

    /// Kills the server and waits until its port is free again.
    public func stop() {
        guard let process else { return }
        self.process = nil
        // Not once it has exited: its process id may already be another's (a server another test just started).
        guard process.isRunning else { return }
        let pid = process.processIdentifier
        kill(pid, SIGKILL)
        // Foundation reaps the child and then calls its termination handler; waitUntilExit would spin a run loop.
        _ = exited.wait(timeout: .now() + 2)
    }

    /// Freezes the server (SIGSTOP): connections stay open but nothing answers, as with a hung Redis.
    public func pause() { process.map { _ = kill($0.processIdentifier, SIGSTOP) } }

    public func resume() { process.map { _ = kill($0.processIdentifier, SIGCONT) } }

    /// A client for inspecting the server from the test.
    public func inspector() -> RedisClient { RedisClient(configuration: inspectionConfiguration(), metrics: NOOPMetricsHandler.instance) }

    private func inspectionConfiguration() -> RedisConfiguration {
        var configuration = clientConfiguration()
        configuration.port = inspectionPort
        configuration.tls = nil
        return configuration
    }

    /// `REDIS_SERVER` if set, else the first `redis-server` on `PATH`.
    static func executable() throws -> URL {
        let environment = ProcessInfo.processInfo.environment
        if let configured = environment["REDIS_SERVER"] {
            guard FileManager.default.isExecutableFile(atPath: configured) else {
                throw TestFailure("REDIS_SERVER=\(configured) is not an executable file")
            }
            return URL(fileURLWithPath: configured)
        }
        let directories = (environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":")
        for directory in directories {
            let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent("redis-server")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        throw TestFailure(
            "these tests start a real redis-server and found none on PATH (\(directories.joined(separator: ":"))): install it (Debian: apt-get install redis-server) or set REDIS_SERVER to its path"
        )
    }
}
