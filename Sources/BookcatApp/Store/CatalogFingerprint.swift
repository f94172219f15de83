import BookcatCore
import BookcatDigest
import Crypto
import Foundation

/// What a catalog holds, in short: the rows of each table and one SHA-256 over every row's every field. Two stores
/// with equal fingerprints hold the same rows, whichever database each is; how each writes a date or a flag does not
/// count, only the value (times to the millisecond, what SQLite keeps).
public struct CatalogFingerprint: Equatable, Sendable {
    public let counts: [CatalogTable: Int]
    /// Lower-case hex.
    public let checksum: String

    /// Feeds the batches of an export, in order.
    struct Builder {
        private var hasher = SHA256()
        private var counts = Dictionary(uniqueKeysWithValues: CatalogTable.allCases.map { ($0, 0) })

        mutating func add(_ batch: CatalogBatch) {
            counts[batch.table, default: 0] += batch.count
            var row = CanonicalRow(table: batch.table)
            switch batch {
            case .users(let users):
                for user in users {
                    row.add(user.id, user.email, user.username, user.usernameKey, user.passwordHash, user.role, user.createdAt)
                    hasher.update(data: row.finish())
                }
            case .tags(let tags):
                for tag in tags {
                    row.add(tag.id, tag.name)
                    hasher.update(data: row.finish())
                }
            case .books(let books):
                for book in books {
                    row.add(book.id, book.title, book.author, book.isbn, book.publisher, book.publishedAt, book.stock)
                    row.add(book.createdAt, book.updatedAt)
                    hasher.update(data: row.finish())
                }
            case .bookTags(let pairs):
                for pair in pairs {
                    row.add(pair.bookID, pair.tagID)
                    hasher.update(data: row.finish())
                }
            case .loans(let loans):
                for loan in loans {
                    row.add(loan.id, loan.userID, loan.bookID, loan.quantity, loan.isReturned, loan.createdAt, loan.returnedAt)
                    hasher.update(data: row.finish())
                }
            case .refreshTokens(let tokens):
                for token in tokens {
                    row.add(token.tokenID, token.familyID, token.userID, token.tokenHash, token.expiresAt, token.usedAt)
                    row.add(token.revokedAt)
                    hasher.update(data: row.finish())
                }
            }
        }

        func finish() -> CatalogFingerprint {
            CatalogFingerprint(counts: counts, checksum: hasher.finalize().hexString)
        }
    }
}

/// One row's fields in a form no two different rows share: the table's name, then each field as a type letter, its
/// length and its text. A missing value is its own letter, so `nil` and `""` differ.
private struct CanonicalRow {
    private let table: CatalogTable
    private var bytes: [UInt8] = []

    init(table: CatalogTable) {
        self.table = table
        start()
    }

    mutating func add(_ fields: (any Sendable)?...) {
        for field in fields {
            switch field {
            case nil: bytes.append(UInt8(ascii: "N"))
            case let text as String: append("S", text)
            case let number as Int64: append("I", String(number))
            case let number as Int: append("I", String(number))
            case let flag as Bool: append("B", flag ? "1" : "0")
            case let date as Date: append("T", String(Int64((date.timeIntervalSince1970 * 1000).rounded())))
            case let other?: preconditionFailure("no canonical form for \(type(of: other))")
            }
        }
    }

    /// The row's bytes; the next `add` starts a new row.
    mutating func finish() -> [UInt8] {
        defer { start() }
        return bytes
    }

    private mutating func start() {
        bytes = []
        append("R", table.rawValue)
    }

    private mutating func append(_ kind: Character, _ text: String) {
        bytes.append(kind.asciiValue!)
        bytes.append(contentsOf: Array(String(text.utf8.count).utf8))
        bytes.append(UInt8(ascii: ":"))
        bytes.append(contentsOf: text.utf8)
    }
}
