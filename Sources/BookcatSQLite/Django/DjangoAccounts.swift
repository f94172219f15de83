import BookcatCore
import Foundation
import GRDB

/// The service's accounts as bookcat will hold them. Every account stays reachable, and every change is said:
/// - a username bookcat's rules refuse (a tab in it, 300 characters), or none at all, becomes one derived from the
///   e-mail, as a bookcat signup without one gets;
/// - a username that an older account already has, or one that looks the same (`twin`, `Twin`, `tw1n`), becomes
///   `name-<id>`: the oldest keeps it;
/// - an e-mail that differs from an older account's only in case (`Bob@…`, `bob@…`: the service compared them with
///   case, bookcat does not) becomes `local+<id>@domain`, which most mail systems deliver to the same mailbox; the
///   account logs in with it or with its username.
enum DjangoAccounts {
    static func read(_ db: Database, importedAt: Date, deadline: DjangoReadingDeadline, findings: inout DjangoFindings) throws -> [CatalogRows.User] {
        struct Read {
            var id: Int64
            /// Nil while it is one bookcat's rules refuse (given a stand-in below).
            var email: String?
            var storedEmail: String
            var username: String?
            var passwordHash: String
            var role: String
        }
        var read: [Read] = []
        var seen = Set<Int64>()
        let columns = ["id", "password", "email", "role", "username"]
        let rows = try Row.fetchCursor(db, sql: "SELECT \(DjangoRowReader.selection(columns)) FROM user ORDER BY rowid")
        while let row = try rows.next() {
            try deadline.check()
            var (id, reader) = DjangoRowReader.keyed(row, table: "user", key: "id")
            let storedEmail = reader.text("email")
            let email = storedEmail.flatMap { text in
                var check = ValidationCollector()
                let email = check.email(text)
                return check.errors.isEmpty ? email : nil
            }
            let hash = reader.text("password")
            if let hash, hash.utf8.count > 1_024 || ControlCharacters.violation(in: hash) != nil {
                reader.fail("password", "is not a password hash (\(hash.utf8.count) bytes)")
            }
            let role = reader.text("role")
            if let role, Role(rawValue: role) == nil {
                reader.fail("role", "is \(DjangoFindings.quote(role)); the service knew only admin and user")
            }
            let username: String?? = row["username:type"] == "null" ? .some(nil) : reader.text("username").map { .some($0) }
            findings.refused += reader.problems
            if let id, !seen.insert(id).inserted { findings.refused.append("user \(id): id appears twice") }
            guard let id, let storedEmail, let hash, let role, let username, reader.problems.isEmpty
            else { continue }
            read.append(Read(id: id, email: email, storedEmail: storedEmail, username: username, passwordHash: hash, role: role))
        }
        read.sort { $0.id < $1.id }

        // E-mails first: a username may not be another account's e-mail, nor an e-mail another's username.
        // The addresses as stored are all avoided: a changed one never becomes a later account's own.
        let stored = Set(read.compactMap(\.email))
        var emails = Set<String>()
        for index in read.indices {
            guard let email = read[index].email else {
                // The service took addresses bookcat's rules (and JSON Schema's `email` format) do not: quoted local
                // parts, `localhost`, address literals, Unicode domains, 200-character local parts.
                let standIn = "user-\(read[index].id)@django-import.invalid"
                findings.resolved.append(
                    "user \(read[index].id): e-mail \(DjangoFindings.quote(read[index].storedEmail)) breaks bookcat's rules: now "
                        + "\(DjangoFindings.quote(standIn)); the account logs in by its username"
                )
                emails.insert(standIn)
                read[index].email = standIn
                continue
            }
            guard !emails.insert(email).inserted else { continue }
            guard let distinct = plusAddressed(email, id: read[index].id, avoiding: emails.union(stored)) else {
                findings.refused.append(
                    "user \(read[index].id): e-mail \(DjangoFindings.quote(read[index].storedEmail)) is an older account's, and no +\(read[index].id) address fits"
                )
                continue
            }
            findings.resolved.append(
                "user \(read[index].id): e-mail \(DjangoFindings.quote(read[index].storedEmail)) is an older account's regardless of case: now \(DjangoFindings.quote(distinct))"
            )
            emails.insert(distinct)
            read[index].email = distinct
        }

        // Names the service stored and bookcat takes are claimed first, so a derived or renamed one never takes
        // a name an account had; then each goes to its oldest holder.
        func acceptable(_ name: String) -> Bool {
            var check = ValidationCollector()
            return check.username(name) == name && check.errors.isEmpty
        }
        let emailSkeletons = Set(emails.map(UsernameSkeleton.of))
        var claimed = emailSkeletons
        for account in read { if let name = account.username, acceptable(name) { claimed.insert(UsernameSkeleton.of(name)) } }
        var assigned = emailSkeletons
        func free(_ name: String) -> Bool {
            !claimed.contains(UsernameSkeleton.of(name)) && !assigned.contains(UsernameSkeleton.of(name))
        }
        /// The first free name of `base`, `base-2`, `base-3`, … (`base` cut so the suffix fits), or of `user-<id>`,
        /// `user-<id>-2`, …: the next number per base is remembered, so many accounts on one base cost no more
        /// than one each.
        var nextSuffix: [String: Int] = [:]
        func firstFree(_ base: String, id: Int64, startingWith first: String?) throws -> String {
            if let first, acceptable(first), free(first) { return first }
            for base in [base, "user-\(id)"] {
                var suffix = nextSuffix[base, default: 2]
                while suffix < nextSuffix[base, default: 2] + 10_000 {
                    try deadline.check()
                    let tail = "-\(suffix)"
                    let cut = String(String.UnicodeScalarView(base.unicodeScalars.prefix(TextLimit.username.maxScalars - tail.count)))
                    let candidate = cut + tail
                    suffix += 1
                    if acceptable(candidate), free(candidate) {
                        nextSuffix[base] = suffix
                        return candidate
                    }
                }
                nextSuffix[base] = suffix
            }
            throw DjangoCatalog.Refusal(description: "user \(id): no free username could be found for it")
        }
        var users: [CatalogRows.User] = []
        for account in read {
            var username: String
            if let stored = account.username, acceptable(stored) {
                username = stored
                if assigned.contains(UsernameSkeleton.of(stored)) {
                    username = try firstFree("\(stored)-\(account.id)", id: account.id, startingWith: "\(stored)-\(account.id)")
                    findings.resolved.append(
                        "user \(account.id): username \(DjangoFindings.quote(stored)) is an older account's, or looks the same: renamed \(DjangoFindings.quote(username))"
                    )
                }
            } else {
                let base = DerivedUsername.candidates(fromEmail: account.email ?? "").first { _ in true } ?? "user"
                username = try firstFree(base, id: account.id, startingWith: base)
                let was = account.username.map { "username \(DjangoFindings.quote($0)) breaks bookcat's rules" } ?? "no username"
                findings.resolved.append("user \(account.id): \(was): now \(DjangoFindings.quote(username)), from the e-mail")
            }
            assigned.insert(UsernameSkeleton.of(username))
            users.append(
                CatalogRows.User(
                    id: account.id,
                    // Every account has one by now: its own, a +id address or a stand-in.
                    email: account.email ?? "",
                    username: username,
                    usernameKey: UsernameSkeleton.of(username),
                    passwordHash: account.passwordHash,
                    role: account.role,
                    createdAt: importedAt
                )
            )
        }
        return users
    }

    /// `bob@example.org` → `bob+6@example.org` (`bob+6-2@…` if that is taken), or nil when no such address is valid.
    private static func plusAddressed(_ email: String, id: Int64, avoiding taken: Set<String>) -> String? {
        guard let at = email.lastIndex(of: "@") else { return nil }
        let (local, domain) = (email[..<at], email[at...])
        return (1...100).lazy.map { $0 == 1 ? "\(local)+\(id)\(domain)" : "\(local)+\(id)-\($0)\(domain)" }
            .first { EmailAddress.isValid($0) && !taken.contains($0) }
    }
}
