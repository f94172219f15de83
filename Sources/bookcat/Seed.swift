import ArgumentParser
import BookcatApp
import BookcatCore
import Foundation

struct Seed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Add a deterministic synthetic catalog to the database, for load tests and demos."
    )

    @Option(help: "How many books to add.") var books: Int
    @Option(help: "How many tags to spread them over (each book gets 1 to 3).") var tags: Int = 50
    @Option(help: "Random seed; the same seed on the same database gives the same books.") var seed: UInt64 = 1

    func validate() throws {
        guard books > 0 else { throw ValidationError("--books must be at least 1") }
        guard (1...10_000).contains(tags) else { throw ValidationError("--tags must be from 1 to 10000") }
    }

    func run() async throws {
        let configuration = await loadConfiguration()
        let store = try ConfiguredStore.open(configuration, logger: commandLogger())
        let (books, tags, seed) = (books, tags, seed)
        let showBar = isatty(STDERR_FILENO) == 1
        let summary = try await store.withServices {
            _ = try await store.migrate()
            let summary = try await store.seed(books: books, tags: tags, seed: seed) { written in
                guard showBar else { return }
                let width = 40
                let filled = width * written / books
                let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
                FileHandle.standardError.write(Data("\r[\(bar)] \(written)/\(books)".utf8))
                if written == books { FileHandle.standardError.write(Data("\n".utf8)) }
            }
            try await invalidateCachedPages(configuration: configuration, store: store.ports.versions)
            return summary
        }
        let rate = Double(summary.books) / max(summary.seconds, 0.001)
        // Only numbers go through String(format:): a Swift String passed for `%@` on Linux is bridged to an object
        // that is freed twice, which corrupted the heap (the seed aborted at this line in release builds).
        let timing = String(format: "%.1f s (%.0f books/s)", summary.seconds, rate)
        print("seeded \(summary.books) books over \(summary.tags) tags in \(timing) into \(store.description)")
    }
}
