import Foundation
import Testing

@testable import BookcatPostgres

/// The migration runner sends a script one statement at a time (the extended query protocol takes one), split by
/// hand (docs/decisions/0001-postgres-migration-runner.md): at a `;` that ends a line outside a `$$` body, comment
/// lines left out. These hold it to that, on its own and on every migration the store ships.
@Suite("The PostgreSQL migration script splitter")
struct PostgresStatementSplitterTests {
    @Test func statementsEndWhereALineEndsWithASemicolon() {
        let script = """
            -- a comment line is left out
            CREATE TABLE a (id INTEGER);
            CREATE TABLE b (
              id INTEGER
            );
            INSERT INTO a VALUES (1)
            """
        #expect(
            PostgresMigrations.statements(of: script) == [
                "CREATE TABLE a (id INTEGER);", "CREATE TABLE b (\n  id INTEGER\n);", "INSERT INTO a VALUES (1)",
            ]
        )
    }

    @Test func aFunctionBodyIsOneStatementWhateverItsSemicolons() {
        let script = """
            CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              UPDATE a SET id = id + 1;
              RETURN NULL;
            END $$;
            SELECT 1;
            """
        let statements = PostgresMigrations.statements(of: script)
        #expect(statements.count == 2)
        #expect(statements.first?.hasPrefix("CREATE FUNCTION f()") == true && statements.first?.hasSuffix("END $$;") == true)
        #expect(statements.last == "SELECT 1;")
    }

    /// Every shipped migration splits into whole statements: none empty, none with an unclosed function body.
    @Test func everyShippedMigrationSplitsIntoWholeStatements() {
        for migration in PostgresMigrations.all {
            let statements = PostgresMigrations.statements(of: migration.sql)
            #expect(!statements.isEmpty, "\(migration.name) has no statement")
            for statement in statements {
                #expect(!statement.isEmpty, "\(migration.name): an empty statement")
                #expect(statement.components(separatedBy: "$$").count % 2 == 1, "\(migration.name): an unclosed $$ body in \(statement.prefix(80))")
                #expect(!statement.split(separator: "\n").contains { $0.trimmingCharacters(in: .whitespaces).hasPrefix("--") })
            }
        }
    }
}
