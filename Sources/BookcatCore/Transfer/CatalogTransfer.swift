/// A store whose every row can be read out: the source of `bookcat copy`, and how a copy is checked.
public protocol CatalogExporting: Sendable {
    /// Hands every row to `visit` in batches of at most `batchSize`: the tables in `CatalogTable.allCases` order,
    /// each in key order (text keys in byte order), all from one snapshot, so writes that land meanwhile are either
    /// wholly in the export or not at all. The next batch is read when `visit` returns.
    func exportCatalog(batchSize: Int, _ visit: (CatalogBatch) async throws -> Void) async throws
}

/// A store a whole catalog can be written into.
public protocol CatalogImporting: Sendable {
    /// Runs `body` in one transaction on a store that holds no accounts, tags or books (else it throws
    /// `CatalogError.conflict` and writes nothing): what `body` writes is committed when it returns and none of it
    /// when it throws. Rows keep their ids; new rows made later get ids after them.
    func importCatalog(_ body: (any CatalogImportSession) async throws -> Void) async throws
}

/// The open transaction of an import.
public protocol CatalogImportSession {
    /// Writes the rows of `batch`; batches come in `CatalogTable.allCases` order.
    func write(_ batch: CatalogBatch) async throws
    /// Reads back what this transaction holds, as `CatalogExporting.exportCatalog` does: to check the copy before
    /// it commits.
    func exportCatalog(batchSize: Int, _ visit: (CatalogBatch) async throws -> Void) async throws
}
