import Foundation
import NIOSSL
import PostgresNIO

/// Where the PostgreSQL store is: `DATABASE_URL` (`postgres://user:password@host:5432/database?sslmode=require`)
/// read into the client's configuration, with every mistake named in one line.
///
/// `sslmode` means what it means to libpq: `disable`, `prefer` (the default: TLS when the server offers it),
/// `require` (TLS, certificate not checked), `verify-ca` (TLS, certificate checked, host name not) and
/// `verify-full` (TLS, certificate and host name checked).
public struct PostgresLocation: Sendable, Equatable {
    public enum TLSMode: String, Sendable, CaseIterable {
        case disable, prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    public var tls: TLSMode

    public init(host: String, port: Int = 5432, username: String, password: String?, database: String, tls: TLSMode = .prefer) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.tls = tls
    }

    /// Reads a `postgres://` or `postgresql://` URL. The error says what is wrong without repeating the password.
    public init(url text: String) throws(PostgresLocationError) {
        guard let components = URLComponents(string: text), let scheme = components.scheme,
            ["postgres", "postgresql"].contains(scheme.lowercased())
        else {
            throw PostgresLocationError("must look like postgres://user:password@host:5432/database")
        }
        guard let host = components.host, !host.isEmpty else { throw PostgresLocationError("names no host") }
        guard let username = components.user.flatMap({ $0.removingPercentEncoding }), !username.isEmpty else {
            throw PostgresLocationError("names no user (postgres://user:password@host/database)")
        }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty, !database.contains("/") else { throw PostgresLocationError("names no database (…@host:5432/database)") }
        if let port = components.port, !(1...65_535).contains(port) { throw PostgresLocationError("has port \(port), outside 1-65535") }
        var tls = TLSMode.prefer
        for item in components.queryItems ?? [] {
            guard item.name == "sslmode" else {
                throw PostgresLocationError("has the option \(item.name), which is not understood (only sslmode is)")
            }
            guard let mode = item.value.flatMap(TLSMode.init(rawValue:)) else {
                let modes = TLSMode.allCases.map(\.rawValue).joined(separator: ", ")
                throw PostgresLocationError("has sslmode=\(item.value ?? ""); use one of \(modes)")
            }
            tls = mode
        }
        self.init(
            host: host,
            port: components.port ?? 5432,
            username: username,
            password: components.password.flatMap { $0.removingPercentEncoding },
            database: database.removingPercentEncoding ?? database,
            tls: tls
        )
    }

    /// The URL without its password, for logs.
    public var redacted: String {
        "postgres://\(username)@\(host):\(port)/\(database)?sslmode=\(tls.rawValue)"
    }

    func clientConfiguration(poolSize: Int) -> PostgresClient.Configuration {
        var configuration = PostgresClient.Configuration(
            host: host,
            port: port,
            username: username,
            password: password,
            database: database,
            tls: clientTLS()
        )
        configuration.options.maximumConnections = poolSize
        // Keep one connection warm per process: the first request after a quiet spell then pays no handshake.
        configuration.options.minimumConnections = min(1, poolSize)
        return configuration
    }

    private func clientTLS() -> PostgresClient.Configuration.TLS {
        var settings = TLSConfiguration.makeClientConfiguration()
        switch tls {
        case .disable: return .disable
        case .prefer:
            // Like libpq's `prefer`: encrypted when offered, with no promise about who answers.
            settings.certificateVerification = .none
            return .prefer(settings)
        case .require:
            settings.certificateVerification = .none
            return .require(settings)
        case .verifyCA:
            settings.certificateVerification = .noHostnameVerification
            return .require(settings)
        case .verifyFull:
            return .require(settings)
        }
    }
}

/// What is wrong with a `DATABASE_URL`, as the end of a sentence that starts with its name.
public struct PostgresLocationError: Error, Equatable, CustomStringConvertible {
    public var reason: String
    init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}
