import BookcatCore
import Testing

@Suite("A deep page read from the other end")
struct FarEndPageTests {
    @Test func everyPageReadFromTheFarEndHoldsTheSameRowsInTheSameOrder() {
        var farEndPlans = 0
        for count in 0...14 {
            let rows = Array(0..<count)
            for limit in 1...5 {
                for offset in 0...16 {
                    let expected = offset < count ? Array(rows[offset..<min(offset + limit, count)]) : []
                    guard let plan = FarEndPage.plan(count: count, offset: offset, limit: limit) else {
                        // Only pages nearer their own end, or past the end, are read as asked.
                        #expect(offset >= count || count - min(offset + limit, count) >= offset)
                        continue
                    }
                    farEndPlans += 1
                    let reversed = Array(rows.reversed())
                    let read = Array(reversed.dropFirst(plan.offset).prefix(plan.limit).reversed())
                    #expect(read == expected, "count \(count), offset \(offset), limit \(limit): \(plan)")
                    #expect(plan.offset < offset)
                }
            }
        }
        #expect(farEndPlans > 100)
    }

    @Test func theReversedOrderTurnsEveryTerm() {
        #expect(FarEndPage.reversed("created_at DESC, id DESC") == "created_at ASC, id ASC")
        #expect(FarEndPage.reversed("lower(title COLLATE \"C\") ASC, id ASC") == "lower(title COLLATE \"C\") DESC, id DESC")
        #expect(FarEndPage.reversed("published_at ASC,id ASC") == "published_at DESC, id DESC")
    }
}
