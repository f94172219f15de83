/// Operations on ascending lists of ids, as an index yields them.
public enum SortedIDs {
    /// The ids in both `first` and `second`, ascending; both must be ascending without repeats.
    public static func intersection(_ first: [Int64], _ second: [Int64]) -> [Int64] {
        var result: [Int64] = []
        result.reserveCapacity(min(first.count, second.count))
        var i = 0
        var j = 0
        while i < first.count, j < second.count {
            if first[i] < second[j] {
                i += 1
            } else if first[i] > second[j] {
                j += 1
            } else {
                result.append(first[i])
                i += 1
                j += 1
            }
        }
        return result
    }
}
