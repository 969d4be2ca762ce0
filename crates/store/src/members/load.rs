//! A bulk load of memberships that sets the table's secondary indexes aside
//! while the rows go in (for `dev seed` and tests).

use sea_query::{Alias, Expr, ExprTrait, Iden, Order, Query, QueryBuilder, Values};
use sea_query_sqlx::{SqlxBinder, SqlxValues};

use crate::tables::{MemberCounts, Members, MembersFts, quoted};
use crate::{Backend, Result, StoreError, Tx};

/// A fixed statement without parameters, for the schema changes of a bulk
/// load and the catalog reads behind them (sea-query builds no DDL that the
/// store can run). Never built from user input.
struct FixedSql(String);

impl SqlxBinder for FixedSql {
    fn build_sqlx<T: QueryBuilder>(&self, _: T) -> (String, SqlxValues) {
        (self.0.clone(), SqlxValues(Values(Vec::new())))
    }
}

/// The SQLite trigger that copies each new membership into the trigram
/// index; a bulk load sets it aside with the indexes.
const FTS_INSERT_TRIGGER: &str = "members_fts_insert";

/// A bulk load adds at least this many rows, and at least as many as the
/// table holds, before [`BulkLoad::start`] sets the indexes aside.
const BULK_LOAD_MIN: u64 = 100_000;

/// A bulk insert of memberships that sets `members`' secondary indexes (and,
/// on SQLite, the trigger that feeds the trigram index) aside and builds them
/// again once the rows are in: sorting a million keys once per index costs a
/// fraction of inserting them one by one into eight B-trees and an FTS5
/// index. Worth it only when the load is large next to the table, so
/// [`BulkLoad::start`] decides; either way the caller then inserts with
/// [`insert_members`](super::insert_members) and calls [`BulkLoad::finish`]
/// in the same transaction.
///
/// The schema changes are transactional on both backends, so a failed load
/// leaves the indexes as they were. On PostgreSQL, dropping an index locks the
/// table against readers until the transaction ends: this is for `dev seed`
/// and tests, never for a live organization.
#[derive(Debug)]
pub struct BulkLoad {
    /// The statements that rebuild what was set aside, in order.
    rebuild: Vec<String>,
    /// SQLite: the largest `members.rowid` before the load; later rows are
    /// added to the trigram index on [`BulkLoad::finish`].
    fts_after: Option<i64>,
}

impl BulkLoad {
    /// Sets the indexes aside if adding `adding` rows makes that worth it.
    pub async fn start(tx: &mut Tx, adding: u64) -> Result<Self> {
        #[derive(sqlx::FromRow)]
        struct N {
            n: i64,
        }
        #[derive(sqlx::FromRow)]
        struct Object {
            kind: String,
            name: String,
            sql: String,
        }
        let none = Self { rebuild: Vec::new(), fts_after: None };
        if adding < BULK_LOAD_MIN {
            return Ok(none);
        }
        let held = Query::select()
            .expr_as(
                Expr::cust(format!("CAST(COALESCE(SUM({}), 0) AS BIGINT)", quoted(MemberCounts::Count))),
                Alias::new("n"),
            )
            .from(MemberCounts::Table)
            .to_owned();
        if tx.fetch_one::<N, _>(&held).await?.n.clamp(0, i64::MAX) as u64 > adding {
            return Ok(none);
        }
        let (objects, fts_after) = match tx.backend() {
            Backend::Sqlite => {
                // Secondary indexes (the primary key's has no SQL) and the
                // trigger that copies each new row into the trigram index.
                let objects = tx
                    .fetch_all::<Object, _>(&FixedSql(format!(
                        r#"SELECT "type" AS "kind", "name", "sql" FROM "sqlite_master"
                           WHERE "tbl_name" = '{members}' AND "sql" IS NOT NULL
                             AND ("type" = 'index' OR "name" = '{FTS_INSERT_TRIGGER}')"#,
                        members = Members::Table.unquoted(),
                    )))
                    .await?;
                let last = Query::select()
                    .expr_as(Expr::cust(format!("COALESCE(MAX({}), 0)", quoted(Members::Rowid))), Alias::new("n"))
                    .from(Members::Table)
                    .to_owned();
                (objects, Some(tx.fetch_one::<N, _>(&last).await?.n))
            }
            Backend::Postgres => {
                let objects = tx
                    .fetch_all::<Object, _>(&FixedSql(format!(
                        r#"SELECT 'index' AS "kind", i.relname::text AS "name", pg_get_indexdef(i.oid) AS "sql"
                           FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
                           WHERE x.indrelid = '{members}'::regclass AND NOT x.indisunique"#,
                        members = Members::Table.unquoted(),
                    )))
                    .await?;
                (objects, None)
            }
        };
        let mut rebuild = Vec::with_capacity(objects.len());
        for o in objects {
            let kind = if o.kind == "trigger" { "TRIGGER" } else { "INDEX" };
            tx.execute(&FixedSql(format!(r#"DROP {kind} "{}""#, o.name.replace('"', "\"\"")))).await?;
            rebuild.push(o.sql);
        }
        if tx.backend() == Backend::Postgres {
            // Memory to sort in while the indexes are built again (the
            // default 64 MB makes the trigram index's build spill); the
            // setting ends with the transaction.
            tx.execute(&FixedSql("SET LOCAL maintenance_work_mem = '256MB'".into())).await?;
        }
        Ok(Self { rebuild, fts_after })
    }

    /// Whether the indexes are set aside (the load must then finish in the
    /// transaction that started it).
    pub fn is_active(&self) -> bool {
        !self.rebuild.is_empty()
    }

    /// Adds the loaded rows to the trigram index and rebuilds what
    /// [`BulkLoad::start`] set aside.
    pub async fn finish(self, tx: &mut Tx) -> Result<()> {
        if !self.is_active() {
            return Ok(());
        }
        if let Some(after) = self.fts_after {
            let rows = Query::select()
                .columns([Members::Rowid, Members::Email, Members::Name])
                .from(Members::Table)
                .and_where(Expr::col(Members::Rowid).gt(after))
                .order_by(Members::Rowid, Order::Asc)
                .to_owned();
            let fill = Query::insert()
                .into_table(MembersFts::Table)
                .columns([MembersFts::Rowid, MembersFts::Email, MembersFts::Name])
                .select_from(rows)
                .map_err(|e| StoreError::Corrupt(format!("trigram fill: {e}")))?
                .to_owned();
            tx.execute(&fill).await?;
        }
        for sql in self.rebuild {
            tx.execute(&FixedSql(sql)).await?;
        }
        Ok(())
    }
}
