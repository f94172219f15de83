import BookcatServer
import Foundation

/// Loads the configuration or exits with the one-line error that names the variable.
func loadConfiguration() -> AppConfiguration {
    do {
        return try AppConfiguration.load(from: DotEnv.environment())
    } catch {
        FileHandle.standardError.write(Data("bookcat: \(error)\n".utf8))
        exit(78)  // EX_CONFIG
    }
}
