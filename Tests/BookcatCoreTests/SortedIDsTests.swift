import BookcatCore
import Testing

@Suite("Sorted id lists")
struct SortedIDsTests {
    @Test func theIntersectionIsWhatBothHold() {
        var random = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let first = Set((0..<Int.random(in: 0...40, using: &random)).map { _ in Int64.random(in: 0...60, using: &random) }).sorted()
            let second = Set((0..<Int.random(in: 0...40, using: &random)).map { _ in Int64.random(in: 0...60, using: &random) }).sorted()
            #expect(SortedIDs.intersection(first, second) == Set(first).intersection(second).sorted())
        }
        #expect(SortedIDs.intersection([], [1, 2]) == [])
        #expect(SortedIDs.intersection([1, 3, 5], [1, 3, 5]) == [1, 3, 5])
    }
}
