/// Answers whether the store can serve queries right now.
public protocol DatabaseHealth: Sendable {
    func ping() async throws
}
