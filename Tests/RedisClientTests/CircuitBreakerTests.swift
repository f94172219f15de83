import BookcatTestSupport
import Testing

@testable import RedisClient

@Suite("Circuit breaker")
struct CircuitBreakerTests {
    @Test func opensAfterTheThresholdAndProbesOnceAfterThePause() {
        let breaker = CircuitBreaker(threshold: 3, openDuration: .seconds(1))
        let start = ContinuousClock.now
        for _ in 0..<2 { breaker.recordFailure(now: start) }
        #expect(breaker.allowRequest(now: start))
        breaker.recordFailure(now: start)
        #expect(!breaker.allowRequest(now: start + .milliseconds(999)))
        #expect(breaker.allowRequest(now: start + .seconds(1)))
        // Only one probe at a time.
        #expect(!breaker.allowRequest(now: start + .seconds(1)))
        breaker.recordSuccess()
        #expect(breaker.allowRequest(now: start + .seconds(1)))
        #expect(!breaker.isOpen)
    }

    @Test func failedProbesBackOffExponentiallyUpToACap() {
        let breaker = CircuitBreaker(threshold: 1, openDuration: .seconds(1))
        var now = ContinuousClock.now
        breaker.recordFailure(now: now)
        var pauses: [Duration] = []
        for _ in 0..<5 {
            var waited = Duration.zero
            while !breaker.allowRequest(now: now + waited) { waited += .milliseconds(250) }
            pauses.append(waited)
            now = now + waited
            breaker.recordFailure(now: now)
        }
        #expect(pauses == [.seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(8)])
    }
}
