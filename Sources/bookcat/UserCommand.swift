import ArgumentParser
import BookcatCore
import BookcatSQLite
import BookcatServer
import Foundation

struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user",
        abstract: "Manage accounts from the command line.",
        subcommands: [Create.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an account, e.g. the first admin.")

        @Option(help: "Email address to log in with.") var email: String
        @Option(help: "Password (8–72 bytes, not only digits).") var password: String
        @Option(help: "Username; defaults to the part of the email before '@'.") var username: String?
        @Flag(help: "Give the account the admin role.") var admin = false

        func run() async throws {
            let configuration = loadConfiguration()
            let database = try AppDatabase(path: configuration.databasePath)
            let username = username ?? String(email.split(separator: "@").first ?? "")
            do {
                let user = try await createAccount(
                    configuration: configuration,
                    database: database,
                    email: email,
                    username: username,
                    password: password,
                    role: admin ? .admin : .user
                )
                print("created \(user.role.rawValue) \(user.username) <\(user.email)> with id \(user.id)")
            } catch let error as CatalogError {
                throw ValidationError(describe(error))
            }
        }

        private func describe(_ error: CatalogError) -> String {
            switch error {
            case .invalid(let errors): errors.map { "\($0.field) \($0.message)" }.joined(separator: "; ")
            case .conflict(let message), .notFound(let message), .forbidden(let message), .unauthenticated(let message): message
            }
        }
    }
}
