/// What both stores make of their log of in-place changes (``StoreVersions/bookChanges``).
public enum BookChangeLog {
    /// The distinct books of the entries after `after` up to `through`, given the book ids of those entries in log
    /// order as the store still holds them; nil when some are gone (the log keeps the newest few thousand), which
    /// the caller treats as a change to everything.
    public static func books(logged: [Int64], after: Int64, through: Int64) -> [Int64]? {
        guard logged.count == through - after else { return nil }
        var seen = Set<Int64>()
        return logged.filter { seen.insert($0).inserted }
    }
}
