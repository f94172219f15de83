/// What an account may do: members read and borrow, admins also edit the catalog and see every account.
public enum Role: String, Codable, Sendable, CaseIterable {
    case user
    case admin
}
