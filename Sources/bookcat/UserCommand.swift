import ArgumentParser
import BookcatAccounts
import BookcatApp
import BookcatCore
import BookcatHTTP
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
        @Flag(help: "Read the password (8–72 bytes, not only digits) from the first line of standard input.")
        var passwordStdin = false
        @Option(help: "Read the password from the first line of this file.") var passwordFile: String?
        @Option(help: "The password itself, for scripts; it shows in the process list and shell history.") var password: String?
        @Option(help: "Username; defaults to the part of the email before '@'.") var username: String?
        @Flag(help: "Give the account the admin role.") var admin = false

        func validate() throws {
            let sources = [passwordStdin, passwordFile != nil, password != nil].filter { $0 }.count
            guard sources == 1 else {
                throw ValidationError("give the password one way: --password-stdin, --password-file FILE or --password")
            }
        }

        /// The password from the one source given. Reading standard input blocks, which is fine here: this is a
        /// one-shot command, not a server, and nothing else is running yet.
        private func readPassword() throws -> String {
            if let password {
                FileHandle.standardError.write(
                    Data("warning: --password shows in the process list and shell history; prefer --password-stdin\n".utf8)
                )
                return password
            }
            let text: String
            if let passwordFile {
                text = try String(contentsOfFile: passwordFile, encoding: .utf8)
            } else {
                text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
            }
            // `\r\n` is one Character in Swift, and `isNewline` covers it as well as `\n`.
            return String(text.split(maxSplits: 1, omittingEmptySubsequences: false, whereSeparator: \.isNewline).first ?? "")
        }

        func run() async throws {
            let password = try readPassword()
            let configuration = await loadConfiguration()
            let store = try ConfiguredStore.open(configuration, logger: commandLogger())
            let (email, role) = (email, admin ? Role.admin : Role.user)
            let username = username ?? String(email.split(separator: "@").first ?? "")
            do {
                let user = try await store.withServices {
                    _ = try await store.migrate()
                    return try await createAccount(
                        bcryptCost: configuration.server.bcryptCost,
                        users: store.ports.users,
                        email: email,
                        username: username,
                        password: password,
                        role: role
                    )
                }
                print("created \(user.role.rawValue) \(user.username) <\(user.email)> with id \(user.id)")
            } catch let error as CatalogError {
                // Not a ValidationError: the command line was right, the store said no; no usage text under it.
                throw RefusedByStore(description: error.description)
            }
        }
    }
}

/// What `bookcat user create` prints when the store refuses the account (a taken e-mail or username): the reason,
/// as `Error: …`, and exit status 1.
struct RefusedByStore: Error, CustomStringConvertible {
    let description: String
}
