/// The limits a book must respect, shared by create, replace and patch.
public enum BookRules {
    public static let maximumStock = 1_000_000
    public static let maximumTags = 50
    public static let maximumTextLength = 255
}

/// Limits on loans.
public enum LoanRules {
    public static let maximumQuantity = BookRules.maximumStock
}

/// Limits on tags.
public enum TagRules {
    public static let maximumNameLength = 64
}
