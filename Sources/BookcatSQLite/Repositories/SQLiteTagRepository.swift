import BookcatCore
import GRDB

struct SQLiteTagRepository: TagRepository {
    let writer: any DatabaseWriter
    /// Writes go through here, to share a commit with the writes running at the same time.
    let commits: GroupCommit

    // MARK: - Writes

    func create(name: String) async throws -> Tag {
        try await commits.write { db in
            try ensureNameAvailable(db, name: name, exceptID: nil)
            var record = TagRecord(id: nil, name: name)
            try record.insert(db)
            return record.tag
        }
    }

    func rename(id: Int64, to name: String) async throws -> Tag {
        try await commits.write { db in
            guard var record = try TagRecord.fetchOne(db, id: id) else { throw CatalogError.noSuchTag(id) }
            try ensureNameAvailable(db, name: name, exceptID: id)
            record.name = name
            try record.update(db)
            return record.tag
        }
    }

    func delete(id: Int64) async throws {
        try await commits.write { db in
            guard try TagRecord.deleteOne(db, key: id) else { throw CatalogError.noSuchTag(id) }
        }
    }

    // MARK: - Reads

    func allTags() async throws -> [Tag] {
        try await writer.read { db in try TagRecord.order(TagRecord.Columns.id).fetchAll(db).map(\.tag) }
    }

    func tag(id: Int64) async throws -> Tag? {
        try await writer.read { db in try TagRecord.fetchOne(db, id: id)?.tag }
    }

    private func ensureNameAvailable(_ db: Database, name: String, exceptID: Int64?) throws {
        if let other = try TagRecord.filter(TagRecord.Columns.name == name).fetchOne(db), other.id != exceptID {
            throw CatalogError.tagNameTaken(other.name, byTag: other.id ?? 0)
        }
    }
}
