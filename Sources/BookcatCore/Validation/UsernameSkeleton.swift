import Foundation

/// What makes two usernames the same account: the form left after removing every difference a reader could miss.
///
/// NFKC (full-width and compatibility forms become plain ones), then case, accents and width folded away, then
/// letters from other scripts that look like Latin ones replaced by those (a short table after Unicode's
/// confusables, UTS #39, for the scripts a look-alike is usually made from). So `admin`, `ADMIN`, `ädmin`,
/// `ａｄｍｉｎ` and `аdmin` (Cyrillic а) all have the skeleton `admin`, and only the first to register gets it. The
/// username itself is stored as typed; the skeleton is its unique key.
public enum UsernameSkeleton {
    public static func of(_ username: String) -> String {
        let folded = username.precomposedStringWithCompatibilityMapping
            .folding(options: [.caseInsensitive, .diacriticInsensitive, .widthInsensitive], locale: nil)
        var skeleton = String.UnicodeScalarView()
        for scalar in folded.unicodeScalars {
            if let latin = lookAlikes[scalar] {
                skeleton.append(contentsOf: latin.unicodeScalars)
            } else {
                skeleton.append(scalar)
            }
        }
        return String(skeleton)
    }

    /// Lower-case Cyrillic and Greek letters that look like a Latin letter (in either case, since case is folded
    /// first), and Latin letters that look like another one.
    private static let lookAlikes: [Unicode.Scalar: String] = [
        // Cyrillic
        "а": "a", "в": "b", "е": "e", "ё": "e", "һ": "h", "н": "h", "і": "i", "ї": "i", "ј": "j", "к": "k", "ӏ": "l",
        "м": "m", "о": "o", "р": "p", "ԛ": "q", "ѕ": "s", "т": "t", "у": "y", "ԝ": "w", "х": "x", "с": "c", "ԁ": "d",
        "ү": "y", "ɡ": "g",
        // Greek
        "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "μ": "u", "ν": "v", "ο": "o", "ρ": "p",
        "τ": "t", "υ": "u", "χ": "x", "ϲ": "c", "ζ": "z",
        // Latin look-alikes of Latin letters: dotless, IPA and small capitals
        "ı": "i", "ȷ": "j", "ʟ": "l", "ɩ": "i", "ɑ": "a", "ɒ": "a", "ɛ": "e", "ɪ": "i", "ɴ": "n", "ʀ": "r",
        "ʙ": "b", "ɢ": "g", "ʜ": "h", "ʏ": "y", "ᴀ": "a", "ᴄ": "c", "ᴅ": "d", "ᴇ": "e", "ᴊ": "j", "ᴋ": "k",
        "ᴍ": "m", "ᴏ": "o", "ᴘ": "p", "ᴛ": "t", "ᴜ": "u", "ᴠ": "v", "ᴡ": "w", "ᴢ": "z", "ꜱ": "s",
        // Lisu, whose letters are shaped like Latin capitals (the ones UTS #39 maps to a Latin letter)
        "ꓐ": "b", "ꓑ": "p", "ꓓ": "d", "ꓔ": "t", "ꓖ": "g", "ꓗ": "k", "ꓙ": "j", "ꓚ": "c", "ꓜ": "z", "ꓝ": "f",
        "ꓟ": "m", "ꓠ": "n", "ꓡ": "l", "ꓢ": "s", "ꓣ": "r", "ꓦ": "v", "ꓧ": "h", "ꓪ": "w", "ꓫ": "x", "ꓬ": "y",
        "ꓮ": "a", "ꓰ": "e", "ꓲ": "i", "ꓳ": "o", "ꓴ": "u",
        // Cherokee capitals
        "Ꭺ": "a", "Ᏼ": "b", "Ꮯ": "c", "Ꭰ": "d", "Ꭼ": "e", "Ꮐ": "g", "Ꮋ": "h", "Ꭵ": "i", "Ꭻ": "j", "Ꮶ": "k",
        "Ꮮ": "l", "Ꮇ": "m", "Ꮑ": "n", "Ꮎ": "o", "Ꮲ": "p", "Ꭱ": "r", "Ꮪ": "s", "Ꭲ": "t", "Ꮩ": "v", "Ꮃ": "w",
        "Ꮓ": "z",
        // and their small forms, which some folding produces
        "ꭺ": "a", "ᏼ": "b", "ꮯ": "c", "ꭰ": "d", "ꭼ": "e", "ꮐ": "g", "ꮋ": "h", "ꭵ": "i", "ꭻ": "j", "ꮶ": "k", "ꮮ": "l",
        "ꮇ": "m", "ꮑ": "n", "ꮎ": "o", "ꮲ": "p", "ꭱ": "r", "ꮪ": "s", "ꭲ": "t", "ꮩ": "v", "ꮃ": "w", "ꮓ": "z",
    ]
}
