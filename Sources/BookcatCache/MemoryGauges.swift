import Metrics

/// What this process's cache holds in memory, one gauge per structure, so an operator sees one grow before it hurts:
/// the memory tier's entries, the bytes charged for them (bounded by `CACHE_MEMORY_MB`), its order and index records
/// (stale ones included, compacted once they outnumber the live ones), the books changed in place it remembers, the
/// readers whose confirmations it keeps, and the fills running now. Set by ``RedisResponseCache/keepCurrent()``
/// every fifth of a lease.
struct MemoryGauges {
    private let entries: Gauge
    private let bytes: Gauge
    private let orderRecords: Gauge
    private let indexListings: Gauge
    private let changedBooks: Gauge
    private let readers: Gauge
    private let fills: Gauge

    init(factory: any MetricsFactory) {
        entries = Gauge(label: "cache_memory_entries", factory: factory)
        bytes = Gauge(label: "cache_memory_bytes", factory: factory)
        orderRecords = Gauge(label: "cache_memory_order_records", factory: factory)
        indexListings = Gauge(label: "cache_memory_index_listings", factory: factory)
        changedBooks = Gauge(label: "cache_memory_changed_books", factory: factory)
        readers = Gauge(label: "cache_lease_readers_remembered", factory: factory)
        fills = Gauge(label: "cache_fills_in_flight", factory: factory)
    }

    func record(_ footprint: NearCache.Footprint, readersRemembered: Int, fillsInFlight: Int) {
        entries.record(footprint.entries)
        bytes.record(footprint.bytes)
        orderRecords.record(footprint.orderRecords)
        indexListings.record(footprint.indexListings)
        changedBooks.record(footprint.changedBooks)
        readers.record(readersRemembered)
        fills.record(fillsInFlight)
    }
}
