//! The outbox: a message written with its change is sent once through a real
//! SMTP server (Debian's aiosmtpd on 127.0.0.1), retried with back-off when
//! the server is down, claimed by exactly one of several concurrent
//! workers, and listed for the organization's administrators with sensitive
//! links hidden.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use reqwest::StatusCode;
use roster_app::mail::{Letter, MailKind};
use roster_app::outbox::{self, Mailer, Outgoing, SendFuture, WorkerOptions};
use roster_domain::{Email, OrgId};
use roster_testkit::smtp::SmtpServer;
use roster_testkit::{PASSWORD, TestApp, spawn_app};
use uuid::Uuid;

fn letter(subject: &str, link: &str) -> Letter {
    Letter {
        subject: subject.into(),
        greeting: "Hello Ann,".into(),
        paragraphs: vec!["Something happened in Org acme.".into()],
        action: Some(("Open it".into(), link.into())),
        footer: vec!["The link works for 7 days.".into()],
    }
}

/// Writes one message as a use case would: inside a transaction.
async fn write(app: &TestApp, org: Option<OrgId>, to: &str, subject: &str, sensitive: bool) -> Uuid {
    let link = app.app.config.link(&format!("/somewhere?token={}", Uuid::now_v7().simple()));
    let mut tx = app.app.db.begin().await.unwrap();
    let id = outbox::enqueue(
        &mut tx,
        org,
        MailKind::Invitation,
        &Email::parse(to).unwrap(),
        &letter(subject, &link),
        sensitive,
        app.now(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    id
}

#[tokio::test]
async fn a_message_goes_through_a_real_smtp_server_once() {
    let Some(smtp) = SmtpServer::start() else { return };
    let app = spawn_app().await;
    let org = app.create_org("acme", "owner@acme.test").await;
    app.start_mail_worker(&smtp);
    write(&app, Some(org.id), "ann@example.test", "Join Org acme", false).await;
    let got = smtp.wait_for("ann@example.test").await;
    assert_eq!(got.subject, "Join Org acme");
    assert!(got.from.contains("roster@roster.test"), "{}", got.from);
    assert!(got.text.contains("Hello Ann,"), "{}", got.text);
    assert!(got.html.contains("Open it"), "{}", got.html);
    let link = got.first_link().expect("a link in the text");
    assert!(link.starts_with(&app.base_url), "links come from the public URL: {link}");
    // The row says sent, once.
    let owner = app.login("owner@acme.test", PASSWORD).await;
    let mut status = String::new();
    for _ in 0..100 {
        let (s, body) = owner.get("/api/v1/outbox").await;
        assert_eq!(s, StatusCode::OK, "{body}");
        status = body["items"][0]["status"].as_str().unwrap().to_string();
        if status == "sent" {
            assert!(body["items"][0]["sent_at"].is_string(), "{body}");
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(status, "sent");
    assert_eq!(smtp.received().len(), 1, "sent once");
    app.finish().await;
}

/// A mailer that refuses everything, like an SMTP server that is down.
struct Down;

impl Mailer for Down {
    fn send<'a>(&'a self, _m: &'a Outgoing) -> SendFuture<'a> {
        Box::pin(async { Err("connection refused".to_string()) })
    }
}

#[tokio::test]
async fn a_failed_delivery_is_retried_with_back_off_then_marked_failed() {
    let app = spawn_app().await;
    let org = app.create_org("acme", "owner@acme.test").await;
    let id = write(&app, Some(org.id), "ann@example.test", "Join", false).await;
    let opts = WorkerOptions { max_attempts: 3, first_backoff_ms: 60_000, ..Default::default() };
    let row = |app: &TestApp| {
        let app = app.app.clone();
        async move {
            let rows = roster_store::outbox::list_messages_to(&mut app.db.conn().await.unwrap(), "ann@example.test")
                .await
                .unwrap();
            rows.into_iter().find(|r| r.id == id).unwrap()
        }
    };
    assert_eq!(outbox::send_due(&app.app, &Down, &opts).await.unwrap(), 1);
    let r = row(&app).await;
    assert_eq!((r.status.as_str(), r.attempts), ("queued", 1));
    assert_eq!(r.last_error.as_deref(), Some("connection refused"));
    // Not due again before the back-off has passed.
    assert_eq!(outbox::send_due(&app.app, &Down, &opts).await.unwrap(), 0);
    app.advance(60_000);
    assert_eq!(outbox::send_due(&app.app, &Down, &opts).await.unwrap(), 1);
    app.advance(60_000);
    assert_eq!(outbox::send_due(&app.app, &Down, &opts).await.unwrap(), 0, "the second back-off doubles");
    app.advance(60_000);
    assert_eq!(outbox::send_due(&app.app, &Down, &opts).await.unwrap(), 1);
    let r = row(&app).await;
    assert_eq!((r.status.as_str(), r.attempts), ("failed", 3));
    app.advance(24 * 3_600_000);
    assert_eq!(outbox::send_due(&app.app, &Down, &opts).await.unwrap(), 0, "failed for good");
    let owner = app.login("owner@acme.test", PASSWORD).await;
    let (_, body) = owner.get("/api/v1/outbox").await;
    assert_eq!(body["items"][0]["status"], "failed");
    assert_eq!(body["items"][0]["last_error"], "connection refused");
    assert_eq!(body["items"][0]["attempts"], 3);
    app.finish().await;
}

/// A mailer that counts what it was asked to send.
#[derive(Default)]
struct Counting(Mutex<HashMap<Uuid, u32>>);

impl Mailer for Counting {
    fn send<'a>(&'a self, m: &'a Outgoing) -> SendFuture<'a> {
        Box::pin(async move {
            *self.0.lock().unwrap().entry(m.id).or_default() += 1;
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
            Ok(())
        })
    }
}

#[tokio::test]
async fn concurrent_workers_send_each_message_once() {
    let app = spawn_app().await;
    let org = app.create_org("acme", "owner@acme.test").await;
    let mut ids = Vec::new();
    for i in 0..40 {
        ids.push(write(&app, Some(org.id), &format!("p{i}@example.test"), "Hi", false).await);
    }
    let mailer = Arc::new(Counting::default());
    let opts = WorkerOptions { batch: 3, ..Default::default() };
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let (app, mailer, opts) = (app.app.clone(), mailer.clone(), opts.clone());
            tokio::spawn(async move {
                let mut total = 0;
                loop {
                    let n = outbox::send_due(&app, mailer.as_ref(), &opts).await.unwrap();
                    if n == 0 {
                        return total;
                    }
                    total += n;
                }
            })
        })
        .collect();
    let mut total = 0;
    for w in workers {
        total += w.await.unwrap();
    }
    assert_eq!(total, 40, "every message claimed once");
    let sent = mailer.0.lock().unwrap().clone();
    assert_eq!(sent.len(), 40);
    assert!(sent.values().all(|n| *n == 1), "{sent:?}");
    for id in ids {
        assert_eq!(sent.get(&id), Some(&1));
    }
    app.finish().await;
}

#[tokio::test]
async fn the_outbox_is_listed_per_organization_with_sensitive_links_hidden() {
    let app = spawn_app().await;
    let acme = app.create_org("acme", "owner@acme.test").await;
    let globex = app.create_org("globex", "owner@globex.test").await;
    write(&app, Some(acme.id), "ann@example.test", "Join Org acme", false).await;
    write(&app, Some(acme.id), "bob@example.test", "Reset your password", true).await;
    write(&app, Some(globex.id), "carl@example.test", "Join Org globex", false).await;
    write(&app, None, "dora@example.test", "Your own reset link", false).await;

    let owner = app.login("owner@acme.test", PASSWORD).await;
    let (status, body) = owner.get("/api/v1/outbox").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let items = body["items"].as_array().unwrap();
    let subjects: Vec<&str> = items.iter().map(|i| i["subject"].as_str().unwrap()).collect();
    assert_eq!(subjects, ["Reset your password", "Join Org acme"], "newest first, this organization's only");
    assert_eq!(items[0]["redacted"], true);
    assert!(!items[0]["text"].as_str().unwrap().contains("token="), "{}", items[0]["text"]);
    assert!(items[0]["text"].as_str().unwrap().contains(outbox::HIDDEN_LINK));
    assert_eq!(items[1]["redacted"], false);
    assert!(items[1]["text"].as_str().unwrap().contains("token="), "an invitation's link is shown");
    assert_eq!(items[1]["status"], "queued");
    assert!(body["next_cursor"].is_null());

    // The Outbox tab shows the same, and says nothing is sent without SMTP.
    let (c, _) = app.sign_in_form("owner@acme.test").await;
    let html = c.get(format!("{}/orgs/acme/settings/outbox", app.base_url)).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("id=\"no-smtp\""), "{html}");
    assert!(html.contains("Join Org acme") && html.contains("Reset your password"));
    assert!(!html.contains("Join Org globex") && !html.contains("Your own reset link"));

    // A member who may not read invitations sees no outbox.
    let role = app.create_role(&acme, "Viewer", &[("members", &["read"])]).await;
    app.add_member_with_roles(&acme, "viewer@acme.test", &[&role]).await;
    let viewer = app.login("viewer@acme.test", PASSWORD).await;
    let (status, body) = viewer.get("/api/v1/outbox").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (c, _) = app.sign_in_form("viewer@acme.test").await;
    let r = c.get(format!("{}/orgs/acme/settings/outbox", app.base_url)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    app.add_member_with_roles(&acme, "plain@acme.test", &["user"]).await;
    let plain = app.login("plain@acme.test", PASSWORD).await;
    let (status, body) = plain.get("/api/v1/outbox").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "the preset's User role reads no invitations: {body}");
    let (status, _) = app.anonymous().get("/api/v1/outbox").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) = owner.get("/api/v1/outbox?cursor=nonsense").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    app.finish().await;
}

#[tokio::test]
async fn the_outbox_pages_newest_first() {
    let app = spawn_app().await;
    let acme = app.create_org("acme", "owner@acme.test").await;
    for i in 0..(outbox::PAGE + 5) {
        write(&app, Some(acme.id), &format!("p{i}@example.test"), &format!("m{i}"), false).await;
        app.advance(1);
    }
    let owner = app.login("owner@acme.test", PASSWORD).await;
    let (_, first) = owner.get("/api/v1/outbox").await;
    assert_eq!(first["items"].as_array().unwrap().len() as u64, outbox::PAGE);
    assert_eq!(first["items"][0]["subject"], format!("m{}", outbox::PAGE + 4));
    let cursor = first["next_cursor"].as_str().unwrap();
    let (_, second) = owner.get(&format!("/api/v1/outbox?cursor={cursor}")).await;
    let subjects: Vec<&str> =
        second["items"].as_array().unwrap().iter().map(|i| i["subject"].as_str().unwrap()).collect();
    assert_eq!(subjects, ["m4", "m3", "m2", "m1", "m0"]);
    assert!(second["next_cursor"].is_null());
    app.finish().await;
}
