//! The multi-tenant revocation rule (issue 9, item 3): users are global and
//! may belong to several organizations, so disabling or archiving a member
//! blocks only that organization for them, on their very next request, and
//! ends their sessions only when it was their last active membership. One
//! tenant's administrator cannot sign a user out of another tenant.

use reqwest::StatusCode;
use roster_domain::UserId;
use roster_testkit::{Session, TestApp, spawn_app};
use serde_json::json;

/// A member asks about themselves: any active member may, anyone else is
/// answered as if the organization did not exist.
async fn self_check(s: &Session, org: &str, email: &str) -> StatusCode {
    let body = json!({"user": email, "resource": "members", "action": "read"});
    s.post(&format!("/api/v1/orgs/{org}/authz/check"), body).await.0
}

async fn my_orgs(s: &Session) -> Vec<String> {
    let (status, body) = s.get("/api/v1/me").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["organizations"].as_array().unwrap().iter().map(|o| o["slug"].as_str().unwrap().to_string()).collect()
}

async fn live_sessions(app: &TestApp, user: UserId) -> i64 {
    roster_store::sessions::count_live_sessions(&mut app.app.db.conn().await.unwrap(), user).await.unwrap()
}

/// The end reasons of the user's ended sessions, latest first.
async fn end_reasons(app: &TestApp, user: UserId) -> Vec<String> {
    let mut conn = app.app.db.conn().await.unwrap();
    let ended = roster_store::sessions::list_ended_user_sessions(&mut conn, user, 10).await.unwrap();
    ended.into_iter().map(|s| s.end_reason.unwrap_or_default()).collect()
}

async fn change(admin: &Session, org: &str, user: UserId, what: &str) {
    let (status, body) = admin.post(&format!("/api/v1/orgs/{org}/users/{user}/{what}"), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{what} in {org}: {body}");
}

/// Two organizations, each with its owner signed in, and Ann an active
/// member of both, signed in once.
struct TwoTenants {
    app: TestApp,
    ann: UserId,
    ann_session: Session,
    acme_admin: Session,
    globex_admin: Session,
}

async fn two_tenants() -> TwoTenants {
    let app = spawn_app().await;
    let acme = app.create_org("acme", "owner@acme.test").await;
    let globex = app.create_org("globex", "owner@globex.test").await;
    let ann = app.add_member(&acme, "ann@example.test", "Ann Lee").await;
    assert_eq!(app.add_member(&globex, "ann@example.test", "Ann Lee").await, ann, "one user, two memberships");
    let ann_session = app.login("ann@example.test", roster_testkit::PASSWORD).await;
    let acme_admin = app.login("owner@acme.test", roster_testkit::PASSWORD).await;
    let globex_admin = app.login("owner@globex.test", roster_testkit::PASSWORD).await;
    TwoTenants { app, ann, ann_session, acme_admin, globex_admin }
}

#[tokio::test]
async fn disabling_blocks_one_organization_and_the_last_one_ends_the_session() {
    let t = two_tenants().await;
    let ann = &t.ann_session;
    assert_eq!(self_check(ann, "acme", "ann@example.test").await, StatusCode::OK);
    assert_eq!(my_orgs(ann).await, ["acme", "globex"]);

    change(&t.acme_admin, "acme", t.ann, "disable").await;
    // The very next request to Acme is refused as a non-member's is: 404,
    // exactly like an organization that does not exist.
    assert_eq!(self_check(ann, "acme", "ann@example.test").await, StatusCode::NOT_FOUND);
    let (status, body) = ann.get("/api/v1/orgs/acme/users").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, _) = ann.get(&format!("/api/v1/orgs/acme/users/{}", t.ann)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Globex still works with the same cookie; the session was not ended.
    assert_eq!(self_check(ann, "globex", "ann@example.test").await, StatusCode::OK);
    assert_eq!(my_orgs(ann).await, ["globex"]);
    assert_eq!(live_sessions(&t.app, t.ann).await, 1);
    assert!(end_reasons(&t.app, t.ann).await.is_empty());
    // The Acme pages refuse too.
    let (status, _) = roster_testkit::page(&ann.client, format!("{}/orgs/acme/settings/users", t.app.base_url)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Disabled in Globex too: nothing is left to Ann, so her session ends.
    change(&t.globex_admin, "globex", t.ann, "disable").await;
    let (status, _) = ann.get("/api/v1/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the next request is refused");
    assert_eq!(live_sessions(&t.app, t.ann).await, 0);
    assert_eq!(end_reasons(&t.app, t.ann).await, ["member_disabled"]);

    // Enabled again in Acme, she signs in again and reaches Acme only.
    change(&t.acme_admin, "acme", t.ann, "enable").await;
    let again = t.app.login("ann@example.test", roster_testkit::PASSWORD).await;
    assert_eq!(my_orgs(&again).await, ["acme"]);
    assert_eq!(self_check(&again, "globex", "ann@example.test").await, StatusCode::NOT_FOUND);
    t.app.finish().await;
}

#[tokio::test]
async fn archiving_the_last_active_membership_ends_sessions_as_archived() {
    let t = two_tenants().await;
    let second = t.app.login("ann@example.test", roster_testkit::PASSWORD).await;
    change(&t.globex_admin, "globex", t.ann, "archive").await;
    assert_eq!(self_check(&t.ann_session, "globex", "ann@example.test").await, StatusCode::NOT_FOUND);
    assert_eq!(my_orgs(&second).await, ["acme"], "both sessions live on in Acme");
    assert_eq!(live_sessions(&t.app, t.ann).await, 2);

    change(&t.acme_admin, "acme", t.ann, "archive").await;
    for s in [&t.ann_session, &second] {
        assert_eq!(s.get("/api/v1/me").await.0, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(end_reasons(&t.app, t.ann).await, ["member_archived", "member_archived"]);
    // The administrators' own sessions were never touched.
    assert_eq!(my_orgs(&t.acme_admin).await, ["acme"]);
    assert_eq!(my_orgs(&t.globex_admin).await, ["globex"]);
    t.app.finish().await;
}

#[tokio::test]
async fn a_bulk_disable_ends_only_the_sessions_of_members_left_without_an_organization() {
    let t = two_tenants().await;
    let acme = roster_store::orgs::find_org(&mut t.app.app.db.conn().await.unwrap(), "acme").await.unwrap().unwrap();
    // Bob belongs to Acme alone.
    let bob = t.app.add_member(&acme, "bob@acme.test", "Bob Stone").await;
    let bob_session = t.app.login("bob@acme.test", roster_testkit::PASSWORD).await;

    let (status, body) = t.acme_admin.post("/api/v1/orgs/acme/users/bulk", json!({"action": "disable"})).await;
    assert_eq!((status, &body["changed"]), (StatusCode::OK, &json!(2)), "{body}");
    assert_eq!(bob_session.get("/api/v1/me").await.0, StatusCode::UNAUTHORIZED, "Acme was all Bob had");
    assert_eq!(end_reasons(&t.app, bob).await, ["member_disabled"]);
    assert_eq!(my_orgs(&t.ann_session).await, ["globex"], "Ann keeps Globex");
    assert_eq!(self_check(&t.ann_session, "acme", "ann@example.test").await, StatusCode::NOT_FOUND);

    let (status, body) = t.globex_admin.post("/api/v1/orgs/globex/users/bulk", json!({"action": "disable"})).await;
    assert_eq!((status, &body["changed"]), (StatusCode::OK, &json!(1)), "{body}");
    assert_eq!(t.ann_session.get("/api/v1/me").await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(end_reasons(&t.app, t.ann).await, ["member_disabled"]);
    t.app.finish().await;
}

#[tokio::test]
async fn a_pending_invitation_elsewhere_does_not_keep_a_session_alive() {
    let app = spawn_app().await;
    let acme = app.create_org("acme", "owner@acme.test").await;
    let globex = app.create_org("globex", "owner@globex.test").await;
    let ann = app.add_member(&acme, "ann@example.test", "Ann Lee").await;
    roster_app::demo::add_member(
        &app.app,
        &globex,
        "ann@example.test",
        "Ann Lee",
        roster_domain::MemberStatus::Invited,
        None,
    )
    .await
    .unwrap();
    let s = app.login("ann@example.test", roster_testkit::PASSWORD).await;
    let admin = app.login("owner@acme.test", roster_testkit::PASSWORD).await;
    change(&admin, "acme", ann, "disable").await;
    assert_eq!(s.get("/api/v1/me").await.0, StatusCode::UNAUTHORIZED, "an invitation is not an active membership");
    assert_eq!(end_reasons(&app, ann).await, ["member_disabled"]);
    app.finish().await;
}

/// Two administrators of two organizations disable the same user at the
/// same moment: each change sees only its own organization's lock, yet
/// the second to commit must see the first and end the session (the
/// user's row is locked by both). `finish()`'s `verify()` also checks that
/// no live session is left to a user without an active membership.
#[tokio::test]
async fn two_tenants_disabling_the_same_user_at_once_end_the_session() {
    let t = two_tenants().await;
    for round in 0..5 {
        let (in_acme, in_globex) = (
            format!("/api/v1/orgs/acme/users/{}/disable", t.ann),
            format!("/api/v1/orgs/globex/users/{}/disable", t.ann),
        );
        let (a, b) = tokio::join!(t.acme_admin.post(&in_acme, json!({})), t.globex_admin.post(&in_globex, json!({})));
        assert_eq!((a.0, b.0), (StatusCode::OK, StatusCode::OK), "round {round}: {} {}", a.1, b.1);
        assert_eq!(live_sessions(&t.app, t.ann).await, 0, "round {round}");
        change(&t.acme_admin, "acme", t.ann, "enable").await;
        change(&t.globex_admin, "globex", t.ann, "enable").await;
        t.app.login("ann@example.test", roster_testkit::PASSWORD).await;
    }
    let reasons: Vec<String> = end_reasons(&t.app, t.ann).await;
    assert_eq!(reasons.len(), 5, "{reasons:?}");
    assert!(reasons.iter().all(|r| r == "member_disabled"), "{reasons:?}");
    t.app.finish().await;
}
