//! The two backends behind one API.

use std::str::FromStr;
use std::time::Duration;

use sea_query::{PostgresQueryBuilder, SqliteQueryBuilder};
use sea_query_sqlx::SqlxBinder;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgRow};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous};
use sqlx::{AssertSqlSafe, FromRow, PgPool, Postgres, Sqlite, SqlitePool, Transaction};

use crate::Result;

/// Which database engine a [`Db`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// An embedded SQLite file (WAL mode).
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

/// A connection pool to one of the two backends.
#[derive(Debug, Clone)]
pub enum Db {
    /// SQLite.
    Sqlite(SqlitePool),
    /// PostgreSQL.
    Postgres(PgPool),
}

/// A row type that both backends can decode.
pub trait Row: Send + Unpin + for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> {}
impl<T> Row for T where T: Send + Unpin + for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> {}

/// Runs `$body` with `$exec` bound to the backend's executor and `$qb` to its
/// query builder: the one place where the two backends part ways.
macro_rules! on_backend {
    ($target:expr, |$exec:ident, $qb:ident| $body:expr) => {
        match $target {
            Target::Sqlite($exec) => {
                let $qb = SqliteQueryBuilder;
                $body
            }
            Target::Postgres($exec) => {
                let $qb = PostgresQueryBuilder;
                $body
            }
        }
    };
}

enum Target<'a> {
    Sqlite(&'a mut sqlx::SqliteConnection),
    Postgres(&'a mut sqlx::PgConnection),
}

macro_rules! query_methods {
    () => {
        /// Runs a statement; answers the number of rows it affected.
        pub async fn execute<S: SqlxBinder>(&mut self, stmt: &S) -> Result<u64> {
            on_backend!(self.target().await?, |c, qb| {
                let (sql, values) = stmt.build_sqlx(qb);
                Ok(sqlx::query_with(AssertSqlSafe(sql), values).execute(c).await?.rows_affected())
            })
        }

        /// Runs a query and decodes every row.
        pub async fn fetch_all<T: Row, S: SqlxBinder>(&mut self, stmt: &S) -> Result<Vec<T>> {
            on_backend!(self.target().await?, |c, qb| {
                let (sql, values) = stmt.build_sqlx(qb);
                Ok(sqlx::query_as_with::<_, T, _>(AssertSqlSafe(sql), values).fetch_all(c).await?)
            })
        }

        /// Runs a query and decodes every row, planned for these values: on
        /// PostgreSQL an unnamed statement, which is planned at each run with
        /// its parameters, where a prepared one would settle on one generic
        /// plan for every value. For queries whose best plan depends on how
        /// rare a value is (a searched text, a role).
        pub async fn fetch_all_planned<T: Row, S: SqlxBinder>(&mut self, stmt: &S) -> Result<Vec<T>> {
            on_backend!(self.target().await?, |c, qb| {
                let (sql, values) = stmt.build_sqlx(qb);
                Ok(sqlx::query_as_with::<_, T, _>(AssertSqlSafe(sql), values).persistent(false).fetch_all(c).await?)
            })
        }

        /// Runs a query and decodes its first row, if any.
        pub async fn fetch_optional<T: Row, S: SqlxBinder>(&mut self, stmt: &S) -> Result<Option<T>> {
            on_backend!(self.target().await?, |c, qb| {
                let (sql, values) = stmt.build_sqlx(qb);
                Ok(sqlx::query_as_with::<_, T, _>(AssertSqlSafe(sql), values).fetch_optional(c).await?)
            })
        }

        /// Runs a query that must answer exactly one row.
        pub async fn fetch_one<T: Row, S: SqlxBinder>(&mut self, stmt: &S) -> Result<T> {
            on_backend!(self.target().await?, |c, qb| {
                let (sql, values) = stmt.build_sqlx(qb);
                Ok(sqlx::query_as_with::<_, T, _>(AssertSqlSafe(sql), values).fetch_one(c).await?)
            })
        }
    };
}

/// A connection taken from the pool for a few reads outside a transaction.
pub struct Conn {
    inner: ConnInner,
}

enum ConnInner {
    Sqlite(sqlx::pool::PoolConnection<Sqlite>),
    Postgres(sqlx::pool::PoolConnection<Postgres>),
}

impl Conn {
    async fn target(&mut self) -> Result<Target<'_>> {
        Ok(match &mut self.inner {
            ConnInner::Sqlite(c) => Target::Sqlite(c),
            ConnInner::Postgres(c) => Target::Postgres(c),
        })
    }

    /// The backend this connection talks to.
    pub fn backend(&self) -> Backend {
        match self.inner {
            ConnInner::Sqlite(_) => Backend::Sqlite,
            ConnInner::Postgres(_) => Backend::Postgres,
        }
    }

    query_methods!();
}

/// A database transaction. Dropping it without [`Tx::commit`] rolls back.
pub struct Tx {
    inner: TxInner,
    /// On SQLite, this process's turn to write the file (see [`writer_turn`]),
    /// held until the transaction ends; dropped after `inner`.
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
}

/// One queue of writers per SQLite file in this process.
static SQLITE_WRITERS: std::sync::LazyLock<
    std::sync::Mutex<std::collections::HashMap<std::path::PathBuf, std::sync::Arc<tokio::sync::Mutex<()>>>>,
> = std::sync::LazyLock::new(Default::default);

/// Waits for this process's turn to write a SQLite file. SQLite lets one
/// writer in at a time; without a queue, the others retry `BEGIN IMMEDIATE`
/// from its busy handler, which sleeps 1, 2, 5 … 100 ms between tries, so
/// under concurrent writes some wait hundreds of milliseconds while the
/// file is free. The queue hands the turn over at once, first come first
/// served. (Another process on the same file still meets the busy handler.)
async fn writer_turn(path: &std::path::Path) -> tokio::sync::OwnedMutexGuard<()> {
    let queue = {
        let mut writers = SQLITE_WRITERS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        writers.entry(path.to_path_buf()).or_default().clone()
    };
    queue.lock_owned().await
}

enum TxInner {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

impl Tx {
    async fn target(&mut self) -> Result<Target<'_>> {
        Ok(match &mut self.inner {
            TxInner::Sqlite(t) => Target::Sqlite(t),
            TxInner::Postgres(t) => Target::Postgres(t),
        })
    }

    /// The backend this transaction runs on.
    pub fn backend(&self) -> Backend {
        match self.inner {
            TxInner::Sqlite(_) => Backend::Sqlite,
            TxInner::Postgres(_) => Backend::Postgres,
        }
    }

    query_methods!();

    /// Commits the transaction.
    pub async fn commit(self) -> Result<()> {
        match self.inner {
            TxInner::Sqlite(t) => t.commit().await?,
            TxInner::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }

    /// Rolls the transaction back (dropping it does too, later).
    pub async fn rollback(self) -> Result<()> {
        match self.inner {
            TxInner::Sqlite(t) => t.rollback().await?,
            TxInner::Postgres(t) => t.rollback().await?,
        }
        Ok(())
    }
}

/// Reads that work the same on a pooled connection and inside a
/// transaction, so that a store function serves both without a copy.
pub trait Reader: Send {
    /// The backend the reads run on (for the few predicates that differ).
    fn backend(&self) -> Backend;
    /// Runs a query and decodes every row.
    fn read_all<T: Row, S: SqlxBinder + Sync>(&mut self, stmt: &S) -> impl Future<Output = Result<Vec<T>>> + Send;
    /// Runs a query and decodes its first row, if any.
    fn read_optional<T: Row, S: SqlxBinder + Sync>(
        &mut self,
        stmt: &S,
    ) -> impl Future<Output = Result<Option<T>>> + Send;
}

macro_rules! reader_impl {
    ($t:ty) => {
        impl Reader for $t {
            fn backend(&self) -> Backend {
                <$t>::backend(self)
            }
            fn read_all<T: Row, S: SqlxBinder + Sync>(
                &mut self,
                stmt: &S,
            ) -> impl Future<Output = Result<Vec<T>>> + Send {
                self.fetch_all(stmt)
            }
            fn read_optional<T: Row, S: SqlxBinder + Sync>(
                &mut self,
                stmt: &S,
            ) -> impl Future<Output = Result<Option<T>>> + Send {
                self.fetch_optional(stmt)
            }
        }
    };
}
reader_impl!(Conn);
reader_impl!(Tx);

/// Options for opening a database.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    /// At most this many pooled connections.
    pub max_connections: u32,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        Self { max_connections: 16 }
    }
}

impl Db {
    /// Opens the database a URL names: `postgres://…` or `postgresql://…` for
    /// PostgreSQL, anything else (`sqlite:path`, or a plain file path) for a
    /// SQLite file, created when missing.
    pub async fn connect(url: &str) -> Result<Self> {
        Self::connect_with(url, &ConnectOptions::default()).await
    }

    /// [`Db::connect`] with explicit options.
    pub async fn connect_with(url: &str, opts: &ConnectOptions) -> Result<Self> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options = PgConnectOptions::from_str(url)?;
            let pool = PgPoolOptions::new()
                .max_connections(opts.max_connections)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(options)
                .await?;
            return Ok(Db::Postgres(pool));
        }
        if url.contains("://") && !url.starts_with("sqlite://") {
            return Err(crate::StoreError::UnsupportedUrl);
        }
        let path = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).unwrap_or(url);
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(30))
            // A small private page cache per connection, and reads through a
            // memory map, which the OS page cache backs and shares between
            // connections (it does not count as the process's own memory).
            .pragma("cache_size", "-8192")
            .pragma("mmap_size", "1073741824")
            .pragma("temp_store", "memory");
        let pool = SqlitePoolOptions::new()
            .max_connections(opts.max_connections)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options)
            .await?;
        Ok(Db::Sqlite(pool))
    }

    /// The backend behind this pool.
    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite(_) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// Applies every pending migration of this backend's folder.
    pub async fn migrate(&self) -> Result<()> {
        match self {
            Db::Sqlite(p) => sqlx::migrate!("./migrations/sqlite").run(p).await?,
            Db::Postgres(p) => sqlx::migrate!("./migrations/postgres").run(p).await?,
        }
        Ok(())
    }

    /// Starts a transaction that will write. On SQLite it takes the write lock
    /// at once (`BEGIN IMMEDIATE`), so two writers queue instead of failing
    /// when one upgrades a read lock.
    pub async fn begin(&self) -> Result<Tx> {
        Ok(match self {
            Db::Sqlite(p) => {
                // The connection first, then the turn: a writer waiting for
                // its turn never holds the turn while waiting for a connection.
                let conn = p.acquire().await?;
                let turn = writer_turn(p.connect_options().get_filename()).await;
                let tx = Transaction::begin(conn, Some(sqlx::SqlSafeStr::into_sql_str("BEGIN IMMEDIATE"))).await?;
                Tx { inner: TxInner::Sqlite(tx), _turn: Some(turn) }
            }
            Db::Postgres(p) => Tx { inner: TxInner::Postgres(p.begin().await?), _turn: None },
        })
    }

    /// Takes a connection for reads outside a transaction.
    pub async fn conn(&self) -> Result<Conn> {
        Ok(Conn {
            inner: match self {
                Db::Sqlite(p) => ConnInner::Sqlite(p.acquire().await?),
                Db::Postgres(p) => ConnInner::Postgres(p.acquire().await?),
            },
        })
    }

    /// Answers whether the database responds to a trivial query.
    pub async fn ping(&self) -> Result<()> {
        match self {
            Db::Sqlite(p) => {
                sqlx::query("SELECT 1").execute(p).await?;
            }
            Db::Postgres(p) => {
                sqlx::query("SELECT 1").execute(p).await?;
            }
        }
        Ok(())
    }

    /// Closes every pooled connection.
    pub async fn close(&self) {
        match self {
            Db::Sqlite(p) => p.close().await,
            Db::Postgres(p) => p.close().await,
        }
    }

    /// Runs a fixed SQL script on the backend (used for pragmas and
    /// maintenance, never with user input).
    pub async fn run_script(&self, sql: &'static str) -> Result<()> {
        match self {
            Db::Sqlite(p) => {
                sqlx::raw_sql(sql).execute(p).await?;
            }
            Db::Postgres(p) => {
                sqlx::raw_sql(sql).execute(p).await?;
            }
        }
        Ok(())
    }
}
