import BookcatCore
import Synchronization

/// Tags, unique by name regardless of case.
struct InMemoryTags: TagRepository {
    let catalog: InMemoryCatalog

    func allTags() async throws -> [Tag] { catalog.state.withLock { $0.tags.values.sorted { $0.id < $1.id } } }

    func tag(id: Int64) async throws -> Tag? { catalog.state.withLock { $0.tags[id] } }

    func create(name: String) async throws -> Tag {
        try catalog.state.withLock { state in
            try Self.ensureUnique(name, in: state, except: nil)
            let tag = Tag(id: state.nextID(), name: name)
            state.tags[tag.id] = tag
            state.versions.catalog += 1
            return tag
        }
    }

    func rename(id: Int64, to name: String) async throws -> Tag {
        try catalog.state.withLock { state in
            guard state.tags[id] != nil else { throw CatalogError.noSuchTag(id) }
            try Self.ensureUnique(name, in: state, except: id)
            let tag = Tag(id: id, name: name)
            state.tags[id] = tag
            for (bookID, book) in state.books where book.tags.contains(where: { $0.id == id }) {
                state.books[bookID]?.tags = book.tags.map { $0.id == id ? tag : $0 }
            }
            state.versions.catalog += 1
            return tag
        }
    }

    func delete(id: Int64) async throws {
        try catalog.state.withLock { state in
            guard state.tags.removeValue(forKey: id) != nil else { throw CatalogError.noSuchTag(id) }
            for (bookID, book) in state.books { state.books[bookID]?.tags = book.tags.filter { $0.id != id } }
            state.versions.catalog += 1
        }
    }

    private static func ensureUnique(_ name: String, in state: InMemoryCatalog.State, except: Int64?) throws {
        if let other = state.tags.values.first(where: { $0.id != except && $0.name.lowercased() == name.lowercased() }) {
            throw CatalogError.tagNameTaken(other.name, byTag: other.id)
        }
    }
}
