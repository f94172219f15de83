import Foundation

enum JSONCoding {
    /// The encoder behind every JSON response: ISO 8601 dates, slashes left alone so links read `/api/v1/…`,
    /// and sorted keys so equal values always give equal bytes (and so equal ETags in every process).
    static func makeEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return encoder
    }
}
