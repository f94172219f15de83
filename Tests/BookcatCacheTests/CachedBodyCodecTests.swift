import BookcatCore
import Testing

@testable import BookcatCache

@Suite("Cached body encoding")
struct CachedBodyCodecTests {
    @Test(arguments: [nil, [], [7], [1, 22, 333, 9_007_199_254_740_993]] as [[Int64]?])
    func aBodyComesBackAsItWasStored(books: [Int64]?) {
        for (status, etag) in [(200, "\"abc\""), (404, "\"a tag with spaces\"")] {
            let body = CachedBody(bytes: Array("{\"count\": 1}\n".utf8), etag: etag, status: status, books: books)
            #expect(CachedBodyCodec.decode(CachedBodyCodec.encode(body)) == body)
        }
    }

    @Test(arguments: ["200 \"e\" 1,,2\nx", "200 \"e\" 1,x\nx", "200 \"e\" ,1\nx", "200 \"e\" 1,\nx", "200 \"e\"\nx", "99 \"e\" *\nx", "no newline"])
    func aMangledEntryIsAMissNotABody(stored: String) {
        #expect(CachedBodyCodec.decode(Array(stored.utf8)) == nil)
    }
}
