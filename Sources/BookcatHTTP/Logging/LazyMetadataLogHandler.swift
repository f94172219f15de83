import Logging

/// Keeps a logger's metadata as it is set and hands it to `Base` only when a message is actually logged.
///
/// swift-log's `StreamLogHandler` formats all its metadata into text each time any of it is set, and Hummingbird
/// sets a request id on every request: at the default `info` level, where a cache hit logs nothing, that formatting
/// was about 3% of a hit's CPU time.
public struct LazyMetadataLogHandler<Base: LogHandler>: LogHandler {
    private var base: Base
    public var metadata: Logger.Metadata = [:]

    public init(_ base: Base) {
        self.base = base
    }

    public var logLevel: Logger.Level {
        get { base.logLevel }
        set { base.logLevel = newValue }
    }

    public var metadataProvider: Logger.MetadataProvider? {
        get { base.metadataProvider }
        set { base.metadataProvider = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var event = event
        // The message's own metadata wins over the logger's, as in every swift-log handler.
        event.metadata = metadata.merging(event.metadata ?? [:]) { _, own in own }
        base.log(event: event)
    }
}
