//! Password hashes imported from other systems (issue 13, item 5): a member
//! whose stored hash is bcrypt, PBKDF2 or scrypt signs in with their
//! password, and the hash is then Roster's argon2id, replaced in the
//! sign-in's transaction and audited in each of their organizations; a
//! wrong password changes nothing, and a hash over its scheme's cost cap
//! lets nobody in. Re-authentication (the email change's current password)
//! upgrades the same way.

use reqwest::StatusCode;
use roster_domain::UserId;
use roster_store::orgs::OrgRecord;
use roster_testkit::{PASSWORD, TestApp, spawn_app};
use serde_json::{Value, json};

/// The password of the imported hashes below.
const IMPORTED: &str = "correctbatteryhorsestapler";
/// bcrypt (cost 4) of [`IMPORTED`], made by Python's bcrypt.
const BCRYPT: &str = "$2b$04$EGdrhbKUv8Oc9vGiXX0HQOxSg445d458Muh7DAHskb6QbtCvdxcie";
/// PBKDF2-HMAC-SHA-256 (1,000 iterations) of [`IMPORTED`], made by Python's hashlib.
const PBKDF2: &str = "$pbkdf2-sha256$i=1000,l=32$aW1wb3J0ZWQtc2FsdC0xNg$2Ed3SXgdio3vk2FdxDiwOnIMkkjZJS4Jw++hAG+ijCU";
/// scrypt (N = 16) of [`IMPORTED`], made by Python's hashlib.
const SCRYPT: &str = "$scrypt$ln=4,r=8,p=1$aW1wb3J0ZWQtc2FsdC0xNg$/DOm1FCtHZJ00xTbmTToWdKceYwhNsYiL9wdoOB9xsw";
/// How Roster's own hashes begin (the test app hashes at Roster's parameters).
const ROSTER_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$";

/// An app with Ann, a member of two organizations.
async fn app() -> (TestApp, OrgRecord, OrgRecord, UserId) {
    let app = spawn_app().await;
    let acme = app.create_org("acme", "owner@acme.test").await;
    let globex = app.create_org("globex", "owner@globex.test").await;
    let ann = app.add_member(&acme, "ann@acme.test", "Ann").await;
    app.add_member(&globex, "ann@acme.test", "Ann").await;
    (app, acme, globex, ann)
}

/// Writes `hash` as the user's stored hash, as the importer does.
async fn store_hash(app: &TestApp, user: UserId, hash: &str) {
    let mut tx = app.app.db.begin().await.unwrap();
    roster_store::users::set_password(&mut tx, user, hash, app.now()).await.unwrap();
    tx.commit().await.unwrap();
}

async fn stored_hash(app: &TestApp, user: UserId) -> String {
    let mut conn = app.app.db.conn().await.unwrap();
    roster_store::users::find_user(&mut conn, user).await.unwrap().unwrap().password_hash.unwrap()
}

/// The details of the `user.password_upgraded` events about `user` in `org`, newest first.
async fn upgrades(app: &TestApp, org: &OrgRecord, user: UserId) -> Vec<(Value, String)> {
    let mut conn = app.app.db.conn().await.unwrap();
    roster_store::audit::events_for_target(&mut conn, org.id, "member", &user.to_string(), 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "user.password_upgraded")
        .map(|e| (serde_json::from_str(&e.details).unwrap(), e.actor_label))
        .collect()
}

async fn sign_in(app: &TestApp, password: &str) -> (StatusCode, Value) {
    app.anonymous().post("/api/v1/auth/login", json!({"email": "ann@acme.test", "password": password})).await
}

#[tokio::test]
async fn a_bcrypt_hash_verifies_at_sign_in_and_is_replaced_by_argon2id() {
    let (app, acme, globex, ann) = app().await;
    store_hash(&app, ann, BCRYPT).await;

    // A wrong password (and Roster's test password) leaves the hash as it is.
    for wrong in ["correctbatteryhorsestaplex", PASSWORD] {
        let (status, body) = sign_in(&app, wrong).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    }
    assert_eq!(stored_hash(&app, ann).await, BCRYPT);
    assert!(upgrades(&app, &acme, ann).await.is_empty());

    let (status, body) = sign_in(&app, IMPORTED).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let upgraded = stored_hash(&app, ann).await;
    assert!(upgraded.starts_with(ROSTER_HASH), "{upgraded}");
    assert!(!roster_app::hashing::needs_upgrade(&upgraded));
    // Audited once in each of Ann's organizations, by Roster, without the hash.
    for org in [&acme, &globex] {
        let events = upgrades(&app, org, ann).await;
        assert_eq!(events.len(), 1, "{events:?}");
        let (details, actor) = &events[0];
        assert_eq!(
            details,
            &json!({"before": {"scheme": "bcrypt"}, "after": {"scheme": "argon2id"}, "via": "sign-in"})
        );
        assert_eq!(actor, "system");
    }

    // The new hash is the password's: signing in again works and changes nothing.
    let (status, body) = sign_in(&app, IMPORTED).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(stored_hash(&app, ann).await, upgraded);
    assert_eq!(upgrades(&app, &acme, ann).await.len(), 1);
    let (status, _) = sign_in(&app, "correctbatteryhorsestaplex").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    app.finish().await;
}

#[tokio::test]
async fn pbkdf2_and_scrypt_hashes_are_upgraded_at_sign_in_too() {
    let (app, acme, _, ann) = app().await;
    for (hash, scheme) in [(PBKDF2, "pbkdf2-sha256"), (SCRYPT, "scrypt")] {
        store_hash(&app, ann, hash).await;
        let (status, _) = sign_in(&app, "not the imported password").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(stored_hash(&app, ann).await, hash);
        let (status, body) = sign_in(&app, IMPORTED).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(stored_hash(&app, ann).await.starts_with(ROSTER_HASH));
        let events = upgrades(&app, &acme, ann).await;
        assert_eq!(events[0].0["before"]["scheme"], scheme, "{events:?}");
    }
    assert_eq!(upgrades(&app, &acme, ann).await.len(), 2);
    app.finish().await;
}

#[tokio::test]
async fn a_hash_over_its_cost_cap_lets_nobody_in_and_stays() {
    let (app, acme, _, ann) = app().await;
    // bcrypt at cost 17 (the cap is 16): refused as it is read, never computed.
    let over = BCRYPT.replacen("$04$", "$17$", 1);
    assert_eq!(roster_app::hashing::scheme_of(&over), None);
    store_hash(&app, ann, &over).await;
    let (status, body) = sign_in(&app, IMPORTED).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(stored_hash(&app, ann).await, over);
    assert!(upgrades(&app, &acme, ann).await.is_empty());
    app.finish().await;
}

#[tokio::test]
async fn re_authentication_upgrades_an_imported_hash() {
    let (app, acme, _, ann) = app().await;
    let session = app.login("ann@acme.test", PASSWORD).await;
    // Roster's own hash at its parameters is kept as it is.
    assert!(stored_hash(&app, ann).await.starts_with(ROSTER_HASH));
    assert!(upgrades(&app, &acme, ann).await.is_empty());
    store_hash(&app, ann, PBKDF2).await;

    let change = |password: &str| json!({"email": "ann.new@example.test", "current_password": password});
    let (status, body) = session.post("/api/v1/me/email", change("not the imported password")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(stored_hash(&app, ann).await, PBKDF2);
    let (status, body) = session.post("/api/v1/me/email", change(IMPORTED)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert!(stored_hash(&app, ann).await.starts_with(ROSTER_HASH));
    let events = upgrades(&app, &acme, ann).await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(
        events[0].0,
        json!({"before": {"scheme": "pbkdf2-sha256"}, "after": {"scheme": "argon2id"}, "via": "re-authentication"})
    );
    app.finish().await;
}
