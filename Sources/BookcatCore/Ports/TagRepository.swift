/// Stores tags. Names are unique regardless of case.
public protocol TagRepository: Sendable {
    func allTags() async throws -> [Tag]
    func tag(id: Int64) async throws -> Tag?
    /// Throws ``CatalogError/conflict(_:)`` when the name is taken.
    func create(name: String) async throws -> Tag
    /// Throws ``CatalogError/notFound(_:)`` or ``CatalogError/conflict(_:)``.
    func rename(id: Int64, to name: String) async throws -> Tag
    /// Removes the tag from every book too. Throws ``CatalogError/notFound(_:)``.
    func delete(id: Int64) async throws
}
