//! The session sweeper (issue 9, item 4): sessions past their deadlines are
//! ended with the reason and the moment they expired, in batches; live ones
//! are left alone; two sweepers at once end each session once. Time moves
//! by the test clock, never by sleeping.

use reqwest::StatusCode;
use roster_app::session_sweep::sweep;
use roster_domain::{SessionId, Timestamp, UserId};
use roster_store::sessions::SessionRecord;
use roster_testkit::{PASSWORD, TestApp, spawn_app};

const MINUTE: i64 = 60_000;

async fn sessions_of(app: &TestApp, user: UserId) -> (Vec<SessionRecord>, Vec<SessionRecord>) {
    let mut conn = app.app.db.conn().await.unwrap();
    let live = roster_store::sessions::list_live_user_sessions(&mut conn, user).await.unwrap();
    let ended = roster_store::sessions::list_ended_user_sessions(&mut conn, user, 100).await.unwrap();
    (live, ended)
}

#[tokio::test]
async fn expired_sessions_end_with_their_reason_and_live_ones_stay() {
    let app = spawn_app().await;
    let acme = app.create_org("acme", "owner@acme.test").await;
    let idle = app.add_member(&acme, "idle@acme.test", "Idle Ida").await;
    let busy = app.add_member(&acme, "busy@acme.test", "Busy Bo").await;
    let late = app.add_member(&acme, "late@acme.test", "Late Lu").await;
    let signed_in_at = app.now();
    app.login("idle@acme.test", PASSWORD).await;
    let busy_session = app.login("busy@acme.test", PASSWORD).await;

    // Nothing has expired yet.
    assert_eq!(sweep(&app.app, 100).await.unwrap().ended(), 0);
    // 31 minutes on, Ida's session is past its idle deadline; Bo keeps using his.
    for _ in 0..2 {
        app.advance(15 * MINUTE);
        assert_eq!(busy_session.get("/api/v1/me").await.0, StatusCode::OK);
    }
    app.advance(MINUTE);
    let s = sweep(&app.app, 100).await.unwrap();
    assert_eq!((s.idle, s.absolute), (1, 0));
    let (live, ended) = sessions_of(&app, idle).await;
    assert!(live.is_empty());
    assert_eq!(ended[0].end_reason.as_deref(), Some("idle_expiry"));
    assert_eq!(ended[0].ended_at, Some(signed_in_at.0 + 30 * MINUTE), "ended when it expired, not when swept");
    assert_eq!(sessions_of(&app, busy).await.0.len(), 1, "a session in use stays");

    // Bo keeps his session busy until its absolute lifetime (12 h) is over.
    while app.now().0 < signed_in_at.0 + 12 * 60 * MINUTE - 20 * MINUTE {
        app.advance(20 * MINUTE);
        assert_eq!(busy_session.get("/api/v1/me").await.0, StatusCode::OK);
    }
    app.login("late@acme.test", PASSWORD).await;
    app.advance(20 * MINUTE);
    let s = sweep(&app.app, 100).await.unwrap();
    assert_eq!((s.idle, s.absolute), (0, 1));
    let (live, ended) = sessions_of(&app, busy).await;
    assert!(live.is_empty());
    assert_eq!(ended[0].end_reason.as_deref(), Some("absolute_expiry"));
    assert_eq!(ended[0].ended_at, Some(signed_in_at.0 + 12 * 60 * MINUTE));
    assert_eq!(busy_session.get("/api/v1/me").await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(sessions_of(&app, late).await.0.len(), 1, "a session signed in 20 minutes ago stays");
    // A second sweep finds nothing more, and a session ended otherwise keeps its end.
    assert_eq!(sweep(&app.app, 100).await.unwrap().ended(), 0);
    app.finish().await;
}

#[tokio::test]
async fn a_session_used_after_expiry_ends_like_a_swept_one() {
    let app = spawn_app().await;
    let acme = app.create_org("acme", "owner@acme.test").await;
    let ann = app.add_member(&acme, "ann@acme.test", "Ann Lee").await;
    let signed_in_at = app.now();
    let s = app.login("ann@acme.test", PASSWORD).await;
    app.advance(45 * MINUTE);
    assert_eq!(s.get("/api/v1/me").await.0, StatusCode::UNAUTHORIZED);
    let (_, ended) = sessions_of(&app, ann).await;
    assert_eq!(ended[0].end_reason.as_deref(), Some("idle_expiry"));
    assert_eq!(ended[0].ended_at, Some(signed_in_at.0 + 30 * MINUTE));
    assert_eq!(sweep(&app.app, 100).await.unwrap().ended(), 0, "already ended");
    app.finish().await;
}

/// Inserts `n` sessions of `user` that expired a minute ago, half of them
/// at their absolute deadline.
async fn expired_sessions(app: &TestApp, user: UserId, n: usize) {
    let now = app.now();
    let mut tx = app.app.db.begin().await.unwrap();
    for i in 0..n {
        let absolute = i % 2 == 0;
        let expires_at = if absolute { now.0 - MINUTE } else { now.0 + 60 * MINUTE };
        let s = roster_store::sessions::NewSession {
            id: SessionId::new(),
            user_id: user,
            token_hash: format!("token {i}").into_bytes(),
            created_at: Timestamp(now.0 - 120 * MINUTE),
            idle_expires_at: Timestamp(now.0 - MINUTE),
            expires_at: Timestamp(expires_at),
            ip: None,
            user_agent: None,
            location: None,
        };
        roster_store::sessions::insert_session(&mut tx, &s).await.unwrap();
    }
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn the_sweeper_works_in_batches() {
    let app = spawn_app().await;
    let acme = app.create_org("acme", "owner@acme.test").await;
    let ann = app.add_member(&acme, "ann@acme.test", "Ann Lee").await;
    expired_sessions(&app, ann, 25).await;
    let live = app.login("ann@acme.test", PASSWORD).await;
    let s = sweep(&app.app, 10).await.unwrap();
    assert_eq!((s.claimed, s.absolute, s.idle), (25, 13, 12));
    let (still, ended) = sessions_of(&app, ann).await;
    assert_eq!((still.len(), ended.len()), (1, 25));
    assert_eq!(live.get("/api/v1/me").await.0, StatusCode::OK);
    app.finish().await;
}

/// Two sweepers at the same moment (two server instances): on PostgreSQL
/// their claims skip each other's locked rows, on SQLite they take turns;
/// either way every session is ended exactly once, and together they end
/// them all.
#[tokio::test]
async fn two_sweepers_at_once_end_each_session_once() {
    let app = spawn_app().await;
    let acme = app.create_org("acme", "owner@acme.test").await;
    let ann = app.add_member(&acme, "ann@acme.test", "Ann Lee").await;
    const N: usize = 1200;
    expired_sessions(&app, ann, N).await;
    let (a, b) = tokio::join!(sweep(&app.app, 50), sweep(&app.app, 50));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.ended() + b.ended(), N as u64, "{a:?} {b:?}");
    assert_eq!(a.claimed + b.claimed, N as u64, "no session claimed twice: {a:?} {b:?}");
    let (live, ended) = sessions_of(&app, ann).await;
    assert!(live.is_empty());
    assert_eq!(ended.len(), 100, "the history lists at most 100 here");
    let mut conn = app.app.db.conn().await.unwrap();
    assert_eq!(roster_store::sessions::count_live_sessions(&mut conn, ann).await.unwrap(), 0);
    drop(conn);
    app.finish().await;
}
