import BookcatTestSupport
import HTTPTypes
import HummingbirdTesting

extension HTTPField.Name {
    static let xCacheHeader = HTTPField.Name("X-Cache")!
}

extension TestResponse {
    var cacheOutcome: String? { headers[.xCacheHeader] }
}
