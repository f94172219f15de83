import BookcatTestSupport
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The real `bookcat serve` executable (built next to the tests) in its own process, for what only a process shows:
/// signals and its exit status. Killed by its process id when the test ends, if it is still running.
final class ServerProcess: @unchecked Sendable {
    let port: Int
    private let process = Process()
    private let exited = ExitStatus()

    /// Starts `bookcat serve` on a free port with `environment` (on top of PATH), its output in `log`.
    init(environment: [String: String], log: URL) throws {
        port = try LoopbackPort.free()
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("bookcat")
        guard FileManager.default.isExecutableFile(atPath: executable.path) else {
            throw TestFailure("no bookcat executable at \(executable.path): build it first (swift build)")
        }
        process.executableURL = executable
        process.arguments = ["serve"]
        var variables = environment
        variables["HTTP_HOST"] = "127.0.0.1"
        variables["HTTP_PORT"] = String(port)
        variables["PATH"] = ProcessInfo.processInfo.environment["PATH"]
        process.environment = variables
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let output = try FileHandle(forWritingTo: log)
        process.standardOutput = output
        process.standardError = output
        process.terminationHandler = { [exited] process in exited.record(process.terminationStatus) }
        try process.run()
    }

    deinit { kill() }

    /// Sends `signal` (SIGTERM by default), as a container runtime or systemd does to stop it.
    func signal(_ signal: Int32 = SIGTERM) {
        Glibc.kill(process.processIdentifier, signal)
    }

    /// Its exit status, once it has exited.
    func exitStatus() async -> Int32 { await exited.value() }

    func kill() {
        if process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) }
    }

    /// Whether it accepts a new connection right now.
    func acceptsConnections() async -> Bool {
        guard let connection = try? await RawConnection.open(port: port) else { return false }
        await connection.close()
        return true
    }

    /// Sends one request with `Connection: close` and returns the whole response.
    func request(_ method: String, _ path: String, token: String? = nil, body: String? = nil) async throws -> String {
        let connection = try await RawConnection.open(port: port)
        try await connection.send(Self.head(method, path, token: token, bodyLength: body?.utf8.count, close: true) + (body ?? ""))
        return try await connection.untilClosed()
    }

    /// A request head; with `bodyLength`, a JSON body of that many bytes is announced.
    static func head(_ method: String, _ path: String, token: String? = nil, bodyLength: Int? = nil, close: Bool = false) -> String {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        if let token { head += "Authorization: Bearer \(token)\r\n" }
        if let bodyLength { head += "Content-Type: application/json\r\nContent-Length: \(bodyLength)\r\n" }
        if close { head += "Connection: close\r\n" }
        return head + "\r\n"
    }
}

/// The exit status, set once by the process's termination handler, awaited by the test.
private final class ExitStatus: @unchecked Sendable {
    private let lock = NSLock()
    private var status: Int32?
    private var waiters: [CheckedContinuation<Int32, Never>] = []

    func record(_ value: Int32) {
        lock.lock()
        status = value
        let waiting = waiters
        waiters = []
        lock.unlock()
        for waiter in waiting { waiter.resume(returning: value) }
    }

    func value() async -> Int32 {
        await withCheckedContinuation { continuation in
            lock.lock()
            if let status {
                lock.unlock()
                continuation.resume(returning: status)
            } else {
                waiters.append(continuation)
                lock.unlock()
            }
        }
    }
}
