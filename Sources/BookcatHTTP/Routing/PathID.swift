import BookcatCore
import Hummingbird

extension Parameters {
    /// The path parameter as a positive 64-bit id, or a 400 naming it (never a 404 for malformed ids).
    func positiveID(_ name: String) throws -> Int64 {
        let raw = get(name) ?? ""
        guard let id = Int64(raw), id > 0 else {
            throw Problem.badRequest(field: name, "must be a positive whole number, got '\(raw.prefix(40))'")
        }
        return id
    }
}
