import ArgumentParser
import BookcatApp
import BookcatHTTP
import Foundation

struct Healthcheck: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Exit 0 only if the service answers ready; used by container health checks.",
        discussion: """
            Ready means HTTP 200 with "status": "ok". A service whose configured cache does not answer reports \
            "degraded": it still serves from the database, but this command exits 1 so that a deploy rolls back.
            """
    )

    @Option(help: "Health endpoint to ask; defaults to the configured HTTP_HOST and HTTP_PORT.")
    var url: String?

    @Option(help: "Seconds to wait for an answer.")
    var timeout: Int = 3

    func run() async throws {
        let target: String
        if let url {
            target = url
        } else {
            let configuration = await loadConfiguration()
            // A server bound to every interface is reachable on loopback from inside its container.
            let host = configuration.server.host == "0.0.0.0" ? "127.0.0.1" : configuration.server.host
            target = "http://\(host):\(configuration.server.port)/api/v1/common/health-check"
        }
        switch try await HealthProbe.readiness(of: target, timeout: .seconds(timeout)) {
        case .ready:
            print("healthy: \(target)")
        case .degraded(let reason):
            print("degraded: \(target): \(reason)")
            throw ExitCode(1)
        case .unready(let why):
            print("unhealthy: \(why)")
            throw ExitCode(1)
        }
    }
}
