import BookcatCore
import Foundation

/// Moves a whole catalog into an empty store, and proves it arrived: the rows are read back inside the import's own
/// transaction and fingerprinted, and unless both fingerprints agree, nothing is committed.
public enum CatalogCopy {
    /// Why a copy wrote nothing although both stores answered.
    public enum Failure: Error, CustomStringConvertible {
        /// The target cannot take a copy (SQLite: the copy goes up to PostgreSQL, not back).
        case targetCannotImport(String)
        /// What was read back differs from what was read out: a store changed a value on its way in.
        case mismatch(source: CatalogFingerprint, target: CatalogFingerprint)

        public var description: String {
            switch self {
            case .targetCannotImport(let target):
                "\(target) cannot be copied into: the target must be a PostgreSQL database (DATABASE_URL form)"
            case .mismatch(let source, let target):
                "the copy read back differs from the source (source \(source.summary), checksum \(source.checksum); "
                    + "target \(target.summary), checksum \(target.checksum)); nothing was committed"
            }
        }
    }

    /// Copies every row of `source` into `target`, which must hold no accounts, tags or books, in one transaction;
    /// returns the fingerprint both agree on. `progress` hears of each batch read out.
    public static func copy(
        from source: any CatalogExporting,
        to target: any CatalogImporting,
        batchSize: Int = 5_000,
        progress: (CatalogBatch) -> Void = { _ in }
    ) async throws -> CatalogFingerprint {
        var agreed: CatalogFingerprint?
        try await target.importCatalog { session in
            var sent = CatalogFingerprint.Builder()
            try await source.exportCatalog(batchSize: batchSize) { batch in
                sent.add(batch)
                try await session.write(batch)
                progress(batch)
            }
            var arrived = CatalogFingerprint.Builder()
            try await session.exportCatalog(batchSize: batchSize) { batch in arrived.add(batch) }
            let (source, target) = (sent.finish(), arrived.finish())
            guard source == target else { throw Failure.mismatch(source: source, target: target) }
            agreed = source
        }
        return agreed!
    }

    /// Reads `store` through and fingerprints it: to compare two stores after the fact.
    public static func fingerprint(of store: any CatalogExporting, batchSize: Int = 5_000) async throws -> CatalogFingerprint {
        var builder = CatalogFingerprint.Builder()
        try await store.exportCatalog(batchSize: batchSize) { batch in builder.add(batch) }
        return builder.finish()
    }
}

extension CatalogFingerprint {
    /// `user 2 · tag 50 · book 100000 · …`, in copy order.
    public var summary: String {
        CatalogTable.allCases.map { "\($0.rawValue) \(counts[$0] ?? 0)" }.joined(separator: " · ")
    }
}
