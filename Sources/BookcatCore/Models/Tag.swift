/// A label books can carry, such as a genre. Names are unique regardless of case.
public struct Tag: Sendable, Equatable, Hashable {
    public var id: Int64
    public var name: String

    public init(id: Int64, name: String) {
        self.id = id
        self.name = name
    }
}
