import Foundation
import Metrics

/// How much memory the process holds, read from `/proc/self/status` when `/metrics` is scraped:
/// `process_resident_memory_bytes` (what the kernel counts) and `process_resident_anonymous_bytes` (that less the
/// files mapped into it, the binary's own code among them: the heap, the stacks and the allocator's caches), so a
/// structure that grows shows in the second even while code paths first taken move the first. Not set where there is
/// no such file (not Linux).
struct ProcessMemoryGauges: Sendable {
    private let resident: Gauge
    private let anonymous: Gauge

    init(factory: any MetricsFactory) {
        resident = Gauge(label: "process_resident_memory_bytes", factory: factory)
        anonymous = Gauge(label: "process_resident_anonymous_bytes", factory: factory)
    }

    func record() {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return }
        if let bytes = Self.kilobytes("VmRSS:", in: status) { resident.record(bytes * 1024) }
        if let bytes = Self.kilobytes("RssAnon:", in: status) { anonymous.record(bytes * 1024) }
    }

    /// The value of a `Name:   1234 kB` line.
    private static func kilobytes(_ name: String, in status: String) -> Int? {
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(name) }) else { return nil }
        return line.split(separator: " ").dropFirst().first.flatMap { Int($0) }
    }
}
