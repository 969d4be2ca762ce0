//! A `roster import` killed with SIGKILL in the middle of its commit: the
//! rows applied so far are exactly the members made so far, and a server
//! started afterwards resumes the job once its lease has run out, ending
//! with each row applied once (issue 13, item 8).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sqlx::{Connection, SqliteConnection};

const ROWS: usize = 20_000;

async fn scalar(db: &str, sql: &'static str) -> i64 {
    let mut c = SqliteConnection::connect(&format!("sqlite://{db}")).await.unwrap();
    let n: i64 = sqlx::query_scalar(sql).fetch_one(&mut c).await.unwrap();
    c.close().await.unwrap();
    n
}

async fn status(db: &str) -> String {
    let mut c = SqliteConnection::connect(&format!("sqlite://{db}")).await.unwrap();
    let s: String = sqlx::query_scalar("SELECT status FROM imports").fetch_one(&mut c).await.unwrap();
    c.close().await.unwrap();
    s
}

fn run(db: &str, args: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_roster")).arg("--database-url").arg(db).args(args).output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_killed_mid_commit_is_resumed_with_each_row_applied_once() {
    let dir = std::env::temp_dir().join(format!("roster-import-kill-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("kill.db").to_str().unwrap().to_string();
    run(&db, &["migrate"]);
    run(&db, &["org", "create", "--name", "Acme", "--slug", "acme", "--owner-email", "owner@acme.test"]);
    let file = dir.join("people.csv");
    let csv: String = std::iter::once("Email,First name,Roles\r\n".to_string())
        .chain((0..ROWS).map(|i| format!("p{i:05}@kill.test,P{i},User\r\n")))
        .collect();
    std::fs::write(&file, csv).unwrap();

    let mut import = Command::new(env!("CARGO_BIN_EXE_roster"))
        .arg("--database-url")
        .arg(&db)
        .args(["import", file.to_str().unwrap(), "--org", "acme"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Killed once a few batches are in, well before the end.
    let started = Instant::now();
    loop {
        let applied = scalar(&db, "SELECT COALESCE(MAX(applied), 0) FROM imports").await;
        if applied >= 2_000 {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(300), "the import did not start applying");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    import.kill().unwrap(); // SIGKILL
    import.wait().unwrap();
    assert_eq!(status(&db).await, "committing", "killed mid-commit");
    let applied = scalar(&db, "SELECT applied FROM imports").await;
    assert!(applied < ROWS as i64, "killed before the end ({applied})");
    let members = scalar(&db, "SELECT COUNT(*) FROM members WHERE email LIKE '%@kill.test'").await;
    let created = scalar(&db, "SELECT COUNT(*) FROM import_rows WHERE result = 'created'").await;
    assert_eq!(members, created, "each batch's members and its rows' results commit together");
    assert_eq!(members, applied);

    // The dead process's lease runs out (moved back instead of waiting 30 s),
    // and a server resumes the job at its start.
    let mut c = SqliteConnection::connect(&format!("sqlite://{db}")).await.unwrap();
    sqlx::query("UPDATE imports SET lease_until = 0").execute(&mut c).await.unwrap();
    c.close().await.unwrap();
    let port = 20_000 + (std::process::id() % 20_000) as u16;
    let mut server = Command::new(env!("CARGO_BIN_EXE_roster"))
        .arg("--database-url")
        .arg(&db)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while status(&db).await == "committing" {
        assert!(started.elapsed() < Duration::from_secs(300), "the import was not resumed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    server.kill().unwrap();
    server.wait().unwrap();
    assert_eq!(status(&db).await, "done");
    assert_eq!(scalar(&db, "SELECT applied FROM imports").await, ROWS as i64);
    assert_eq!(scalar(&db, "SELECT COUNT(*) FROM members WHERE email LIKE '%@kill.test'").await, ROWS as i64);
    assert_eq!(scalar(&db, "SELECT COUNT(*) FROM import_rows WHERE result = 'created'").await, ROWS as i64);
    let events = scalar(
        &db,
        "SELECT COUNT(*) FROM audit_events WHERE action = 'member.added' AND details LIKE '%\"via\":\"import\"%'",
    )
    .await;
    assert_eq!(events, ROWS as i64, "one event per member, none twice");
    let _ = std::fs::remove_dir_all(&dir);
}
