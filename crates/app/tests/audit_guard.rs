//! A source-level guard for audit completeness (issue 9, item 6): every
//! function of `roster-app` that opens a write transaction of its own
//! (`app.db.begin()`) is listed here, either as one that writes its audit
//! events itself (its body must append them) or as a reviewed exception
//! with the reason it changes nothing an organization's log should show.
//! A new `db.begin()` that is in neither list fails the test, so a
//! mutating function cannot be added without deciding how it is audited.
//!
//! Functions that go through the change path (`change::begin`) need no
//! entry: `Change::commit` writes their events and rolls back a change that
//! recorded none. `web/tests/api/audit_completeness.rs` exercises the
//! functions and counts the events they write.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Functions that open a transaction and append their own audit events
/// (`audit::append`, `change::audit_account`), with what they write.
const AUDITED: &[(&str, &str)] = &[
    ("orgs::create_org", "organization.created and member.added for the owner"),
    ("invitations::sweep_expired", "invitation.expired, once per expired invitation"),
    ("invitations::complete", "invitation.accepted (a new account or an existing one)"),
    ("passwords::set_password_with_token", "user.password_set (and user.unlocked) in each of the user's organizations"),
    ("password_reset::mail_link_if_known", "user.password_reset_requested in each of the user's organizations"),
    ("profile::confirm_email_change", "user.email_changed in each of the user's organizations"),
    ("sessions::end_mine", "session.revoked in each of the user's organizations"),
    ("sessions::end_others", "session.revoked in each of the user's organizations, when any ended"),
    (
        "auth::open_session",
        "user.password_upgraded in each of the user's organizations when the sign-in replaced an imported or weaker \
         password hash; otherwise none: the session is recorded in its own row (Session History) and the failed-sign-in \
         counter is throttle bookkeeping",
    ),
    (
        "auth::reauthenticate",
        "user.password_upgraded in each of the user's organizations when it replaced an imported or weaker password \
         hash; otherwise none: a right password again clears the failed-sign-in counter (throttle bookkeeping)",
    ),
    ("lockout::count_failure", "user.locked, by the failure that locks (the others only count: see below)"),
    ("roles/presets::install_missing_presets", "organization.preset_installed"),
    ("demo::seed_members", "member.seeded per batch (the dev and benchmark generator)"),
    ("demo::seed_licenses", "licenses.bulk_changed per batch (the dev and benchmark generator)"),
    ("demo::add_member", "member.added"),
    ("service_accounts::create_my_token", "personal_token.created in each of the member's organizations"),
    ("service_accounts::revoke_my_token", "personal_token.revoked in each of the member's organizations"),
    ("access_requests::create", "access_request.created by the requester (and .expired for a lapsed one it replaces)"),
    ("access_requests::withdraw", "access_request.withdrawn by the requester"),
    ("access_requests::sweep_expired", "access_request.expired, once per expired request"),
    ("history/seed::seed_events", "the generated History events themselves (the dev and benchmark generator)"),
];

/// Functions that open a transaction and write no audit event, each with
/// the reason. Reviewed: none changes what an organization's log records.
const EXCEPTIONS: &[(&str, &str)] = &[
    (
        "auth::accept_session",
        "ends an expired session when it is used (the row records reason and moment) and moves last-seen times forward",
    ),
    ("auth::logout", "the user ends their own session (the row records it: Session History)"),
    (
        "signup::write_letter",
        "a sign-up belongs to no organization yet; it writes a pending sign-up and its letter (the outbox), no account",
    ),
    (
        "signup::confirm",
        "makes the account of a confirmed sign-up, which belongs to no organization yet; its requests to join are audited where they go",
    ),
    (
        "service_accounts::record_use",
        "records a token's last use (time and address, at most once a minute), like a session's last-seen time",
    ),
    ("outbox::send_due", "delivery bookkeeping: claiming due messages; the change that wrote them was audited"),
    (
        "profile::request_email_change",
        "a pending request changes nothing of the account until its link is followed (confirm audits user.email_changed); its messages are in the outbox",
    ),
    ("profile::cancel_email_change", "withdraws the user's own pending request; the account is unchanged"),
    (
        "demo::load_demo",
        "the demo loader's fixtures (a fresh demo database); the changes it makes through use cases are audited by them",
    ),
    (
        "demo::demo_access_requests",
        "the demo loader's requesters' accounts (no organization yet); their requests and the denial are audited by the use cases it calls",
    ),
    ("demo::demo_invitations", "the demo loader's invitations, audited by the invitation use case it calls"),
    (
        "session_sweep::sweep",
        "the session sweeper: expiry is a deadline passing, not a change by anyone; each session's row records why and when it ended",
    ),
];

/// The change path itself, whose events `Change::commit` writes.
const CHANGE_PATH: &str = "change::begin";

/// Evidence in a function's body that it appends audit events.
const APPENDS: &[&str] = &["audit::append(", "audit_account(", ".record("];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The name of the function a line belongs to: the nearest `fn` above it,
/// with the line range of that function's body (rustfmt's layout: the body
/// ends at the first `}` at the `fn`'s indentation).
fn enclosing_fn(lines: &[&str], at: usize) -> (String, std::ops::Range<usize>) {
    let start = (0..=at).rev().find(|&i| fn_name(lines[i]).is_some()).expect("a function encloses the line");
    let indent = lines[start].len() - lines[start].trim_start().len();
    let closing = format!("{}}}", " ".repeat(indent));
    let end = (start..lines.len()).find(|&i| lines[i] == closing).unwrap_or(lines.len());
    (fn_name(lines[start]).unwrap(), start..end + 1)
}

fn fn_name(line: &str) -> Option<String> {
    let t = line.trim_start();
    if t.starts_with("//") {
        return None;
    }
    let rest = t.split("fn ").nth(1).filter(|_| {
        let before = &t[..t.find("fn ").unwrap()];
        before.split_whitespace().all(|w| matches!(w, "pub" | "pub(crate)" | "async" | "const" | "unsafe"))
    })?;
    let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
    (!name.is_empty()).then_some(name)
}

/// Every function that calls `db.begin()`, keyed `module::function`, with
/// whether its body appends audit events.
fn transaction_openers() -> BTreeMap<String, bool> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut found = BTreeMap::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let module = file.strip_prefix(&src).unwrap().with_extension("");
        let module = module.to_str().unwrap().trim_end_matches("/mod").to_string();
        for (i, line) in lines.iter().enumerate() {
            if line.trim_start().starts_with("//") || !line.contains("db.begin()") {
                continue;
            }
            let (name, body) = enclosing_fn(&lines, i);
            let appends = lines[body].iter().any(|l| APPENDS.iter().any(|a| l.contains(a)));
            found.insert(format!("{module}::{name}"), appends);
        }
    }
    found
}

#[test]
fn every_write_transaction_is_audited_or_a_reviewed_exception() {
    let found = transaction_openers();
    assert!(found.len() >= 15, "the scan found too few transactions to be right: {found:?}");
    let mut problems = Vec::new();
    for (name, appends) in &found {
        if name == CHANGE_PATH {
            continue;
        }
        let audited = AUDITED.iter().any(|(n, _)| n == name);
        let excepted = EXCEPTIONS.iter().any(|(n, _)| n == name);
        match (audited, excepted) {
            (false, false) => problems.push(format!(
                "{name} opens a write transaction but is in neither list: audit its change \
                 (change::begin, or append events in the transaction) or add a reviewed exception with its reason"
            )),
            (true, true) => problems.push(format!("{name} is in both lists")),
            (true, false) if !appends => {
                problems.push(format!("{name} is listed as audited, but its body appends no audit event"))
            }
            _ => {}
        }
    }
    for (name, _) in AUDITED.iter().chain(EXCEPTIONS) {
        if !found.contains_key(*name) {
            problems.push(format!("{name} is listed but opens no transaction (any more): remove it from the list"));
        }
    }
    assert!(found.contains_key(CHANGE_PATH), "the change path opens its transaction in change::begin");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The change path commits nothing unaudited: `Change::commit` writes the
/// recorded events, and rolls back a change that recorded none.
#[test]
fn the_change_path_commits_only_with_its_events() {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/change.rs")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let at = lines.iter().position(|l| l.contains("pub async fn commit(")).expect("Change::commit");
    let (_, body) = enclosing_fn(&lines, at);
    let body = lines[body].join("\n");
    let rollback = body.find("self.recorded == 0").and_then(|i| body[i..].find("rollback()").map(|j| i + j));
    let flush = body.find("self.flush()");
    assert!(rollback.is_some() && flush.is_some() && rollback < flush, "{body}");
    let (_, flush_body) = enclosing_fn(&lines, lines.iter().position(|l| l.contains("pub async fn flush(")).unwrap());
    assert!(lines[flush_body].iter().any(|l| l.contains("audit::append(")), "flush appends the events");
}

#[test]
fn the_scan_reads_function_names_and_bodies() {
    let src = "pub async fn outer(app: &App) -> Result<()> {\n    let tx = app.db.begin().await?;\n    audit::append(&mut tx, &e).await?;\n}\n\nasync fn other() {\n    x\n}";
    let lines: Vec<&str> = src.lines().collect();
    let (name, body) = enclosing_fn(&lines, 1);
    assert_eq!((name.as_str(), body), ("outer", 0..4));
    assert_eq!(fn_name("    pub(crate) async fn audit_event("), Some("audit_event".into()));
    assert_eq!(fn_name("    // fn not_this("), None);
    assert_eq!(fn_name("    let f = |x| fn_like(x);"), None);
}
