import Foundation
import HTTPTypes
import Hummingbird

extension Request {
    /// Who is asking, as far as throttling is concerned: the peer's address, or behind a proxy you run
    /// (`TRUST_FORWARDED_FOR`) the last `X-Forwarded-For` entry, the one that proxy added.
    func clientAddress(peerAddress: String?, trustForwardedFor: Bool) -> String {
        if trustForwardedFor, let forwarded = headers[.xForwardedFor],
            let last = forwarded.split(separator: ",").last?.trimmingCharacters(in: .whitespaces), !last.isEmpty
        {
            return last
        }
        return peerAddress ?? "unknown"
    }
}
