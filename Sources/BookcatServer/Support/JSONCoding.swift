import Foundation

enum JSONCoding {
    /// The encoder behind every JSON response: ISO 8601 dates, and slashes left alone so links read `/api/v1/…`.
    static func makeEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return encoder
    }
}
