//! The session sweeper: ends sessions past their deadlines and records why
//! (`idle_expiry` or `absolute_expiry`), so that the session history says
//! how every session ended even when nobody came back to use it.
//!
//! Request authentication never relies on it: an expired session is refused
//! (and ended) when it is next used, whether or not a sweep ran. The sweeper
//! runs on every server instance ([`run_worker`], started by `roster serve`)
//! and as `roster sessions sweep`; batches are claimed with row locks that
//! skip what another sweeper holds, so any number may run at once and each
//! session is ended once.
//!
//! It writes no audit event: an expiry is not a change someone made but the
//! passing of a deadline set at sign-in; the session's own row records the
//! end, its reason and its moment, which is what Session History shows.

use std::time::Duration;

use roster_store::session_sweep::{self, Swept};

use crate::App;
use crate::error::Result;

/// How the sweeper runs.
#[derive(Debug, Clone, Copy)]
pub struct SweepOptions {
    /// Time between sweeps.
    pub every: Duration,
    /// Sessions ended per transaction.
    pub batch: u64,
}

impl Default for SweepOptions {
    fn default() -> Self {
        Self { every: Duration::from_secs(60), batch: 500 }
    }
}

/// Ends every session past its deadline by the app's clock, `batch` per
/// transaction, until a batch finds fewer; answers what it ended.
pub async fn sweep(app: &App, batch: u64) -> Result<Swept> {
    let batch = batch.max(1);
    let mut total = Swept::default();
    loop {
        let mut tx = app.db.begin().await?;
        let swept = session_sweep::end_expired(&mut tx, app.clock.now(), batch).await?;
        tx.commit().await?;
        total.add(swept);
        if swept.claimed < batch {
            return Ok(total);
        }
    }
}

/// Sweeps every `opts.every`, for as long as the server runs.
pub async fn run_worker(app: App, opts: SweepOptions) {
    loop {
        match sweep(&app, opts.batch).await {
            Ok(s) if s.ended() > 0 => {
                tracing::info!(idle = s.idle, absolute = s.absolute, "ended expired sessions");
            }
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "session sweeper"),
        }
        // Access requests past their expiry are recorded on the same beat.
        match crate::access_requests::sweep_expired(&app).await {
            Ok(n) if n > 0 => tracing::info!(expired = n, "recorded expired access requests"),
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "access request sweeper"),
        }
        tokio::time::sleep(opts.every).await;
    }
}
