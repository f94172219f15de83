import BookcatPostgres
import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A real PostgreSQL server for the test process, and a fresh, empty database for each test that asks.
///
/// `BOOKCAT_TEST_POSTGRES` (`postgres://user@host:port`, as `scripts/test.sh` sets it) names a running server to
/// use. Without it, the first test to ask starts a throwaway cluster: `initdb` in a temporary folder, `postgres`
/// on a free loopback port, stopped by its process id when the test process exits. PostgreSQL refuses to run as
/// root, so run the tests as an unprivileged user (as `scripts/test.sh` does).
public actor PostgresCluster {
    public static let shared = PostgresCluster()

    /// The one start of the server, shared by every test that asks while it is under way (an actor's method may be
    /// entered again while it waits, so a flag would let two tests start two clusters).
    private var server: Task<Server, any Error>?
    private var databases = 0

    struct Server: Sendable {
        var host: String
        var port: Int
        var user: String
    }

    /// A new database, nobody else's, on the shared server.
    public func freshDatabase() async throws -> PostgresLocation {
        if server == nil { server = Task { try await Self.locateOrStart() } }
        let server = try await server!.value
        databases += 1
        let name = "bookcat_test_\(getpid())_\(databases)"
        try Self.run(
            try Self.binary("psql"),
            [
                "-h", server.host, "-p", String(server.port), "-U", server.user, "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-q",
                "-c", "CREATE DATABASE \(name)",
            ]
        )
        return PostgresLocation(host: server.host, port: server.port, username: server.user, password: nil, database: name, tls: .disable)
    }

    /// Runs `sql` with `psql` in `location`'s database and returns what it printed (unaligned, no headers): for
    /// tests that set up what the API cannot, or read what it does not show.
    public nonisolated func psql(_ sql: String, in location: PostgresLocation) throws -> String {
        try Self.run(
            try Self.binary("psql"),
            [
                "-h", location.host, "-p", String(location.port), "-U", location.username, "-d", location.database,
                "-v", "ON_ERROR_STOP=1", "-q", "-A", "-t", "-c", sql,
            ]
        )
    }

    private static func locateOrStart() async throws -> Server {
        guard let configured = ProcessInfo.processInfo.environment["BOOKCAT_TEST_POSTGRES"] else { return try await startCluster() }
        guard let url = URLComponents(string: configured), let host = url.host, let port = url.port, let user = url.user else {
            throw TestFailure("BOOKCAT_TEST_POSTGRES=\(configured) must look like postgres://user@127.0.0.1:5432")
        }
        return Server(host: host, port: port, user: user)
    }

    /// The cluster this process started and its folder, so the exit handler can stop it and remove them.
    private static let started = Mutex<(pid: pid_t, folder: String)>((0, ""))

    private static func startCluster() async throws -> Server {
        guard geteuid() != 0 else {
            throw TestFailure(
                "PostgreSQL refuses to run as root: run the tests as an unprivileged user (scripts/test.sh does), or set BOOKCAT_TEST_POSTGRES to a running server"
            )
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bookcat-pg-\(getpid())-\(UUID().uuidString.prefix(8))")
        let data = folder.appendingPathComponent("data").path
        try FileManager.default.createDirectory(atPath: folder.path, withIntermediateDirectories: true)
        try run(try binary("initdb"), ["-D", data, "-U", "bookcat", "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync"])
        let port = try LoopbackPort.free()
        let process = Process()
        process.executableURL = try binary("postgres")
        // A throwaway cluster: no fsync, so a test's writes cost memory, not disk flushes.
        process.arguments = [
            "-D", data, "-p", String(port), "-k", folder.path, "-c", "listen_addresses=127.0.0.1",
            "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "max_connections=300",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        started.withLock { $0 = (process.processIdentifier, folder.path) }
        atexit {
            // The cluster lives as long as the test process; its data folder goes with it. SIGQUIT is PostgreSQL's
            // immediate shutdown; the folder is removed once the server has gone (within 5 s).
            let (pid, folder) = PostgresCluster.started.withLock { $0 }
            guard pid > 0 else { return }
            kill(pid, SIGQUIT)
            for _ in 0..<500 where kill(pid, 0) == 0 { usleep(10_000) }
            try? FileManager.default.removeItem(atPath: folder)
        }
        let ready = try await eventually(timeout: .seconds(30)) {
            (try? run(try binary("pg_isready"), ["-h", "127.0.0.1", "-p", String(port), "-q"])) != nil
        } until: {
            $0
        }
        guard ready else { throw TestFailure("postgres did not accept connections on port \(port) within 30 s") }
        return Server(host: "127.0.0.1", port: port, user: "bookcat")
    }

    /// `POSTGRES_BIN/name`, else the newest `/usr/lib/postgresql/*/bin/name`, else `name` on `PATH`.
    static func binary(_ name: String) throws -> URL {
        let environment = ProcessInfo.processInfo.environment
        var directories: [String] = []
        if let configured = environment["POSTGRES_BIN"] { directories.append(configured) }
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        directories += versions.sorted { (Int($0) ?? 0) > (Int($1) ?? 0) }.map { "/usr/lib/postgresql/\($0)/bin" }
        directories += (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map(String.init)
        for directory in directories {
            let candidate = URL(fileURLWithPath: directory).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        throw TestFailure(
            "the PostgreSQL tests start a real server and found no \(name): install it (Debian: apt-get install postgresql) or set POSTGRES_BIN to its bin folder"
        )
    }

    /// Runs a command to its end; throws with its output when it fails.
    @discardableResult
    static func run(_ executable: URL, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        // Throwing, not readDataToEndOfFile(), which traps on an interrupted read and takes the whole test run down.
        let text = String(decoding: try output.fileHandleForReading.readToEnd() ?? Data(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TestFailure("\(executable.lastPathComponent) \(arguments.joined(separator: " ")) failed: \(text)")
        }
        return text
    }
}
