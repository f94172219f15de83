import BookcatCore
import GRDB

struct TagRecord: Codable, FetchableRecord, MutablePersistableRecord {
    static let databaseTableName = "tag"

    var id: Int64?
    var name: String

    enum Columns {
        static let id = Column("id")
        static let name = Column("name")
    }

    mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }

    var tag: Tag { Tag(id: id ?? 0, name: name) }
}
