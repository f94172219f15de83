import BookcatAccounts
import BookcatCore
import BookcatHTTP
import Foundation

extension ServerConfiguration {
    /// The HTTP server's settings: `APP_ENV`, the `HTTP_*` section (address, timeouts, connection limits), the
    /// account and token settings, and who may skip the cache (`CACHE_BYPASS*`).
    init(settings: Settings) throws(ConfigurationError) {
        self.init()
        mode = try settings.choice("appEnv", default: mode)

        let http = settings.scoped(to: "http")
        host = http.text("host") ?? host
        port = try http.wholeNumber("port", default: port, in: 0...65_535)
        idleTimeout = try http.wholeNumber("idleTimeout", default: idleTimeout, in: 1...3_600)
        headerTimeout = try http.wholeNumber("headerTimeout", default: headerTimeout, in: 1...3_600)
        bodyTimeout = try http.wholeNumber("bodyTimeout", default: bodyTimeout, in: 1...3_600)
        responseTimeout = try http.wholeNumber("responseTimeout", default: responseTimeout, in: 1...3_600)
        drainTimeout = try http.wholeNumber("drainTimeout", default: drainTimeout, in: 1...3_600)
        maxConnections = try http.wholeNumber("maxConnections", default: maxConnections, in: 1...1_000_000)
        maxConnectionsPerAddress = try http.wholeNumber("maxConnectionsPerAddress", default: maxConnectionsPerAddress, in: 1...1_000_000)

        authScheme =
            try settings.parsed("authHeader", shape: "a single word such as Bearer") { word in
                word.contains(where: \.isWhitespace) ? nil : word
            } ?? authScheme
        accessTokenTTL = try settings.wholeNumber("accessTokenTtl", default: accessTokenTTL, in: 1...86_400)
        refreshTokenTTL = try settings.wholeNumber("refreshTokenTtl", default: refreshTokenTTL, in: 1...31_536_000)
        refreshReuseGrace = try settings.wholeNumber("refreshReuseGrace", default: refreshReuseGrace, in: 0...300)
        bcryptCost = try settings.wholeNumber("bcryptCost", default: bcryptCost, in: 4...31)
        let password = settings.scoped(to: "password")
        passwordChecksConcurrent = try password.wholeNumber("checksConcurrent", default: passwordChecksConcurrent, in: 1...1_024)
        passwordQueueLength = try password.wholeNumber("queueLength", default: passwordQueueLength, in: 0...100_000)
        passwordQueueWaitMilliseconds = try password.wholeNumber("queueWaitMs", default: passwordQueueWaitMilliseconds, in: 1...600_000)
        loanMaxQuantity = try settings.wholeNumber("loanMaxQuantity", default: loanMaxQuantity, in: 1...LoanRules.maximumQuantity)
        metricsToken = settings.secret("metricsToken")

        trustForwardedFor = try settings.flag("trustForwardedFor", default: false)
        publicLinks.trustForwardedProto = trustForwardedFor
        publicLinks.publicURL = try settings.parsed("publicUrl", shape: "http(s)://host[:port] with no path", PublicLinks.parseBase)
        publicLinks.allowedHosts =
            try settings.parsed("allowedHosts", shape: "host[:port][,host[:port]…]") { list in
                let hosts = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
                return hosts.allSatisfy(Self.isHostAndPort) ? Set(hosts) : nil
            } ?? []

        let cache = settings.scoped(to: "cache")
        cacheBypass = try cache.choice("bypass", default: cacheBypass)
        cacheBypassPerAccount = try cache.wholeNumber("bypassPerAccount", default: cacheBypassPerAccount, in: 1...100_000)
        let renders = settings.scoped(to: "renders")
        rendersPerMinute = try renders.wholeNumber("perMinute", default: rendersPerMinute, in: 1...1_000_000)
        rendersBurst = try renders.wholeNumber("burst", default: rendersBurst, in: 1...1_000_000)
        rendersConcurrent = try renders.wholeNumber("concurrent", default: rendersConcurrent, in: 1...10_000)

        try readSigningKey(settings.scoped(to: "jwt"), legacy: settings)
    }

    /// `JWT_ALGORITHM` and the key: `JWT_SECRET_KEY`, or `SECRET_KEY`, what the Django service signed tokens with.
    /// Production refuses to start without a strong key; any key must be as long as the algorithm's digest.
    private mutating func readSigningKey(_ jwt: Settings, legacy: Settings) throws(ConfigurationError) {
        jwtAlgorithm = try jwt.choice("algorithm", default: jwtAlgorithm)
        let current = jwt.secret("secretKey")
        // The variable errors name: the one the key came from.
        let variable = current != nil ? jwt.variable("secretKey") : legacy.variable("secretKey")
        jwtSecret = current ?? legacy.secret("secretKey")
        if mode == .production {
            guard let secret = jwtSecret else {
                throw ConfigurationError(
                    variable: jwt.variable("secretKey"),
                    problem: "must be set when APP_ENV=production; \(ProductionSecret.remedy)"
                )
            }
            if let weakness = ProductionSecret.weakness(of: secret) {
                throw ConfigurationError(variable: variable, problem: "\(weakness); \(ProductionSecret.remedy)")
            }
        }
        if let secret = jwtSecret, secret.utf8.count < jwtAlgorithm.minimumKeyBytes {
            throw ConfigurationError(
                variable: variable,
                problem: "must be at least \(jwtAlgorithm.minimumKeyBytes) bytes for \(jwtAlgorithm.rawValue) (got \(secret.utf8.count))"
            )
        }
    }

    /// A host name or address with an optional port: letters, digits and `.-:[]` only.
    private static func isHostAndPort(_ host: String) -> Bool {
        !host.isEmpty
            && host.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || ".-:[]".unicodeScalars.contains($0)) }
    }
}
