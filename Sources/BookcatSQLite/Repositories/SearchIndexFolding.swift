/// Where the trigram search index's case folding and LIKE's (and the title index's NOCASE) part ways.
///
/// Both fold ASCII letters. The search index also folds the rest of Unicode, and of all of it only two characters
/// fold into ASCII: the Kelvin sign into k and ſ into s (found by indexing every code point and searching for each
/// ASCII letter between two markers). So for ASCII text without k or s, a book matches in the index exactly when
/// LIKE matches it: a plan may test rows with LIKE or read a NOCASE range instead of asking the index.
enum SearchIndexFolding {
    static func agreesWithLike(_ text: String) -> Bool {
        text.unicodeScalars.allSatisfy { $0.isASCII && $0 != "k" && $0 != "s" }
    }
}
