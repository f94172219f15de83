import Foundation

/// A test certificate authority and the certificates it signs, made by `openssl` in a folder of their own: what a
/// TLS Redis and its clients present to each other in the tests. Each server certificate names `localhost` and
/// `127.0.0.1`; `expired` ended yesterday, `wrongName` names only `elsewhere.invalid`, `nameOnly` only `localhost`;
/// `otherCA` signed nothing here.
public struct TestCertificates: Sendable {
    public let folder: TemporaryFolder

    public var caFile: String { path("ca.pem") }
    public var otherCAFile: String { path("other-ca.pem") }
    public var serverCertificate: String { path("server.pem") }
    public var serverKey: String { path("server.key") }
    public var expiredCertificate: String { path("expired.pem") }
    public var wrongNameCertificate: String { path("wrong-name.pem") }
    /// Names `localhost` only, no IP address: only a client that connects by that name can verify it.
    public var nameOnlyCertificate: String { path("name-only.pem") }
    public var clientCertificate: String { path("client.pem") }
    public var clientKey: String { path("client.key") }

    /// Makes them; the caller removes `folder` when done.
    public static func make() throws -> TestCertificates {
        let certificates = TestCertificates(folder: TemporaryFolder("tls"))
        try FileManager.default.createDirectory(at: certificates.folder.url, withIntermediateDirectories: true)
        try certificates.makeAll()
        return certificates
    }

    private func makeAll() throws {
        try authority("ca")
        try authority("other-ca")
        try key("server")
        try request("server", subject: "/CN=localhost")
        try folder.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n", to: "server.ext")
        try folder.write("subjectAltName=DNS:elsewhere.invalid\n", to: "wrong-name.ext")
        try folder.write("subjectAltName=DNS:localhost\n", to: "name-only.ext")
        try folder.write("extendedKeyUsage=clientAuth\n", to: "client.ext")
        try sign("server", into: "server.pem", extensions: "server.ext", days: "30")
        try sign("server", into: "expired.pem", extensions: "server.ext", days: "-1")
        try sign("server", into: "wrong-name.pem", extensions: "wrong-name.ext", days: "30")
        try sign("server", into: "name-only.pem", extensions: "name-only.ext", days: "30")
        try key("client")
        try request("client", subject: "/CN=bookcat")
        try sign("client", into: "client.pem", extensions: "client.ext", days: "30")
    }

    private func path(_ name: String) -> String { folder.url.appendingPathComponent(name).path }

    private func authority(_ name: String) throws {
        try openssl([
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", path("\(name).key"),
            "-out", path("\(name).pem"), "-days", "30", "-subj", "/CN=bookcat test \(name)",
        ])
    }

    private func key(_ name: String) throws {
        try openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-out", path("\(name).key")])
    }

    private func request(_ name: String, subject: String) throws {
        try openssl(["req", "-new", "-key", path("\(name).key"), "-out", path("\(name).csr"), "-subj", subject])
    }

    /// `-days -1` makes a certificate whose validity ended a day ago.
    private func sign(_ name: String, into file: String, extensions: String, days: String) throws {
        try openssl([
            "x509", "-req", "-in", path("\(name).csr"), "-CA", caFile, "-CAkey", path("ca.key"), "-CAcreateserial", "-days", days,
            "-extfile", path(extensions), "-out", path(file),
        ])
    }

    private func openssl(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl"] + arguments
        process.currentDirectoryURL = folder.url
        process.standardOutput = FileHandle.nullDevice
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let said = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TestFailure("openssl \(arguments.joined(separator: " ")) failed: \(String(decoding: said, as: UTF8.self))")
        }
    }
}
