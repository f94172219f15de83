import ArgumentParser
import BookcatServer
import Foundation

struct Healthcheck: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Exit 0 only if the service answers ready; used by container health checks."
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
            let configuration = loadConfiguration()
            // A server bound to every interface is reachable on loopback from inside its container.
            let host = configuration.host == "0.0.0.0" ? "127.0.0.1" : configuration.host
            target = "http://\(host):\(configuration.port)/api/v1/common/health-check"
        }
        let status = try await HealthProbe.status(of: target, timeout: .seconds(timeout))
        guard status == 200 else {
            print("unhealthy: \(target) answered \(status)")
            throw ExitCode(1)
        }
        print("healthy: \(target)")
    }
}
