import Foundation

/// Reads a `.env` file: `NAME=value` lines, `#` comments, optional `export `, optional single or double quotes.
public enum DotEnv {
    public static func parse(_ contents: String) -> [String: String] {
        var values: [String: String] = [:]
        for rawLine in contents.split(whereSeparator: \.isNewline) {
            var line = rawLine.trimmingCharacters(in: .whitespaces)
            guard !line.isEmpty, !line.hasPrefix("#") else { continue }
            if line.hasPrefix("export ") { line = String(line.dropFirst("export ".count)) }
            guard let equals = line.firstIndex(of: "=") else { continue }
            let name = line[..<equals].trimmingCharacters(in: .whitespaces)
            var value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                value = String(value.dropFirst().dropLast())
            }
            values[name] = value
        }
        return values
    }

    /// The process environment over the `.env` file in `directory`, if there is one: real variables win.
    public static func environment(directory: String = FileManager.default.currentDirectoryPath) -> [String: String] {
        let path = URL(fileURLWithPath: directory).appendingPathComponent(".env").path
        let fileValues = (try? String(contentsOfFile: path, encoding: .utf8)).map(parse) ?? [:]
        return fileValues.merging(ProcessInfo.processInfo.environment) { _, real in real }
    }
}
