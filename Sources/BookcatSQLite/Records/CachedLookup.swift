import GRDB

extension FetchableRecord where Self: TableRecord {
    /// The record whose `id` is `id`, through a statement the connection keeps prepared.
    ///
    /// GRDB's `fetchOne(db, key:)` prepares its SQL again on every call, and preparing a `SELECT *` (GRDB's
    /// authorizer is consulted for every column) cost more than running it; these lookups run on every detail read
    /// and every edit.
    static func fetchOne(_ db: Database, id: Int64) throws -> Self? {
        let statement = try db.cachedStatement(sql: "SELECT * FROM \(databaseTableName.quotedDatabaseIdentifier) WHERE id = ?")
        return try fetchOne(statement, arguments: [id])
    }
}
