import BookcatPostgres
import Testing

@Suite("DATABASE_URL")
struct PostgresLocationTests {
    @Test func aFullURLIsRead() throws {
        let location = try PostgresLocation(url: "postgresql://app%40corp:p%3Ass@db.internal:6432/catalog?sslmode=verify-full")
        #expect(location.host == "db.internal")
        #expect(location.port == 6432)
        #expect(location.username == "app@corp")
        #expect(location.password == "p:ss")
        #expect(location.database == "catalog")
        #expect(location.tls == .verifyFull)
    }

    @Test func defaultsArePort5432AndPreferredTLS() throws {
        let location = try PostgresLocation(url: "postgres://app@localhost/catalog")
        #expect(location.port == 5432)
        #expect(location.password == nil)
        #expect(location.tls == .prefer)
    }

    @Test func theRedactedFormNeverCarriesThePassword() throws {
        let location = try PostgresLocation(url: "postgres://app:hunter2secret@db/catalog?sslmode=require")
        #expect(!location.redacted.contains("hunter2secret"))
        #expect(location.redacted == "postgres://app@db:5432/catalog?sslmode=require")
    }

    @Test(arguments: [
        ("mysql://app@db/catalog", "must look like"),
        ("postgres://db/catalog", "names no user"),
        ("postgres://app@db", "names no database"),
        ("postgres://app@db/catalog?sslmode=sometimes", "sslmode=sometimes"),
        ("postgres://app@db/catalog?connect_timeout=5", "connect_timeout"),
        ("postgres://app@db:0/catalog", "outside 1-65535"),
    ])
    func mistakesAreNamed(url: String, reason: String) {
        #expect {
            try PostgresLocation(url: url)
        } throws: { error in
            (error as? PostgresLocationError)?.reason.contains(reason) == true
        }
    }
}
