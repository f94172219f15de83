import BookcatCore
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

@testable import BookcatApp
@testable import BookcatHTTP

/// What the Django service's clients send (its code, tests, README and Postman's form tab), and what they read back:
/// each gets the service's outcome here too.
@Suite struct DjangoClientTests {
    @Test func tagsMayBeTheServicesObjectsOrIdsAsText() async throws {
        try await TestApp.run { app in
            let token = try await app.admin().accessToken
            let (fiction, poetry) = (try await app.createTag("fiction", token: token), try await app.createTag("poetry", token: token))
            let book = try await app.createBook(token: token, ["tags": [["tag_id": fiction], ["tag_id": "\(poetry)"]]])
            #expect((book["tags"] as? [[String: Any]])?.compactMap { $0["tag_id"] as? Int64 } == [fiction, poetry])

            let id = try #require(book["book_id"] as? Int64)
            let patched = try await app.send(.patch, "/api/v1/books/\(id)", token: token, json: ["tags": ["\(poetry)"]]).object()
            #expect((patched["tags"] as? [[String: Any]])?.compactMap { $0["tag_id"] as? Int64 } == [poetry])

            let wrong = try await app.send(.patch, "/api/v1/books/\(id)", token: token, json: ["tags": [["id": fiction]]])
            #expect(wrong.status == .badRequest)
            #expect(try wrong.problemFields().contains { $0.hasPrefix("tags") })
        }
    }

    @Test func scalarsAreCoercedAsTheServiceDidAndNothingElse() async throws {
        try await TestApp.run { app in
            let token = try await app.admin().accessToken
            let book = try await app.createBook(token: token, ["stock": "7", "isbn": 9_780_262_033_848])
            #expect(book["stock"] as? Int == 7)
            #expect(book["isbn"] as? String == "9780262033848")
            for (field, value) in [("stock", "seven" as Any), ("stock", "7.5"), ("stock", true), ("isbn", 9.5)] {
                let response = try await app.send(.post, "/api/v1/books", token: token, json: Self.book([field: value]))
                #expect(response.status == .badRequest, "\(field): \(value)")
                #expect(try response.problemFields() == [field])
            }
        }
    }

    @Test func aLoanIsReturnedWithTheServicesQuantityBodyOnlyWhole() async throws {
        try await TestApp.run { app in
            let admin = try await app.admin().accessToken
            let member = try await app.member().accessToken
            let bookID = try #require(try await app.createBook(token: admin, ["stock": 5])["book_id"] as? Int64)
            let loan = try await app.send(.post, "/api/v1/loans", token: member, json: ["book_id": "\(bookID)", "quantity": "2"]).object()
            let loanID = try loan.int("loan_id")
            #expect(try await app.store.books.book(id: bookID)?.stock == 3)

            let partial = try await app.send(.patch, "/api/v1/loans/\(loanID)", token: member, json: ["quantity": 1])
            #expect(partial.status == .badRequest)
            #expect(try partial.problemFields() == ["quantity"])
            #expect(try await app.store.loans.loan(id: loanID)?.isReturned == false)
            #expect(try await app.store.books.book(id: bookID)?.stock == 3, "a refused return changes nothing")

            let empty = try await app.send(.patch, "/api/v1/loans/\(loanID)", token: member, json: [String: Any]())
            #expect(try empty.problemFields() == ["is_returned"])

            let returned = try await app.send(.patch, "/api/v1/loans/\(loanID)", token: member, json: ["quantity": 2]).object()
            #expect(returned["is_returned"] as? Bool == true)
            #expect(try await app.store.books.book(id: bookID)?.stock == 5, "and, unlike the service, the copies are back")
        }
    }

    /// DRF's form notation for a list of objects (`tags[0]tag_id=1`, the `{"tag_id": 1}` its clients send in JSON),
    /// and the bracketed and dotted spellings other clients use: every tag is kept.
    @Test(arguments: ["tags[%d]tag_id", "tags[%d][tag_id]", "tags[%d].tag_id", "tags[%d]"])
    func numberedFormItemsAreTheListTheyNumber(spelling: String) async throws {
        try await TestApp.run { app in
            let token = try await app.admin().accessToken
            let (one, two) = (try await app.createTag("one", token: token), try await app.createTag("two", token: token))
            let name = { (index: Int) in
                String(format: spelling, index).replacingOccurrences(of: "[", with: "%5B").replacingOccurrences(of: "]", with: "%5D")
            }
            // Out of order on purpose: the index, not the position in the body, numbers the items.
            let form = "title=T&author=A&isbn=\(TestApp.nextISBN())&published_at=2001-02-03&stock=1&\(name(1))=\(one)&\(name(0))=\(two)"
            let created = try await Self.send(app, .post, "/api/v1/books", token: token, body: form, type: "application/x-www-form-urlencoded")
            #expect(created.status == .created, "\(created.text)")
            #expect(Set((try created.object()["tags"] as? [[String: Any]])?.compactMap { $0["tag_id"] as? Int64 } ?? []) == [one, two])

            let multipart = Self.multipart([
                ("title", "M"), ("author", "A"), ("isbn", TestApp.nextISBN()), ("published_at", "1999-12-31"), ("stock", "2"),
                (String(format: spelling, 0), "\(one)"),
            ])
            let fromMultipart = try await Self.send(app, .post, "/api/v1/books", token: token, body: multipart.body, type: multipart.type)
            #expect(fromMultipart.status == .created, "\(fromMultipart.text)")
            #expect((try fromMultipart.object()["tags"] as? [[String: Any]])?.compactMap { $0["tag_id"] as? Int64 } == [one])
        }
    }

    /// A numbered item that names no tag, or an index too long to be a position, is a 400 and writes nothing.
    @Test func numberedFormItemsThatAreNotTagsAreRefused() async throws {
        try await TestApp.run { app in
            let token = try await app.admin().accessToken
            let base = "title=T&author=A&isbn=\(TestApp.nextISBN())&published_at=2001-02-03&stock=1&"
            for bad in ["tags%5B0%5Dname=x", "tags%5B0%5Dtag_id=zero", "tags%5B12345678901234567890%5D=1"] {
                let refused = try await Self.send(
                    app,
                    .post,
                    "/api/v1/books",
                    token: token,
                    body: base + bad,
                    type: "application/x-www-form-urlencoded"
                )
                #expect(refused.status == .badRequest, "\(bad): \(refused.status) \(refused.text)")
            }
            #expect(try await app.store.books.page(BookListQuery.parse([])).totalCount == 0)
        }
    }

    @Test func formAndMultipartBodiesAreReadAsTheJSONTheyStandFor() async throws {
        try await TestApp.run { app in
            let token = try await app.admin().accessToken
            let (one, two) = (try await app.createTag("one", token: token), try await app.createTag("two", token: token))
            let isbn = TestApp.nextISBN()
            let form = "title=Form+book&author=Ana%20Ng&isbn=\(isbn)&published_at=2001-02-03&stock=4&tags=\(one)&tags=\(two)"
            let created = try await Self.send(app, .post, "/api/v1/books", token: token, body: form, type: "application/x-www-form-urlencoded")
            #expect(created.status == .created, "\(created.text)")
            let book = try created.object()
            #expect(book["title"] as? String == "Form book")
            #expect(book["author"] as? String == "Ana Ng")
            #expect(book["stock"] as? Int == 4)
            #expect((book["tags"] as? [[String: Any]])?.compactMap { $0["tag_id"] as? Int64 } == [one, two])

            // One tag is still a list; `tags[]` is how some clients spell it.
            let multipart = Self.multipart([
                ("title", "Multipart book"), ("author", "Bo Li"), ("isbn", TestApp.nextISBN()), ("published_at", "1999-12-31"),
                ("stock", "2"), ("tags[]", "\(two)"),
            ])
            let fromMultipart = try await Self.send(app, .post, "/api/v1/books", token: token, body: multipart.body, type: multipart.type)
            #expect(fromMultipart.status == .created, "\(fromMultipart.text)")
            #expect((try fromMultipart.object()["tags"] as? [[String: Any]])?.compactMap { $0["tag_id"] as? Int64 } == [two])

            // The same validation as JSON: a bad field is a 400 naming it, and nothing is written.
            let before = try await app.store.books.page(BookListQuery.parse([])).totalCount
            let bad = try await Self.send(
                app,
                .post,
                "/api/v1/books",
                token: token,
                body: "title=x&author=y&isbn=1&published_at=2001-02-03&stock=-1",
                type: "application/x-www-form-urlencoded"
            )
            #expect(bad.status == .badRequest)
            #expect(try Set(bad.problemFields()) == ["isbn", "stock"])
            #expect(try await app.store.books.page(BookListQuery.parse([])).totalCount == before)

            let withFile = Self.multipart([("title", "x")], file: ("cover", "cover.png"))
            let file = try await Self.send(app, .post, "/api/v1/books", token: token, body: withFile.body, type: withFile.type)
            #expect(file.status == .badRequest)
            #expect(try file.problemFields() == ["cover"])

            let control = try await Self.send(
                app,
                .post,
                "/api/v1/users",
                body: "email=x%40example.org&username=a%00b&password=long+enough+1",
                type: "application/x-www-form-urlencoded"
            )
            #expect(control.status == .badRequest, "a control character is refused in a form as in JSON")

            let signup = try await Self.send(
                app,
                .post,
                "/api/v1/users",
                body: "email=form%40example.org&password=form+password+1",
                type: "application/x-www-form-urlencoded"
            )
            #expect(signup.status == .created, "\(signup.text)")
            let login = try await Self.send(
                app,
                .post,
                "/api/v1/auth/login",
                body: "email=form%40example.org&password=form+password+1",
                type: "application/x-www-form-urlencoded"
            )
            #expect(login.status == .ok)

            let unsupported = try await Self.send(app, .post, "/api/v1/tags", token: token, body: "name=x", type: "text/plain")
            #expect(unsupported.status == .unsupportedMediaType)
        }
    }

    @Test func aFormWithMoreFieldsThanAnyRequestHasIsRefused() async throws {
        try await TestApp.run { app in
            let token = try await app.admin().accessToken
            let body = (0...FormBody.maximumFields).map { "f\($0)=1" }.joined(separator: "&")
            let response = try await Self.send(app, .post, "/api/v1/tags", token: token, body: body, type: "application/x-www-form-urlencoded")
            #expect(response.status == .badRequest)
        }
    }

    /// The third audit: a multipart body cut before its closing boundary was applied, minus the cut part.
    @Test func aMultipartBodyWithoutItsClosingBoundaryChangesNothing() async throws {
        try await TestApp.run { app in
            let token = try await app.admin().accessToken
            let book = try await app.createBook(token: token, ["title": "Before the cut", "stock": 3]).int("book_id")
            let (whole, type) = Self.multipart([("title", "After the cut"), ("stock", "9")])
            let closing = whole.range(of: "--\r\n", options: .backwards)!
            for cut in [String(whole[..<closing.lowerBound]), String(whole.dropLast(20)), String(whole.prefix(whole.count / 2))] {
                let response = try await Self.send(app, .patch, "/api/v1/books/\(book)", token: token, body: cut, type: type)
                #expect(response.status == .badRequest, "\(response.status) \(response.text)")
            }
            let unchanged = try await app.send(.get, "/api/v1/books/\(book)", token: token).object()
            #expect(try unchanged.string("title") == "Before the cut" && unchanged.int("stock") == 3)
            // The whole body still applies, with a preamble before its first boundary and an epilogue after its
            // closing one (RFC 2046 §5.1.1), or without the closing boundary's line break (one Character, `\r\n`).
            for body in ["a preamble to ignore\r\n" + whole + "an epilogue to ignore\r\n", String(whole.dropLast(1))] {
                let applied = try await Self.send(app, .patch, "/api/v1/books/\(book)", token: token, body: body, type: type)
                #expect(applied.status == .ok, "\(applied.text)")
            }
        }
    }

    /// The third audit: JSON took the first of two equal keys, while forms refused a name given twice; a proxy in
    /// front that keeps the last would disagree with the service on what was sent.
    @Test func aJSONKeyGivenTwiceIsRefusedAndChangesNothing() async throws {
        try await TestApp.run { app in
            let token = try await app.admin().accessToken
            let book = try await app.createBook(token: token, ["title": "Once", "stock": 3]).int("book_id")
            for body in [
                #"{"stock": 5, "stock": 7}"#, #"{"title": "A", "\u0074itle": "B"}"#, #"{"title": "A", "nested": {"x": 1}, "title": "B"}"#,
            ] {
                let response = try await Self.send(app, .patch, "/api/v1/books/\(book)", token: token, body: body, type: "application/json")
                #expect(response.status == .badRequest, "\(body): \(response.status)")
                #expect(response.text.contains("more than once"), "\(response.text)")
            }
            // Equal keys in different objects, or equal strings as values, are not duplicates.
            let fine = try await Self.send(
                app,
                .post,
                "/api/v1/books",
                token: token,
                body:
                    #"{"title": "title", "author": "stock", "isbn": "\#(TestApp.nextISBN())", "published_at": "2001-02-03", "stock": 1, "tags": []}"#,
                type: "application/json"
            )
            #expect(fine.status == .created, "\(fine.text)")
            let unchanged = try await app.send(.get, "/api/v1/books/\(book)", token: token).object()
            #expect(try unchanged.string("title") == "Once" && unchanged.int("stock") == 3)
        }
    }

    @Test func aPageSizeAboveTheMaximumIsClampedAndANonNumberIgnored() async throws {
        try await TestApp.run { app in
            let token = try await app.admin().accessToken
            for _ in 0..<101 { _ = try await app.createBook(token: token) }
            let clamped = try await app.send(.get, "/api/v1/books?page_size=500", token: token).object()
            #expect((clamped["results"] as? [Any])?.count == 100)
            #expect(clamped["next"] as? String == "/api/v1/books?page=2&page_size=100")
            let ignored = try await app.send(.get, "/api/v1/books?page_size=all", token: token).object()
            #expect((ignored["results"] as? [Any])?.count == 10)
        }
    }

    @Test func linksAreAbsoluteOnThePublicURLOrAnAllowedHostNeverAnInjectedOne() async throws {
        var configuration = TestApp.configuration()
        configuration.server.publicLinks = PublicLinks(allowedHosts: ["books.example.org", "localhost:8000"])
        try await TestApp.run(.live, configuration: configuration) { app in
            let token = try await app.admin().accessToken
            for _ in 0..<3 { _ = try await app.createBook(token: token) }
            func next(host: String?) async throws -> String? { try await Self.nextLink(app, token: token, host: host) }
            #expect(try await next(host: "books.example.org") == "http://books.example.org/api/v1/books?page=2&page_size=1")
            #expect(try await next(host: "evil.example") == "/api/v1/books?page=2&page_size=1")
            #expect(try await next(host: "localhost:8000") == "http://localhost:8000/api/v1/books?page=2&page_size=1")
            #expect(try await next(host: nil) == "/api/v1/books?page=2&page_size=1")
        }
        configuration.server.publicLinks = PublicLinks(publicURL: "https://books.example.org")
        try await TestApp.run(.live, configuration: configuration) { app in
            let token = try await app.admin().accessToken
            for _ in 0..<2 { _ = try await app.createBook(token: token) }
            #expect(try await Self.nextLink(app, token: token, host: "evil.example") == "https://books.example.org/api/v1/books?page=2&page_size=1")
        }
    }

    /// Relative links break the Django service's clients, so production says so at start when nothing configured
    /// absolute ones; a public URL or allowed hosts silence it.
    @Test func onlyAnInstallWithNoPublicAddressIsWarnedOfRelativeLinks() throws {
        let bare = try AppConfiguration.load(from: [:]).server.publicLinks
        #expect(bare.relativeLinksWarning?.contains("PUBLIC_URL is not set") == true)
        #expect(try AppConfiguration.load(from: ["PUBLIC_URL": "https://books.example.org"]).server.publicLinks.relativeLinksWarning == nil)
        #expect(try AppConfiguration.load(from: ["ALLOWED_HOSTS": "books.example.org"]).server.publicLinks.relativeLinksWarning == nil)
    }

    @Test func publicURLMustBeABaseURL() throws {
        #expect(PublicLinks.parseBase("https://Books.example.org/") == "https://books.example.org")
        #expect(PublicLinks.parseBase("http://localhost:8000") == "http://localhost:8000")
        for bad in ["books.example.org", "ftp://x.org", "https://x.org/api", "https://x.org?a=1", "https://user@x.org"] {
            #expect(PublicLinks.parseBase(bad) == nil)
            let refusal = #expect(throws: ConfigurationError.self) { try AppConfiguration.load(from: ["PUBLIC_URL": bad]) }
            #expect(refusal?.variable == "PUBLIC_URL")
        }
    }

    @Test func usersAndLoansAlsoCarryTheServicesFieldNames() async throws {
        try await TestApp.run { app in
            let admin = try await app.admin().accessToken
            let member = try await app.member()
            let me = try await app.send(.get, "/api/v1/users/me", token: member.accessToken).object()
            #expect(me["id"] as? Int64 == member.userID)
            #expect(me["user_id"] as? Int64 == member.userID)
            let bookID = try #require(try await app.createBook(token: admin)["book_id"] as? Int64)
            let loan = try await app.send(.post, "/api/v1/loans", token: member.accessToken, json: ["book_id": bookID, "quantity": 1]).object()
            #expect(loan["user"] as? Int64 == member.userID)
            #expect(loan["book"] as? Int64 == bookID)
            #expect(loan["book_id"] as? Int64 == bookID)
        }
    }

    @Test func aSignupWithoutAUsernameGetsOneFromItsEmail() async throws {
        try await TestApp.run { app in
            let first = try await app.send(.post, "/api/v1/users", json: ["email": "ada.l@example.org", "password": "a long password 1"]).object()
            #expect(first["username"] as? String == "ada.l")
            let second = try await app.send(.post, "/api/v1/users", json: ["email": "ada.l@example.net", "password": "a long password 1"]).object()
            let derived = try #require(second["username"] as? String)
            #expect(derived.hasPrefix("ada.l-") && derived.count == "ada.l-".count + 8, "\(derived)")
            let short = try await app.send(.post, "/api/v1/users", json: ["email": "x@example.org", "password": "a long password 1"]).object()
            #expect(short["username"] as? String == "x_user")
            let login = try await app.send(.post, "/api/v1/auth/login", json: ["username": derived, "password": "a long password 1"])
            #expect(login.status == .ok)
        }
    }

    /// The third audit: twenty signups of one local part (`admin-2` … `admin-21` taken ahead) made every later
    /// signup of that local part without a username a 409, and the numbers said how many shared it.
    @Test func derivedUsernamesCannotBeTakenAhead() async throws {
        try await TestApp.run { app in
            for suffix in ["", "-2", "-3"] + (4...40).map({ "-\($0)" }) {
                _ = try await app.store.users.create(
                    NewUser(email: "squat\(suffix)@example.org", username: "admin\(suffix)", passwordHash: "!", role: .user)
                )
            }
            var names: Set<String> = []
            for index in 0..<5 {
                let signup = try await app.send(
                    .post,
                    "/api/v1/users",
                    json: ["email": "admin@site\(index).example", "password": "a long password 1"]
                )
                #expect(signup.status == .created, "\(signup.text)")
                let name = try #require(try signup.object()["username"] as? String)
                #expect(name.hasPrefix("admin-") && Int(name.dropFirst("admin-".count)) == nil, "\(name) is a number anyone could take ahead")
                names.insert(name)
            }
            #expect(names.count == 5)
        }
    }

    /// The listing's `next` link, asked over a socket with the one Host header each request has (a test client
    /// adds its own besides any a test gives, which is two, and refused).
    static func nextLink(_ app: TestApp, token: String, host: String?) async throws -> String? {
        let connection = try await RawConnection.open(port: try #require(app.client.port))
        let hostLine = host.map { "Host: \($0)\r\n" } ?? ""
        try await connection.send("GET /api/v1/books?page_size=1 HTTP/1.1\r\n\(hostLine)Authorization: Bearer \(token)\r\nConnection: close\r\n\r\n")
        let response = try await connection.untilClosed()
        let body = try #require(response.range(of: "\r\n\r\n")).upperBound
        let object = try JSONSerialization.jsonObject(with: Data(response[body...].utf8)) as? [String: Any]
        return object?["next"] as? String
    }

    // MARK: - Helpers

    static func book(_ overrides: [String: Any]) -> [String: Any] {
        var body: [String: Any] = ["title": "T", "author": "A", "isbn": TestApp.nextISBN(), "published_at": "2001-02-03", "stock": 1]
        body.merge(overrides) { _, new in new }
        return body
    }

    static func send(
        _ app: TestApp,
        _ method: HTTPRequest.Method,
        _ path: String,
        token: String? = nil,
        body: String,
        type: String
    ) async throws -> TestResponse {
        var headers: HTTPFields = [.contentType: type]
        if let token { headers[.authorization] = "Bearer \(token)" }
        return try await app.client.execute(uri: path, method: method, headers: headers, body: ByteBuffer(string: body))
    }

    static func multipart(_ fields: [(String, String)], file: (name: String, filename: String)? = nil) -> (body: String, type: String) {
        let boundary = "----bookcat\(UUID().uuidString.prefix(8))"
        var body = ""
        for (name, value) in fields {
            body += "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n"
        }
        if let file {
            body += "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(file.name)\"; filename=\"\(file.filename)\"\r\n"
            body += "Content-Type: image/png\r\n\r\nPNG\r\n"
        }
        body += "--\(boundary)--\r\n"
        return (body, "multipart/form-data; boundary=\(boundary)")
    }
}
