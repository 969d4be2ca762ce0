//! Schema introspection, so that a test can hold the two migration folders
//! to the same tables and columns.

use crate::{Db, Result};

/// One column: table, column name, whether it may hold NULL.
pub type ColumnInfo = (String, String, bool);

/// Every column of Roster's own tables, sorted. Backend-private objects (the
/// SQLite FTS index, sqlx's migration table) are left out.
pub async fn columns(db: &Db) -> Result<Vec<ColumnInfo>> {
    let mut cols: Vec<ColumnInfo> = match db {
        Db::Sqlite(p) => {
            let rows: Vec<(String, String, i64)> = sqlx::query_as(
                "SELECT m.name, p.name, p.\"notnull\" FROM sqlite_master m JOIN pragma_table_info(m.name) p \
                 WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '\\_sqlx%' ESCAPE '\\' \
                 AND m.name NOT LIKE 'members\\_fts%' ESCAPE '\\'",
            )
            .fetch_all(p)
            .await?;
            // SQLite reports a primary-key column as nullable unless declared
            // NOT NULL; every key column here is declared so.
            rows.into_iter().map(|(t, c, nn)| (t, c, nn == 0)).collect()
        }
        Db::Postgres(p) => {
            let rows: Vec<(String, String, String)> = sqlx::query_as(
                "SELECT table_name::text, column_name::text, is_nullable::text FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name NOT LIKE '\\_sqlx%'",
            )
            .fetch_all(p)
            .await?;
            rows.into_iter().map(|(t, c, n)| (t, c, n == "YES")).collect()
        }
    };
    cols.sort();
    Ok(cols)
}
