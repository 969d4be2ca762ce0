//! Tamper evidence (issue 9, item 8). The database refuses to change or
//! remove audit events, and to move a chain's recorded head backwards,
//! through any ordinary connection. With the triggers off behind the
//! program's back, every kind of tampering — an edited event, one removed
//! from the middle, a forged one, two swapped, the newest removed — is
//! found by the chain check (what `roster audit verify` runs), naming the
//! first broken event.

use roster_app::Actor;
use roster_domain::audit::{AuditAction, HASH_FORMAT, NewAuditEvent, chain_hash};
use roster_domain::{OrgId, Timestamp};
use roster_store::Db;
use roster_store::audit::{BreakKind, ChainBreak, ChainReport};
use roster_testkit::{TestApp, spawn_app};

/// Runs SQL of the test's own on the app's database, as someone with
/// direct access to it would.
async fn exec(db: &Db, sql: &str) -> Result<(), sqlx::Error> {
    let sql = sqlx::AssertSqlSafe(sql.to_string());
    match db {
        Db::Sqlite(p) => sqlx::raw_sql(sql).execute(p).await.map(|_| ()),
        Db::Postgres(p) => sqlx::raw_sql(sql).execute(p).await.map(|_| ()),
    }
}

/// Switches the append-only triggers off, as an intruder with the
/// database's owner rights could.
async fn disable_triggers(db: &Db) {
    let sql = match db {
        Db::Sqlite(_) => {
            "DROP TRIGGER audit_events_no_update; DROP TRIGGER audit_events_no_delete; \
             DROP TRIGGER audit_heads_no_delete; DROP TRIGGER audit_heads_forward;"
        }
        Db::Postgres(_) => {
            "ALTER TABLE audit_events DISABLE TRIGGER USER; ALTER TABLE audit_heads DISABLE TRIGGER USER;"
        }
    };
    exec(db, sql).await.expect("disable the triggers");
}

fn org_of(slug: &str) -> String {
    format!("(SELECT id FROM organizations WHERE slug = '{slug}')")
}

/// An organization whose log holds the creation events and five members added.
async fn org_with_events(app: &TestApp, slug: &str) -> (OrgId, i64) {
    let org = app.create_org(slug, &format!("owner@{slug}.test")).await;
    for i in 0..5 {
        app.add_member(&org, &format!("m{i}@{slug}.test"), &format!("Member {i}")).await;
    }
    let report = check(app, slug).await;
    assert_eq!(report.broken, None);
    assert!(report.events >= 6, "{report:?}");
    (org.id, report.events as i64)
}

async fn check(app: &TestApp, slug: &str) -> ChainReport {
    let access = roster_app::access::open_org(&app.app, &Actor::Cli, slug).await.unwrap();
    roster_app::audit::verify_chain(&app.app, &access).await.unwrap()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|b| format!("{b:02x}")).collect()
}

const COLUMNS: &str = "org_id, seq, id, actor_id, actor_label, action, target_type, target_id, details, ip, \
                       created_at, hash, actor_type, request_id, user_agent, hash_format";

#[tokio::test]
async fn every_kind_of_tampering_is_found_at_its_first_broken_event() {
    let app = spawn_app().await;
    let db = app.app.db.clone();
    let mut orgs = Vec::new();
    for slug in ["intact", "edited", "gap", "forged", "rehashed", "swapped", "truncated", "renamed"] {
        orgs.push((slug, org_with_events(&app, slug).await));
    }
    let last = |slug: &str| orgs.iter().find(|(s, _)| *s == slug).unwrap().1.1;
    let new_id = match db {
        Db::Sqlite(_) => "randomblob(16)",
        Db::Postgres(_) => "gen_random_uuid()",
    };
    disable_triggers(&db).await;

    // One event's details edited.
    exec(&db, &format!("UPDATE audit_events SET details = '{{}}' WHERE org_id = {} AND seq = 3", org_of("edited")))
        .await
        .unwrap();
    // One event removed from the middle.
    exec(&db, &format!("DELETE FROM audit_events WHERE org_id = {} AND seq = 3", org_of("gap"))).await.unwrap();
    // A forged event added at the end, a copy of an earlier one with its hash.
    let o = org_of("forged");
    exec(
        &db,
        &format!(
            "INSERT INTO audit_events ({COLUMNS}) SELECT org_id, {n}, {new_id}, actor_id, actor_label, action, \
             target_type, target_id, details, ip, created_at, hash, actor_type, request_id, user_agent, hash_format \
             FROM audit_events WHERE org_id = {o} AND seq = 2",
            n = last("forged") + 1
        ),
    )
    .await
    .unwrap();
    // A forged event added at the end by someone who recomputed its hash:
    // the chain holds, but it goes on past the recorded head.
    let (rehashed_org, n) = orgs.iter().find(|(s, _)| *s == "rehashed").unwrap().1;
    let prev = check(&app, "rehashed").await.head.unwrap().1;
    let forged = NewAuditEvent {
        org_id: rehashed_org,
        actor_id: None,
        actor_label: "cli".into(),
        actor_type: roster_domain::audit::ActorType::Operator,
        action: AuditAction::MemberDisabled,
        target_type: "member".into(),
        target_id: "x".into(),
        details: "{}".into(),
        ip: None,
        request_id: None,
        user_agent: None,
        created_at: Timestamp(1),
    };
    let hash = hex(&chain_hash(&prev, n + 1, &forged, HASH_FORMAT));
    let hash = match db {
        Db::Sqlite(_) => format!("X'{hash}'"),
        Db::Postgres(_) => format!("decode('{hash}', 'hex')"),
    };
    exec(
        &db,
        &format!(
            "INSERT INTO audit_events ({COLUMNS}) VALUES ({o}, {seq}, {new_id}, NULL, 'cli', 'member.disabled', \
             'member', 'x', '{{}}', NULL, 1, {hash}, 'operator', NULL, NULL, {HASH_FORMAT})",
            o = org_of("rehashed"),
            seq = n + 1
        ),
    )
    .await
    .unwrap();
    // Two events swapped.
    let o = org_of("swapped");
    for (from, to) in [(3, -1), (4, 3), (-1, 4)] {
        exec(&db, &format!("UPDATE audit_events SET seq = {to} WHERE org_id = {o} AND seq = {from}")).await.unwrap();
    }
    // The newest event removed: what is left is a valid chain.
    exec(
        &db,
        &format!("DELETE FROM audit_events WHERE org_id = {} AND seq = {}", org_of("truncated"), last("truncated")),
    )
    .await
    .unwrap();
    // An event relabelled with an action Roster never writes.
    exec(
        &db,
        &format!("UPDATE audit_events SET action = 'member.vanished' WHERE org_id = {} AND seq = 2", org_of("renamed")),
    )
    .await
    .unwrap();

    let expect = |seq: i64, kind: BreakKind| Some(ChainBreak { seq, kind });
    let cases = [
        ("intact", None),
        ("edited", expect(3, BreakKind::HashMismatch)),
        ("gap", expect(3, BreakKind::MissingSeq { found: 4 })),
        ("forged", expect(last("forged") + 1, BreakKind::HashMismatch)),
        ("rehashed", expect(last("rehashed") + 1, BreakKind::HeadMismatch { head_seq: last("rehashed") })),
        ("swapped", expect(3, BreakKind::HashMismatch)),
        ("truncated", expect(last("truncated"), BreakKind::TailMissing { head_seq: last("truncated") })),
        ("renamed", expect(2, BreakKind::UnknownAction("member.vanished".into()))),
    ];
    for (slug, expected) in &cases {
        let report = check(&app, slug).await;
        assert_eq!(&report.broken, expected, "{slug}: {report:?}");
        assert_eq!(report.head.is_some(), expected.is_none(), "{slug}: a head only for a chain that holds");
    }
    assert_eq!(check(&app, "intact").await.events as i64, last("intact"));
    // The consistency check names the same seven organizations.
    let problems = roster_store::verify::verify(&db).await.unwrap();
    assert_eq!(problems.len(), 7, "{problems:#?}");
    for (slug, (id, _)) in &orgs[1..] {
        assert!(problems.iter().any(|p| p.contains(&id.to_string())), "{slug} in {problems:#?}");
    }
    app.discard().await;
}

#[tokio::test]
async fn the_database_refuses_to_change_or_remove_events_and_to_move_a_head_back() {
    let app = spawn_app().await;
    let db = app.app.db.clone();
    let (_, n) = org_with_events(&app, "acme").await;
    let o = org_of("acme");
    let refused = [
        format!("UPDATE audit_events SET details = '{{}}' WHERE org_id = {o} AND seq = 2"),
        format!("UPDATE audit_events SET seq = seq + 1000 WHERE org_id = {o} AND seq = {n}"),
        format!("DELETE FROM audit_events WHERE org_id = {o} AND seq = {n}"),
        "DELETE FROM audit_events".to_string(),
        format!("DELETE FROM audit_heads WHERE org_id = {o}"),
        format!("UPDATE audit_heads SET seq = seq - 1 WHERE org_id = {o}"),
    ];
    for sql in &refused {
        let e = exec(&db, sql).await.expect_err(sql);
        let msg = e.to_string();
        assert!(msg.contains("append-only") || msg.contains("only move forward"), "{sql}: {msg}");
    }
    if let Db::Postgres(_) = db {
        for table in ["audit_events", "audit_heads"] {
            let e = exec(&db, &format!("TRUNCATE {table} CASCADE")).await.expect_err(table);
            assert!(e.to_string().contains("append-only") || e.to_string().contains("forward"), "{e}");
        }
    }
    let report = check(&app, "acme").await;
    assert_eq!((report.broken, report.events as i64), (None, n), "nothing changed");
    app.finish().await;
}
