import Foundation

/// A folder of its own under the system's temporary directory, for one test's database file and logs. The test
/// removes it (`defer { folder.remove() }`), also when it fails.
public struct TemporaryFolder: Sendable {
    public let url: URL

    /// `purpose` names the folder (`bookcat-<purpose>-<uuid>`), so a leftover says which test left it.
    public init(_ purpose: String) {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("bookcat-\(purpose)-\(UUID().uuidString)")
    }

    /// Where the test's SQLite database goes; `AppDatabase(path:)` creates the folder with it.
    public var databasePath: String { url.appendingPathComponent("catalog.sqlite3").path }

    /// Writes `contents` to the file `name` in the folder, creating the folder first.
    public func write(_ contents: String, to name: String) throws {
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        try contents.write(to: url.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }

    public func remove() {
        try? FileManager.default.removeItem(at: url)
    }
}
