/// How several `tag` filters combine: `and` keeps books carrying every tag, `or` books carrying any.
public enum TagMatch: String, Sendable, CaseIterable {
    case all = "and"
    case any = "or"
}
