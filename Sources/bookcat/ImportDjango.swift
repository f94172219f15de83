import ArgumentParser
import BookcatCore
import BookcatSQLite
import BookcatServer
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
            back into stock; --recount-stock adds every returned loan's quantity back to its book.
            """
    )

    @Argument(help: "The Django service's SQLite database (db.sqlite3).") var path: String
    @Flag(help: "Add every returned loan's quantity back to its book's stock (the service's returns did not).")
    var recountStock = false

    func run() async throws {
        let configuration = await loadConfiguration()
        let started = Date()
        let django: DjangoCatalog
        do {
            django = try DjangoCatalog(path: path, importedAt: started, recountingStock: recountStock)
        } catch let refusal as DjangoCatalog.Refusal {
            throw RefusedByStore(description: "\(refusal.description); nothing was written")
        }
        let store = try ConfiguredStore.open(configuration, logger: commandLogger())
        let contents = django.contents
        let total = contents.users + contents.tags + contents.books + contents.bookTags + contents.loans
        let showBar = isatty(STDERR_FILENO) == 1
        let fingerprint: CatalogFingerprint
        do {
            fingerprint = try await store.withServices {
                _ = try await store.migrate()
                var done = 0
                let fingerprint = try await CatalogCopy.copy(from: django, to: store.importTarget) { batch in
                    done += batch.count
                    guard showBar else { return }
                    let filled = total == 0 ? 30 : done * 30 / total
                    let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: 30 - filled)
                    FileHandle.standardError.write(Data("\r[\(bar)] \(done)/\(total) rows (\(batch.table.rawValue))".utf8))
                }
                if showBar { FileHandle.standardError.write(Data("\n".utf8)) }
                try await invalidateCachedPages(configuration: configuration, store: store.ports.versions)
                return fingerprint
            }
        } catch let refusal as DjangoCatalog.Refusal {
            throw RefusedByStore(description: "\(refusal.description); nothing was written")
        } catch let error as CatalogError {
            throw RefusedByStore(description: "\(error); nothing was written")
        }
        let seconds = String(format: "%.1f", Date().timeIntervalSince(started))
        print("imported \(path) into \(store.description) in \(seconds) s")
        print("  \(fingerprint.summary)")
        print("  checksum \(fingerprint.checksum), the same read back from the store")
        print("  \(contents.users) accounts keep their passwords: each is stored as bcrypt at its first login")
        if contents.usernamesDerived > 0 {
            print("  \(contents.usernamesDerived) accounts had no username and got one derived from their e-mail")
        }
        if contents.tokens > 0 {
            print("  \(contents.tokens) refresh tokens of the service were not imported: every account logs in once")
        }
        if recountStock {
            print("  stock recounted: \(contents.copiesNotRestocked) copies of \(contents.returnedLoans) returned loans put back")
        } else if contents.copiesNotRestocked > 0 {
            print(
                "  stock as the service recorded it: its \(contents.returnedLoans) returns did not put \(contents.copiesNotRestocked) copies back "
                    + "(--recount-stock adds them)"
            )
        }
    }
}
