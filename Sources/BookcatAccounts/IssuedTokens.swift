/// What a login or a refresh gives the client: an access token, the refresh token that succeeds the presented one,
/// and the access token's lifetime in seconds. The HTTP module writes it as OAuth 2's token response.
public struct IssuedTokens: Sendable, Equatable {
    public var accessToken: String
    public var refreshToken: String
    public var expiresIn: Int

    public init(accessToken: String, refreshToken: String, expiresIn: Int) {
        self.accessToken = accessToken
        self.refreshToken = refreshToken
        self.expiresIn = expiresIn
    }
}
