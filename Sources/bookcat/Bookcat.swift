import ArgumentParser

@main
struct Bookcat: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "A cache-fronted book catalog HTTP API.",
        discussion: "Configuration comes from environment variables and an optional .env file in the working directory.",
        subcommands: [Serve.self, Migrate.self, UserCommand.self, Seed.self, Copy.self, ImportDjango.self, Healthcheck.self],
        defaultSubcommand: Serve.self
    )
}
