import ArgumentParser
import BookcatApp
import Foundation

struct ImportDjango: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-django",
        abstract: "Import the Django service's SQLite database into an empty bookcat store, checked, in one transaction.",
        discussion: """
            Reads PATH (the service's db.sqlite3) read-only and writes its accounts, tags, books, book tags and loans, \
            keeping every id and each account's password: Django's hashes are verified at login and then replaced by \
            bcrypt. The store is the configured one (DATABASE_URL, else DATABASE_PATH) and must hold no accounts, \
            tags or books. The rows are read back before the transaction commits; unless they match what was read \
            out, nothing is written. Stop the Django service's writes first. The service's returns never put copies \
            back into stock; --recount-stock adds every returned loan's quantity back to its book. --check writes \
            nothing: it lists every row bookcat cannot take as it is (with its id, why, and what the import does about \
            it) and what each account's first login will do.
            """
    )

    @Argument(help: "The Django service's SQLite database (db.sqlite3).") var path: String
    @Flag(help: "Add every returned loan's quantity back to its book's stock (the service's returns did not).")
    var recountStock = false
    @Flag(help: "Write nothing: list every row bookcat cannot take as it is, and what the import would do (exit 1 if it would refuse).")
    var check = false

    func run() async throws {
        if check {
            let (lines, importable) = try Self.refusing { try DjangoImport.check(path: path, recountingStock: recountStock) }
            for line in lines { print(line) }
            guard importable else { throw RefusedByStore(description: "the import would refuse this database (above)") }
            return
        }
        let configuration = await loadConfiguration()
        let started = Date()
        let showBar = isatty(STDERR_FILENO) == 1
        let outcome: DjangoImport.Outcome
        do {
            outcome = try await DjangoImport.run(
                path: path,
                recountingStock: recountStock,
                configuration: configuration,
                logger: commandLogger(),
                progress: { sent, total, table in
                    guard showBar else { return }
                    let filled = total == 0 ? 30 : sent * 30 / total
                    let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: 30 - filled)
                    FileHandle.standardError.write(Data("\r[\(bar)] \(sent)/\(total) rows (\(table))".utf8))
                },
                afterwards: { versions in
                    if showBar { FileHandle.standardError.write(Data("\n".utf8)) }
                    try await invalidateCachedPages(configuration: configuration, store: versions)
                }
            )
        } catch let refusal as DjangoImport.Refusal {
            throw RefusedByStore(description: "\(refusal.description)\nnothing was written")
        }
        let seconds = String(format: "%.1f", Date().timeIntervalSince(started))
        print("imported \(path) into \(outcome.store) in \(seconds) s")
        for line in outcome.report { print("  \(line)") }
    }

    private static func refusing<Value>(_ body: () throws -> Value) throws -> Value {
        do {
            return try body()
        } catch let refusal as DjangoImport.Refusal {
            throw RefusedByStore(description: refusal.description)
        }
    }
}
