/// The catalog's rules as the errors that say a request broke them: written once here, thrown by every store (SQLite,
/// PostgreSQL, the tests' in-memory one) and by the HTTP module, so a client reads the same words whichever store
/// answered, and a store-contract test can compare them exactly.
extension CatalogError {
    public static func noSuchBook(_ id: Int64) -> CatalogError { .notFound("book \(id) does not exist") }
    public static func noSuchTag(_ id: Int64) -> CatalogError { .notFound("tag \(id) does not exist") }
    public static func noSuchUser(_ id: Int64) -> CatalogError { .notFound("user \(id) does not exist") }
    public static func noSuchLoan(_ id: Int64) -> CatalogError { .notFound("loan \(id) does not exist") }

    /// `missing`: the tag ids a draft names that do not exist, sorted.
    public static func unknownTags(_ missing: [Int64]) -> CatalogError {
        .invalid(field: "tags", "unknown tag id(s): \(missing.map(String.init).joined(separator: ", "))")
    }

    public static func isbnTaken(_ isbn: String, byBook other: Int64) -> CatalogError {
        .conflict("a book with ISBN \(isbn) already exists (book \(other))")
    }

    public static func tagNameTaken(_ name: String, byTag other: Int64) -> CatalogError {
        .conflict("a tag named '\(name)' already exists (tag \(other))")
    }

    public static func notEnoughCopies(ofBook bookID: Int64, available: some BinaryInteger, requested: some BinaryInteger) -> CatalogError {
        .conflict("not enough copies of book \(bookID) on the shelf: \(available) available, \(requested) requested")
    }

    public static func loanAlreadyReturned(_ id: Int64) -> CatalogError { .conflict("loan \(id) was already returned") }

    public static func bookHasCopiesOnLoan(_ id: Int64, onLoan: some BinaryInteger) -> CatalogError {
        .conflict("book \(id) has \(onLoan) copies on loan; they must be returned before it can be deleted")
    }

    public static func accountHasLoans(onLoan: some BinaryInteger) -> CatalogError {
        .conflict("the account still has \(onLoan) unreturned loan(s); return them before deleting it")
    }

    /// An import or a copy goes into an empty store only. `operation`: what the command line calls it.
    public static func targetNotEmpty(for operation: String) -> CatalogError {
        .conflict("the target database already holds accounts, tags or books: \(operation) into an empty one")
    }
}
