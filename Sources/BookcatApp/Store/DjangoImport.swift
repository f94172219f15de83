import BookcatCore
import BookcatSQLite
import Foundation
import Logging

/// `bookcat import-django`: the Django service's `db.sqlite3`, read as a catalog (``DjangoCatalog``), copied into
/// the configured store with the checks of a copy between stores (``CatalogCopy``): in one transaction, read back
/// and fingerprinted before it commits.
public enum DjangoImport {
    /// Why nothing was written: not the service's database, or a store that already holds a catalog.
    public struct Refusal: Error, CustomStringConvertible {
        public var description: String
    }

    public struct Outcome: Sendable {
        public var fingerprint: CatalogFingerprint
        /// Where the rows went, for messages (a path, or a URL without its password).
        public var store: String
        /// What a person importing needs to know, a line each: what arrived, what the accounts keep, what the
        /// stock is.
        public var report: [String]
    }

    /// Imports `path` into the store `configuration` names. `progress` hears each batch as it is sent (rows sent,
    /// rows in all, table); `afterwards` runs once the rows are committed, with the store's versions, while the
    /// store is still open (to make the cached pages of what the store held before unreachable).
    public static func run(
        path: String,
        recountingStock: Bool,
        configuration: AppConfiguration,
        logger: Logger,
        progress: @escaping @Sendable (_ sent: Int, _ total: Int, _ table: String) -> Void,
        afterwards: @escaping @Sendable (any StoreVersionSource) async throws -> Void
    ) async throws -> Outcome {
        do {
            let django = try DjangoCatalog(path: path, importedAt: Date(), recountingStock: recountingStock)
            let store = try ConfiguredStore.open(configuration, logger: logger)
            let contents = django.contents
            let total = contents.users + contents.tags + contents.books + contents.bookTags + contents.loans
            let fingerprint = try await store.withServices {
                _ = try await store.migrate()
                var sent = 0
                let fingerprint = try await CatalogCopy.copy(from: django, to: store.importTarget) { batch in
                    sent += batch.count
                    progress(sent, total, batch.table.rawValue)
                }
                try await afterwards(store.ports.versions)
                return fingerprint
            }
            return Outcome(
                fingerprint: fingerprint,
                store: store.description,
                report: report(of: contents, fingerprint: fingerprint, recountingStock: recountingStock)
            )
        } catch let refusal as DjangoCatalog.Refusal {
            throw Refusal(description: refusal.description)
        } catch let error as CatalogError {
            throw Refusal(description: error.description)
        }
    }

    private static func report(of contents: DjangoCatalog.Contents, fingerprint: CatalogFingerprint, recountingStock: Bool) -> [String] {
        var lines = [
            fingerprint.summary,
            "checksum \(fingerprint.checksum), the same read back from the store",
            "\(contents.users) accounts keep their passwords: each is stored as bcrypt at its first login",
        ]
        if contents.usernamesDerived > 0 {
            lines.append("\(contents.usernamesDerived) accounts had no username and got one derived from their e-mail")
        }
        if contents.tokens > 0 {
            lines.append("\(contents.tokens) refresh tokens of the service were not imported: every account logs in once")
        }
        if recountingStock {
            lines.append("stock recounted: \(contents.copiesNotRestocked) copies of \(contents.returnedLoans) returned loans put back")
        } else if contents.copiesNotRestocked > 0 {
            lines.append(
                "stock as the service recorded it: its \(contents.returnedLoans) returns did not put \(contents.copiesNotRestocked) copies back "
                    + "(--recount-stock adds them)"
            )
        }
        return lines
    }
}
