import BookcatCore
import GRDB

extension AppDatabase {
    /// Numbered migrations. Never edit one that has shipped: add the next number instead.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("0001_create_catalog") { db in
            try db.create(table: "user") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("email", .text).notNull().unique().collate(.nocase)
                t.column("username", .text).notNull().unique().collate(.nocase)
                t.column("password_hash", .text).notNull()
                t.column("role", .text).notNull().check(sql: "role IN ('user', 'admin')")
                t.column("created_at", .datetime).notNull()
            }
            try db.create(table: "refresh_token") { t in
                t.primaryKey("token_id", .text)
                t.column("family_id", .text).notNull().indexed()
                t.column("user_id", .integer).notNull().indexed().references("user", onDelete: .cascade)
                t.column("token_hash", .text).notNull().unique()
                t.column("expires_at", .datetime).notNull()
                t.column("used_at", .datetime)
                t.column("revoked_at", .datetime)
            }
            try db.create(table: "tag") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("name", .text).notNull().unique().collate(.nocase)
            }
            try db.create(table: "book") { t in
                t.autoIncrementedPrimaryKey("id")
                // NOCASE so `order_by=title` sorts "apple" next to "Apple", and the index serves that order.
                t.column("title", .text).notNull().collate(.nocase)
                t.column("author", .text).notNull()
                t.column("isbn", .text).notNull().unique()
                t.column("publisher", .text)
                t.column("published_at", .text).notNull()
                t.column("stock", .integer).notNull().check(sql: "stock >= 0")
                t.column("created_at", .datetime).notNull()
                t.column("updated_at", .datetime).notNull()
            }
            // One index per ordering, each ending in id: the listing's tie-breaker.
            try db.create(index: "book_on_created_at", on: "book", columns: ["created_at", "id"])
            try db.create(index: "book_on_title", on: "book", columns: ["title", "id"])
            try db.create(index: "book_on_published_at", on: "book", columns: ["published_at", "id"])
            try db.create(table: "book_tag") { t in
                t.column("book_id", .integer).notNull().references("book", onDelete: .cascade)
                t.column("tag_id", .integer).notNull().references("tag", onDelete: .cascade)
                t.primaryKey(["book_id", "tag_id"])
            }
            try db.create(index: "book_tag_on_tag", on: "book_tag", columns: ["tag_id", "book_id"])
            try db.create(table: "loan") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("user_id", .integer).notNull().indexed().references("user", onDelete: .cascade)
                t.column("book_id", .integer).notNull().indexed().references("book", onDelete: .cascade)
                t.column("quantity", .integer).notNull().check(sql: "quantity > 0")
                t.column("is_returned", .boolean).notNull().defaults(to: false)
                t.column("created_at", .datetime).notNull()
                t.column("returned_at", .datetime)
            }
        }
        migrator.registerMigration("0002_search_index_and_counts") { db in
            // Substring search (`title=une` finds "Dune") through a trigram full-text index, instead of a LIKE that
            // scans every row. External content: the index stores trigrams only, the text stays in `book`.
            try db.execute(
                sql: """
                    CREATE VIRTUAL TABLE book_search USING fts5(title, author, content='book', content_rowid='id', tokenize='trigram');
                    INSERT INTO book_search(book_search) VALUES ('rebuild');
                    CREATE TRIGGER book_search_after_insert AFTER INSERT ON book BEGIN
                      INSERT INTO book_search(rowid, title, author) VALUES (new.id, new.title, new.author);
                    END;
                    CREATE TRIGGER book_search_after_delete AFTER DELETE ON book BEGIN
                      INSERT INTO book_search(book_search, rowid, title, author) VALUES ('delete', old.id, old.title, old.author);
                    END;
                    CREATE TRIGGER book_search_after_update AFTER UPDATE OF title, author ON book BEGIN
                      INSERT INTO book_search(book_search, rowid, title, author) VALUES ('delete', old.id, old.title, old.author);
                      INSERT INTO book_search(rowid, title, author) VALUES (new.id, new.title, new.author);
                    END;
                    """
            )
            // The unfiltered listing's `count` from one row kept current by triggers, not a COUNT(*) over every book.
            try db.execute(
                sql: """
                    CREATE TABLE catalog_stats (id INTEGER PRIMARY KEY CHECK (id = 1), book_count INTEGER NOT NULL);
                    INSERT INTO catalog_stats (id, book_count) SELECT 1, COUNT(*) FROM book;
                    CREATE TRIGGER catalog_stats_after_insert AFTER INSERT ON book BEGIN
                      UPDATE catalog_stats SET book_count = book_count + 1 WHERE id = 1;
                    END;
                    CREATE TRIGGER catalog_stats_after_delete AFTER DELETE ON book BEGIN
                      UPDATE catalog_stats SET book_count = book_count - 1 WHERE id = 1;
                    END;
                    """
            )
        }
        migrator.registerMigration("0003_throttle_windows") { db in
            // Login and signup counters (see SQLiteLoginThrottle): here rather than in the evictable cache.
            try db.create(table: "throttle_window") { t in
                t.primaryKey("key", .text)
                t.column("attempts", .integer).notNull()
                t.column("ends_at", .double).notNull().indexed()
            }
        }
        migrator.registerMigration("0004_catalog_version") { db in
            // Bumped by triggers, so in the same transaction as every write that can change a cached body (the
            // seeder's too): after a crash, the cache compares it with the last version it invalidated for.
            let writes = ["book", "tag", "book_tag"].flatMap { table in ["INSERT", "UPDATE", "DELETE"].map { (table, $0) } }
            try db.execute(sql: counterBumpedByTriggers(table: "catalog_version", column: "version", after: writes))
        }
        migrator.registerMigration("0005_username_skeleton") { db in
            // Look-alike usernames (`ADMIN`, `ädmin`, Cyrillic `аdmin`) are one account: the skeleton is unique.
            try db.alter(table: "user") { t in t.add(column: "username_key", .text) }
            var taken = Set<String>()
            for row in try Row.fetchAll(db, sql: "SELECT id, username FROM user ORDER BY id") {
                let id: Int64 = row["id"]
                var key = UsernameSkeleton.of(row["username"])
                // Accounts that already collide keep working under their exact name; the oldest gets the skeleton.
                if !taken.insert(key).inserted { key += "#\(id)" }
                try db.execute(sql: "UPDATE user SET username_key = ? WHERE id = ?", arguments: [key, id])
            }
            try db.create(index: "user_on_username_key", on: "user", columns: ["username_key"], unique: true)
        }
        migrator.registerMigration("0006_session_epoch") { db in
            // Bumped by triggers in the same transaction as every write that can end a session or change what an
            // account may do, so a process that remembers sessions learns (through the cache) that it must look again.
            // Logins only insert, and a session nobody has seen yet is not remembered anywhere: they leave it alone.
            let writes = [("user", "UPDATE"), ("user", "DELETE"), ("refresh_token", "UPDATE"), ("refresh_token", "DELETE")]
            try db.execute(sql: counterBumpedByTriggers(table: "session_epoch", column: "epoch", after: writes))
        }
        migrator.registerMigration("0007_session_epoch_on_revocation") { db in
            // A refresh marks its token used, which ends no session: bumping on it made every process look its
            // remembered sessions up again on every refresh. Only a revocation ends one; the tokens purged (used long
            // ago, expired or revoked) keep no session alive, and a live one goes only with its account.
            try db.execute(
                sql: """
                    DROP TRIGGER session_epoch_after_update_refresh_token;
                    DROP TRIGGER session_epoch_after_delete_refresh_token;
                    CREATE TRIGGER session_epoch_after_revoke_refresh_token AFTER UPDATE OF revoked_at ON refresh_token BEGIN
                      UPDATE session_epoch SET epoch = epoch + 1 WHERE id = 1;
                    END;
                    CREATE INDEX refresh_token_on_expiry ON refresh_token (expires_at);
                    CREATE INDEX refresh_token_revoked ON refresh_token (revoked_at) WHERE revoked_at IS NOT NULL;
                    """
            )
        }
        migrator.registerMigration("0008_short_substring_counts") { db in
            // The exact count of a one- or two-character filter without scanning every book (see ShortSubstringCounts).
            let longest = try Int.fetchOne(db, sql: "SELECT MAX(MAX(length(title)), MAX(length(author))) FROM book") ?? 0
            if longest > ShortSubstringCounts.longestText {
                throw DatabaseError(
                    message: "a title or author is \(longest) characters long; this version takes at most \(ShortSubstringCounts.longestText)"
                )
            }
            try db.execute(sql: ShortSubstringCounts.creationSQL)
            var tally = ShortSubstringTally()
            let books = try Row.fetchCursor(db, sql: "SELECT title, author FROM book")
            while let book = try books.next() {
                tally.add(book[0], as: .title)
                tally.add(book[1], as: .author)
            }
            try ShortSubstringCounts.add(tally, to: db)
        }
        migrator.registerMigration("0009_in_place_book_changes") { db in
            try db.execute(sql: InPlaceBookChanges.creationSQL)
        }
        // Which catalog this is, made once with the store: the cache keeps each catalog's pages apart by it.
        migrator.registerMigration("0010_catalog_identity") { db in
            try db.execute(
                sql: """
                    CREATE TABLE catalog_identity (id INTEGER PRIMARY KEY CHECK (id = 1), identity TEXT NOT NULL);
                    INSERT INTO catalog_identity (id, identity) VALUES (1, lower(hex(randomblob(16))));
                    """
            )
        }
        return migrator
    }

    /// A one-row table `table` whose `column` starts at 1 and is incremented by a trigger after each of `writes`
    /// (table, event), in the writing transaction.
    private static func counterBumpedByTriggers(table: String, column: String, after writes: [(table: String, event: String)]) -> String {
        var sql = "CREATE TABLE \(table) (id INTEGER PRIMARY KEY CHECK (id = 1), \(column) INTEGER NOT NULL);"
        sql += "INSERT INTO \(table) (id, \(column)) VALUES (1, 1);"
        for write in writes {
            sql += """
                CREATE TRIGGER \(table)_after_\(write.event.lowercased())_\(write.table) AFTER \(write.event) ON \(write.table) BEGIN
                  UPDATE \(table) SET \(column) = \(column) + 1 WHERE id = 1;
                END;
                """
        }
        return sql
    }
}
