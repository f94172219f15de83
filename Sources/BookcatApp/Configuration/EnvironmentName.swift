/// The environment variable swift-configuration's `EnvironmentVariablesProvider` reads a key from: components
/// joined by `_`, camel case split, upper-cased (`["redis", "poolSize"]` is `REDIS_POOL_SIZE`). Its own encoder is
/// internal; `ConfigurationTests` proves this one agrees with it for every variable the service reads.
enum EnvironmentName {
    static func of(_ components: [String]) -> String {
        components.map { component in
            var name = ""
            var previous: Character?
            for character in component {
                if let previous, previous.isLowercase, character.isUppercase { name.append("_") }
                name.append(character.isLetter || character.isNumber ? Character(character.uppercased()) : "_")
                previous = character
            }
            return name
        }
        .joined(separator: "_")
    }
}
