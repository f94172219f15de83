/// A SQL `LIKE` pattern for a substring filter, for every store: `%text%` with LIKE's own wildcards escaped by a
/// backslash (the statement says `ESCAPE '\'`), so `50%` matches the characters "50%" and nothing else.
public enum LikePattern {
    public static func containing(_ text: String) -> String {
        "%\(escaped(text))%"
    }

    /// `text%`: the texts that start with `text`.
    public static func starting(with text: String) -> String {
        "\(escaped(text))%"
    }

    private static func escaped(_ text: String) -> String {
        var escaped = ""
        for character in text {
            if character == "%" || character == "_" || character == "\\" { escaped.append("\\") }
            escaped.append(character)
        }
        return escaped
    }
}
