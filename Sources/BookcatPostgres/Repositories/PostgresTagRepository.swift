import BookcatCore
import PostgresNIO

struct PostgresTagRepository: TagRepository {
    let sql: SQLRunner

    // MARK: - Writes

    func create(name: String) async throws -> Tag {
        try await sql.write { db in
            try await ensureNameAvailable(db, name: name, exceptID: nil)
            let row = try await db.rows("INSERT INTO tag (name) VALUES (\(name)) RETURNING id, name").decode((Int64, String).self).firstElement()
            return Tag(id: row!.0, name: row!.1)
        }
    }

    func rename(id: Int64, to name: String) async throws -> Tag {
        try await sql.write { db in
            try await ensureNameAvailable(db, name: name, exceptID: id)
            let row = try await db.rows("UPDATE tag SET name = \(name) WHERE id = \(id) RETURNING id, name").decode((Int64, String).self)
                .firstElement()
            guard let row else { throw CatalogError.noSuchTag(id) }
            return Tag(id: row.0, name: row.1)
        }
    }

    func delete(id: Int64) async throws {
        try await sql.write { db in
            guard try await db.execute("DELETE FROM tag WHERE id = \(id) RETURNING id") == 1 else {
                throw CatalogError.noSuchTag(id)
            }
        }
    }

    // MARK: - Reads

    func allTags() async throws -> [Tag] {
        try await sql.read { db in
            try await db.rows("SELECT id, name FROM tag ORDER BY id").decode((Int64, String).self).collect().map { Tag(id: $0.0, name: $0.1) }
        }
    }

    func tag(id: Int64) async throws -> Tag? {
        try await sql.read { db in
            try await db.rows("SELECT id, name FROM tag WHERE id = \(id)").decode((Int64, String).self).firstElement().map {
                Tag(id: $0.0, name: $0.1)
            }
        }
    }

    /// A clear message naming the tag in the way; the unique index settles two writers racing for one name.
    private func ensureNameAvailable(_ db: Transaction, name: String, exceptID: Int64?) async throws {
        let other = try await db.rows("SELECT id, name FROM tag WHERE lower(name COLLATE \"C\") = lower(\(name) COLLATE \"C\")")
            .decode((Int64, String).self).firstElement()
        if let other, other.0 != exceptID {
            throw CatalogError.tagNameTaken(other.1, byTag: other.0)
        }
    }
}
