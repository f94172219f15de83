import HTTPTypes
import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import Testing

@testable import BookcatApp
@testable import BookcatHTTP

/// The request deadlines on an embedded channel, whose event loop's time moves only when the test moves it: each
/// case says to the millisecond when a connection must still be open and when it must be closed. (An embedded
/// channel writes at once, so a client that does not read is shown on real sockets, in ``SlowClientTests``.)
@Suite("Request deadlines")
struct RequestDeadlineHandlerTests {
    private static let request = "GET /api/v1/common/health-check HTTP/1.1\r\nHost: bookcat\r\n\r\n"
    private static let halfHead = "GET /api/v1/common/health-check HTTP/1.1\r\nHost: b"

    /// The server's HTTP/1 decoding in front of the handler: one second for a head, two for a body.
    private func connection() throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandlers([
            ByteToMessageHandler(HTTPRequestDecoder()),
            HTTP1ToHTTPServerCodec(secure: false),
            RequestDeadlineHandler(
                limits: .init(head: .seconds(1), body: .seconds(2), response: .seconds(3)),
                logger: Logger(label: "request-deadline-tests")
            ),
        ])
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 8080)).wait()
        return channel
    }

    private func send(_ text: String, to channel: EmbeddedChannel) throws {
        try channel.writeInbound(ByteBuffer(string: text))
    }

    @Test func halfSentHeadersAreDroppedAtTheDeadline() throws {
        let channel = try connection()
        // A byte at a time, each well inside any idle timeout: the deadline counts from the first byte.
        for character in Self.halfHead.prefix(9) {
            try send(String(character), to: channel)
            channel.embeddedEventLoop.advanceTime(by: .milliseconds(100))
        }
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(99))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(1))
        #expect(!channel.isActive)
    }

    @Test func headersSentInTimeKeepTheConnectionForAsLongAsItLikes() throws {
        let channel = try connection()
        for chunk in ["GET /api/v1/common/health-check HTTP/1.1\r\n", "Host: bookcat\r\n", "\r\n"] {
            try send(chunk, to: channel)
            channel.embeddedEventLoop.advanceTime(by: .milliseconds(300))
        }
        // Between requests the clock is not running (the idle timeout, not this handler, covers a silent client).
        channel.embeddedEventLoop.advanceTime(by: .seconds(60))
        #expect(channel.isActive)
        try send(Self.request, to: channel)
        channel.embeddedEventLoop.advanceTime(by: .seconds(60))
        #expect(channel.isActive)
        _ = try channel.finish()
    }

    /// One timer serves a connection's requests: when it fires for an earlier request, it must still catch a later
    /// head that is trickling in, counted from that head's own first byte.
    @Test func aLaterRequestOnAKeptAliveConnectionHasItsOwnDeadline() throws {
        let channel = try connection()
        try send(Self.request, to: channel)
        try channel.writeOutbound(HTTPResponsePart.head(HTTPResponse(status: .ok, headerFields: [.contentLength: "0"])))
        try channel.writeOutbound(HTTPResponsePart.end(nil))
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(700))
        try send(Self.halfHead, to: channel)
        // The timer armed by the first request fires at 1 s and re-arms for the second head, due at 1.7 s.
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(999))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(1))
        #expect(!channel.isActive)
    }

    /// The audit: a login POST announcing 100,000 bytes and sending one every 20 s was still open after 100 s. The
    /// body's clock starts with its head and is not reset by each byte that trickles in.
    @Test func aTricklingBodyIsDroppedAtTheBodyDeadline() throws {
        let channel = try connection()
        try send("POST /api/v1/auth/login HTTP/1.1\r\nHost: bookcat\r\nContent-Length: 100000\r\n\r\n", to: channel)
        for _ in 0..<19 {
            channel.embeddedEventLoop.advanceTime(by: .milliseconds(100))
            try send("x", to: channel)
        }
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(99))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(1))
        #expect(!channel.isActive)
    }

    @Test func aBodySentInTimeStopsTheBodyClock() throws {
        let channel = try connection()
        try send("POST /api/v1/auth/login HTTP/1.1\r\nHost: bookcat\r\nContent-Length: 4\r\n\r\n", to: channel)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(1_500))
        try send("{}  ", to: channel)
        channel.embeddedEventLoop.advanceTime(by: .seconds(60))
        #expect(channel.isActive)
        _ = try channel.finish()
    }

    // MARK: - While earlier answers are owed

    // The CI run under load: a client pipelined requests on one connection. While the server owes answers it reads
    // no further (NIOAsyncChannel's back-pressure), so a head or body cut at the end of its last read waits on the
    // server, not on the client; its clock must wait too.

    /// Answers the oldest request still owed, as the server's responder does.
    private func answer(on channel: EmbeddedChannel) throws {
        try channel.writeOutbound(HTTPResponsePart.head(HTTPResponse(status: .ok, headerFields: [.contentLength: "0"])))
        try channel.writeOutbound(HTTPResponsePart.end(nil))
    }

    @Test func aHeadCutAtTheEndOfAReadWaitsForTheAnswersOwedBeforeItsClockStarts() throws {
        let channel = try connection()
        try send(Self.request + Self.request, to: channel)
        // The server has taken up the first request and reads again: half a head is all that had come.
        try send(Self.halfHead, to: channel)
        // The server is slow with both answers (bcrypt on a loaded machine): nothing the client can do about it.
        channel.embeddedEventLoop.advanceTime(by: .seconds(5))
        try answer(on: channel)
        channel.embeddedEventLoop.advanceTime(by: .seconds(5))
        #expect(channel.isActive)
        try answer(on: channel)
        // From the last answer owed, the head has its whole second.
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(999))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(1))
        #expect(!channel.isActive)
    }

    @Test func aBodyBehindAnOwedAnswerGetsItsWholeTimeOnceTheAnswerIsWritten() throws {
        let channel = try connection()
        try send(Self.request + "POST /api/v1/auth/login HTTP/1.1\r\nHost: bookcat\r\nContent-Length: 100\r\n\r\n{", to: channel)
        channel.embeddedEventLoop.advanceTime(by: .seconds(10))
        #expect(channel.isActive)
        try answer(on: channel)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(1_999))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(1))
        #expect(!channel.isActive)
    }

    /// Answering early (a 413 or 401 before the body is read) does not stop the clock of the body still coming.
    @Test func aBodyAnsweredEarlyKeepsItsClock() throws {
        let channel = try connection()
        try send("POST /api/v1/auth/login HTTP/1.1\r\nHost: bookcat\r\nContent-Length: 100\r\n\r\n{", to: channel)
        try answer(on: channel)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(1_999))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(1))
        #expect(!channel.isActive)
    }
}
