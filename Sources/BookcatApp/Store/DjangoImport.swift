import BookcatAccounts
import BookcatCore
import BookcatHTTP
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
                report: report(of: django, fingerprint: fingerprint, recountingStock: recountingStock)
            )
        } catch let refusal as DjangoCatalog.Refusal {
            throw Refusal(description: refusal.description)
        } catch let error as CatalogError {
            throw Refusal(description: error.description)
        }
    }

    /// `bookcat import-django --check`: reads `path` through bookcat's rules and says what an import would do,
    /// writing nothing. The first lines are every row bookcat cannot take as it is (refused ones make the import
    /// refuse; resolved ones are changed as each says), then what the accounts' first logins will do.
    public static func check(path: String, recountingStock: Bool) throws -> (lines: [String], importable: Bool) {
        let django: DjangoCatalog
        do {
            django = try DjangoCatalog(path: path, importedAt: Date(), recountingStock: recountingStock)
        } catch let refusal as DjangoCatalog.Refusal {
            throw Refusal(description: refusal.description)
        }
        let findings = django.findings
        var lines: [String] = []
        if !findings.refused.isEmpty {
            lines.append("\(findings.refused.count) values bookcat cannot take (damage the service could not have written); the import would refuse:")
            lines += findings.refused.map { "  \($0)" }
        }
        lines.append("\(findings.resolved.count) rows the service allowed and bookcat's rules do not, taken with these changes:")
        lines += findings.resolved.map { "  \($0)" }
        let contents = django.contents
        lines.append(
            "would import: user \(contents.users) · tag \(contents.tags) · book \(contents.books) · book_tag \(contents.bookTags) · loan \(contents.loans)"
        )
        lines += firstLogins(of: django.users)
        return (lines, findings.refused.isEmpty)
    }

    /// The accounts counted by what their first login will do.
    static func firstLogins(of users: [CatalogRows.User]) -> [String] {
        let verified = users.filter { DjangoPasswordHash($0.passwordHash) != nil }.count
        let unusable = users.filter { $0.passwordHash.hasPrefix("!") }.count
        let unverifiable = users.count - verified - unusable
        var lines = ["\(verified) accounts log in with their password as it is: verified as Django's hash, then stored as bcrypt"]
        if unusable > 0 {
            lines.append("\(unusable) accounts had no usable password on the service (Django's \"!\" hash): they cannot log in with one")
        }
        if unverifiable > 0 {
            lines.append(
                "\(unverifiable) accounts have a hash bookcat does not verify (only pbkdf2_sha256 is: not pbkdf2_sha1, md5, argon2…, "
                    + "nor a malformed one): they cannot log in with their old password"
            )
        }
        return lines
    }

    private static func report(of django: DjangoCatalog, fingerprint: CatalogFingerprint, recountingStock: Bool) -> [String] {
        let contents = django.contents
        var lines = [
            fingerprint.summary,
            "checksum \(fingerprint.checksum), the same read back from the store",
        ]
        lines += firstLogins(of: django.users)
        if !django.findings.resolved.isEmpty {
            lines.append("\(django.findings.resolved.count) rows the service allowed and bookcat's rules do not were changed:")
            lines += django.findings.resolved.map { "  \($0)" }
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
