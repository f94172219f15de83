import BookcatAccounts
import BookcatCore
import Foundation
import Hummingbird

/// An account as clients see it; never includes the password hash.
/// `id` repeats `user_id`: the Django service's code returned it (its spec said `user_id`), and its clients read it.
struct UserResponse: ResponseEncodable {
    var userID: Int64
    var email: String
    var username: String
    var role: Role
    var createdAt: Date

    init(_ user: User) {
        userID = user.id
        email = user.email
        username = user.username
        role = user.role
        createdAt = user.createdAt
    }

    enum CodingKeys: String, CodingKey {
        case id, email, username, role
        case userID = "user_id"
        case createdAt = "created_at"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(userID, forKey: .userID)
        try container.encode(userID, forKey: .id)
        try container.encode(email, forKey: .email)
        try container.encode(username, forKey: .username)
        try container.encode(role, forKey: .role)
        try container.encode(createdAt, forKey: .createdAt)
    }
}

/// `username` may be left out, as the Django service allowed: one is derived from the e-mail.
struct SignupRequest: Decodable {
    var email: String
    var username: String?
    var password: String
}

struct LoginRequest: Decodable {
    var email: String?
    var username: String?
    var password: String

    enum CodingKeys: String, CodingKey {
        case email, username, password
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        email = try container.decodeTextUnlessAbsent(forKey: .email, limit: .email)
        username = try container.decodeTextUnlessAbsent(forKey: .username, limit: .username)
        password = try container.decodePresentedPassword(forKey: .password)
    }
}

struct RefreshTokenRequest: Decodable {
    var refreshToken: String

    enum CodingKeys: String, CodingKey {
        case refreshToken = "refresh_token"
    }

    init(from decoder: any Decoder) throws {
        refreshToken = try decoder.container(keyedBy: CodingKeys.self).decodeText(forKey: .refreshToken, limit: .token)
    }
}

struct TokenResponse: ResponseEncodable {
    var accessToken: String
    var refreshToken: String
    var tokenType = "Bearer"
    var expiresIn: Int

    enum CodingKeys: String, CodingKey {
        case accessToken = "access_token"
        case refreshToken = "refresh_token"
        case tokenType = "token_type"
        case expiresIn = "expires_in"
    }

    init(_ tokens: IssuedTokens) {
        accessToken = tokens.accessToken
        refreshToken = tokens.refreshToken
        expiresIn = tokens.expiresIn
    }
}

struct UpdateMeRequest: Decodable {
    var username: String?
    var password: String?
    var currentPassword: String?

    enum CodingKeys: String, CodingKey {
        case username, password
        case currentPassword = "current_password"
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        username = try container.decodeUnlessAbsent(String.self, forKey: .username)
        password = try container.decodeUnlessAbsent(String.self, forKey: .password)
        currentPassword = container.contains(.currentPassword) ? try container.decodePresentedPassword(forKey: .currentPassword) : nil
    }
}

struct DeleteMeRequest: Decodable {
    var password: String

    enum CodingKeys: String, CodingKey {
        case password
    }

    init(from decoder: any Decoder) throws {
        password = try decoder.container(keyedBy: CodingKeys.self).decodePresentedPassword(forKey: .password)
    }
}
