import Foundation

/// The raw variables, as the service takes them before any typed read: surrounding blanks dropped, one pair of
/// matching quotes dropped (`.env` files written for shells quote values; swift-configuration 1.4's `.env` reader
/// keeps them), and an empty value treated as unset (compose files pass `HTTP_PORT: ${HTTP_PORT:-}`).
enum EnvironmentValues {
    static func normalized(_ variables: [String: String]) -> [String: String] {
        variables.compactMapValues { raw in
            var value = raw.trimmingCharacters(in: .whitespaces)
            if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                value = String(value.dropFirst().dropLast())
            }
            return value.isEmpty ? nil : value
        }
    }

    /// The `NAME=value` lines of a `.env` file (blank lines and `#` comments skipped; the last of repeated names
    /// wins), as swift-configuration's `EnvironmentVariablesProvider(environmentFilePath:)` reads them.
    static func dotEnv(_ contents: String) -> [String: String] {
        var variables: [String: String] = [:]
        for line in contents.split(whereSeparator: \.isNewline) {
            let pair = line.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = pair[0].trimmingCharacters(in: .whitespaces)
            guard pair.count == 2, !name.isEmpty, !name.hasPrefix("#") else { continue }
            variables[name] = String(pair[1])
        }
        return variables
    }
}
