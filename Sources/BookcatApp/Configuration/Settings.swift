import Configuration

/// One section of the configuration (the root, or a scope such as `redis`), read with swift-configuration's typed
/// reads. Every read names the environment variable it came from when it fails, with the values it allows.
///
/// A setting that is absent gets its default; one that is present but invalid is an error, never the default:
/// swift-configuration's `int(forKey:default:)` falls back silently on a typo, so each read checks presence first
/// and then uses the `required` variant.
public struct Settings: Sendable {
    private let reader: ConfigReader
    private let path: [String]

    public init(_ reader: ConfigReader) {
        self.reader = reader
        self.path = []
    }

    private init(reader: ConfigReader, path: [String]) {
        self.reader = reader
        self.path = path
    }

    /// The settings under `section`: `settings.scoped(to: "redis")` reads `poolSize` from `REDIS_POOL_SIZE`.
    public func scoped(to section: String) -> Settings {
        Settings(reader: reader.scoped(to: ConfigKey([section])), path: path + [section])
    }

    /// The environment variable `key` is read from, as swift-configuration's environment provider names it.
    public func variable(_ key: String) -> String {
        EnvironmentName.of(path + [key])
    }

    /// Whether `key` is set at all (an empty value counts as unset; see `EnvironmentValues`).
    public func isSet(_ key: String) -> Bool {
        reader.string(forKey: ConfigKey([key])) != nil
    }

    /// Free text, such as a host name; nil when unset.
    public func text(_ key: String) -> String? {
        reader.string(forKey: ConfigKey([key]))
    }

    /// A password or signing key: kept out of swift-configuration's access logs.
    public func secret(_ key: String) -> String? {
        reader.string(forKey: ConfigKey([key]), isSecret: true)
    }

    /// A whole number within `range`.
    public func wholeNumber(_ key: String, default fallback: Int, in range: ClosedRange<Int>) throws(ConfigurationError) -> Int {
        guard isSet(key) else { return fallback }
        let allowed = "a whole number from \(range.lowerBound) to \(range.upperBound)"
        guard let value = try? reader.requiredInt(forKey: ConfigKey([key])), range.contains(value) else {
            throw invalid(key, mustBe: allowed)
        }
        return value
    }

    /// `true` or `false` (`yes`/`no` and `1`/`0` too, as swift-configuration reads booleans).
    public func flag(_ key: String, default fallback: Bool) throws(ConfigurationError) -> Bool {
        guard isSet(key) else { return fallback }
        guard let value = try? reader.requiredBool(forKey: ConfigKey([key])) else {
            throw invalid(key, mustBe: "true or false")
        }
        return value
    }

    /// One of `Value`'s cases, by raw value, in any letter case.
    public func choice<Value: RawRepresentable & CaseIterable & Sendable>(
        _ key: String,
        default fallback: Value
    ) throws(ConfigurationError) -> Value where Value.RawValue == String {
        guard isSet(key) else { return fallback }
        guard let choice = try? reader.requiredString(forKey: ConfigKey([key]), as: Choice<Value>.self) else {
            throw invalid(key, mustBe: "one of " + Value.allCases.map(\.rawValue).joined(separator: ", "))
        }
        return choice.value
    }

    /// A value with a shape of its own (a URL, a list of addresses). `parse` answers nil for a value that is not
    /// `shape`, or throws an error whose description says what is wrong with it.
    public func parsed<Value>(_ key: String, shape: String, _ parse: (String) throws -> Value?) throws(ConfigurationError) -> Value? {
        guard let raw = text(key) else { return nil }
        let value: Value?
        do {
            value = try parse(raw)
        } catch {
            throw ConfigurationError(variable: variable(key), problem: "\(error)")
        }
        guard let value else { throw invalid(key, mustBe: shape) }
        return value
    }

    /// The error for a present but invalid `key`: what it must be, and what it was. Not for secrets, whose
    /// errors say what is wrong without repeating them.
    public func invalid(_ key: String, mustBe allowed: String) -> ConfigurationError {
        let shown = text(key).map { ", got '\($0)'" } ?? ""
        return ConfigurationError(variable: variable(key), problem: "must be \(allowed)\(shown)")
    }
}

/// A case of `Value` as swift-configuration converts strings: by raw value, ignoring letter case (`hs256`, `HS256`).
private struct Choice<Value: RawRepresentable & CaseIterable>: ExpressibleByConfigString where Value.RawValue == String {
    let value: Value

    init?(configString: String) {
        guard let value = Value.allCases.first(where: { $0.rawValue.lowercased() == configString.lowercased() }) else { return nil }
        self.value = value
    }

    var description: String { value.rawValue }
}
