//! Generated data: the demo organizations, and `dev seed`'s bulk members.
//!
//! Everything here is deterministic for a given seed (names, emails,
//! statuses, dates and ids), so a demo looks the same on every machine.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use roster_domain::audit::{AuditAction, AuditEntry};
use roster_domain::{MemberStatus, OrgId, SessionId, Timestamp, UserId};
use roster_store::members::NewMember;
use roster_store::orgs::OrgRecord;
use roster_store::users::UserRecord;
use roster_store::{audit, members, users};
use uuid::Uuid;

use crate::error::Result;
use crate::orgs::{NewOrg, create_org};
use crate::{Actor, App, RequestMeta};

const FIRST: &[&str] = &[
    "Olivia",
    "Liam",
    "Emma",
    "Noah",
    "Ava",
    "Elijah",
    "Sophia",
    "James",
    "Isabella",
    "William",
    "Mia",
    "Benjamin",
    "Charlotte",
    "Lucas",
    "Amelia",
    "Henry",
    "Harper",
    "Alexander",
    "Evelyn",
    "Mason",
    "Abigail",
    "Michael",
    "Emily",
    "Ethan",
    "Ella",
    "Daniel",
    "Elizabeth",
    "Jacob",
    "Camila",
    "Logan",
    "Luna",
    "Jackson",
    "Sofia",
    "Levi",
    "Avery",
    "Sebastian",
    "Mila",
    "Mateo",
    "Aria",
    "Jack",
    "Scarlett",
    "Owen",
    "Penelope",
    "Theodore",
    "Layla",
    "Aiden",
    "Chloe",
    "Samuel",
    "Victoria",
    "Joseph",
    "Madison",
    "John",
    "Eleanor",
    "David",
    "Grace",
    "Wyatt",
    "Nora",
    "Matthew",
    "Riley",
    "Luke",
    "Zoey",
    "Asher",
    "Hannah",
    "Carter",
    "Hazel",
    "Julian",
    "Lily",
    "Grayson",
    "Ellie",
    "Leo",
    "Violet",
    "Jayden",
    "Lillian",
    "Gabriel",
    "Zoe",
    "Isaac",
    "Stella",
    "Lincoln",
    "Aurora",
    "Anthony",
    "Natalie",
    "Hudson",
    "Emilia",
    "Dylan",
    "Everly",
    "Ezra",
    "Leah",
    "Thomas",
    "Aubrey",
    "Charles",
    "Willow",
    "Christopher",
    "Addison",
    "Jaxon",
    "Lucy",
    "Maverick",
    "Audrey",
    "Josiah",
    "Bella",
    "Priya",
    "Arjun",
    "Mei",
    "Hiroshi",
    "Fatima",
    "Omar",
    "Ingrid",
    "Lars",
    "Chiara",
    "Mateus",
    "Aisha",
    "Kwame",
    "Siobhan",
    "Tomasz",
];
const LAST: &[&str] = &[
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Hall",
    "Rivera",
    "Campbell",
    "Mitchell",
    "Carter",
    "Roberts",
    "Gomez",
    "Phillips",
    "Evans",
    "Turner",
    "Diaz",
    "Parker",
    "Cruz",
    "Edwards",
    "Collins",
    "Reyes",
    "Stewart",
    "Morris",
    "Morales",
    "Murphy",
    "Cook",
    "Rogers",
    "Gutierrez",
    "Ortiz",
    "Morgan",
    "Cooper",
    "Peterson",
    "Bailey",
    "Reed",
    "Kelly",
    "Howard",
    "Ramos",
    "Kim",
    "Cox",
    "Ward",
    "Richardson",
    "Watson",
    "Brooks",
    "Chavez",
    "Wood",
    "James",
    "Bennett",
    "Gray",
    "Mendoza",
    "Ruiz",
    "Hughes",
    "Price",
    "Alvarez",
    "Castillo",
    "Sanders",
    "Patel",
    "Myers",
    "Long",
    "Ross",
    "Foster",
    "Kowalski",
    "Okafor",
    "Tanaka",
    "Larsen",
    "Rossi",
    "Dubois",
    "Schmidt",
    "Novak",
    "Haddad",
    "O'Brien",
];

/// The password of every demo account that can sign in.
pub const DEMO_PASSWORD: &str = "roster-demo-password";
/// The demo's owner of the largest organization.
pub const DEMO_OWNER: &str = "owner@acme.test";
/// A demo member who is not an owner: a Billing Manager in Acme Corp (see
/// [`DEMO_MEMBER_ABOUT`]).
pub const DEMO_MEMBER: &str = "member@acme.test";
/// What the start banner and the README say about [`DEMO_MEMBER`]: the roles
/// [`load_demo`] gives them in each organization (each organization's
/// roles by name, in name order, joined by "and", then "in" and the
/// organization's name). The CLI test holds it to the seeded data.
pub const DEMO_MEMBER_ABOUT: &str = "Billing Manager and User in Acme Corp: manages users, but cannot edit roles \
     or hand out Account Owner; Reporting in Globex";

/// A deterministic UUIDv7 for generated rows.
fn seeded_id(rng: &mut StdRng, at: Timestamp) -> Uuid {
    let bytes: [u8; 10] = rng.random();
    uuid::Builder::from_unix_timestamp_millis(at.0 as u64, &bytes).into_uuid()
}

/// Generates `n` realistic members (and their users) for an organization.
/// `first_index` keeps emails unique across successive calls.
pub fn generate_members(
    rng: &mut StdRng,
    org: &OrgRecord,
    domain: &str,
    first_index: u64,
    n: u64,
    now: Timestamp,
) -> (Vec<UserRecord>, Vec<NewMember>) {
    let three_years = 3 * 365 * 24 * 3_600_000i64;
    let mut users_out = Vec::with_capacity(n as usize);
    let mut members_out = Vec::with_capacity(n as usize);
    for i in first_index..first_index + n {
        let first = FIRST[rng.random_range(0..FIRST.len())];
        let last = LAST[rng.random_range(0..LAST.len())];
        let created = Timestamp(now.0 - rng.random_range(0..three_years));
        let roll: u32 = rng.random_range(0..100);
        let status = match roll {
            0..80 => MemberStatus::Active,
            80..88 => MemberStatus::Invited,
            88..95 => MemberStatus::Disabled,
            _ => MemberStatus::Archived,
        };
        let last_active = match status {
            MemberStatus::Invited => None,
            _ => Some(Timestamp(now.0 - rng.random_range(0..(now.0 - created.0).clamp(1, 90 * 86_400_000)))),
        };
        let email = format!("{}.{}{}@{domain}", first.to_lowercase(), last.to_lowercase().replace('\'', ""), i);
        let user = UserRecord {
            locked_at: None,
            id: UserId(seeded_id(rng, created)),
            email,
            name: format!("{first} {last}"),
            password_hash: None,
            email_confirmed: status != MemberStatus::Invited,
            created_at: created,
        };
        members_out.push(NewMember {
            org_id: org.id,
            user_id: user.id,
            email: user.email.clone(),
            name: user.name.clone(),
            status,
            created_at: created,
            last_active_at: last_active,
        });
        users_out.push(user);
    }
    (users_out, members_out)
}

/// Adds `n` generated members to an organization in batches of 50,000 rows,
/// with one audit event per batch. Answers how many were added.
///
/// A load that is large next to the table (a benchmark's million members)
/// runs in one transaction with the membership indexes set aside and rebuilt
/// at the end ([`members::BulkLoad`]); a smaller one commits each batch.
pub async fn seed_members(
    app: &App,
    org: &OrgRecord,
    n: u64,
    seed: u64,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<u64> {
    let mut rng = StdRng::seed_from_u64(seed);
    let now = app.clock.now();
    let domain = format!("{}.example", org.slug);
    // Continue numbering after what an earlier run added, so emails stay unique.
    let start = roster_store::members::count_members(&mut app.db.conn().await?, org.id, &Default::default()).await?.0;
    let mut next = [MemberStatus::Active, MemberStatus::Invited, MemberStatus::Disabled, MemberStatus::Archived]
        .iter()
        .map(|s| start.get(*s))
        .sum::<u64>();
    let mut done = 0;
    let mut role_rng = StdRng::seed_from_u64(seed ^ 0x005e_ed0f_601e);
    let role_mix = role_mix(app, org).await?;
    let mut tx = app.db.begin().await?;
    let load = members::BulkLoad::start(&mut tx, n).await?;
    while done < n {
        let batch = (n - done).min(50_000);
        let (mut u, mut m) = generate_members(&mut rng, org, &domain, next, batch, now);
        // Id order (UUIDv7, so also creation order) keeps the inserts into the
        // id-keyed indexes local; the generated people stay the same.
        u.sort_unstable_by_key(|u| u.id);
        m.sort_unstable_by_key(|m| m.user_id);
        users::insert_users(&mut tx, &u).await?;
        members::insert_members(&mut tx, &m).await?;
        if let Some((default, others)) = &role_mix {
            let pairs: Vec<(UserId, roster_domain::RoleId)> = m
                .iter()
                .map(|m| {
                    let role = if others.is_empty() || role_rng.random_range(0..100) < 80 {
                        *default
                    } else {
                        others[role_rng.random_range(0..others.len())]
                    };
                    (m.user_id, role)
                })
                .collect();
            roster_store::roles::insert_assignments(&mut tx, org.id, &pairs).await?;
        }
        audit::append(
            &mut tx,
            &[crate::change::audit_event(
                &Actor::Cli,
                org.id,
                &RequestMeta::default(),
                now,
                AuditEntry::new(AuditAction::MemberSeeded, org.id).with("count", batch).with("seed", seed),
            )],
        )
        .await?;
        if !load.is_active() {
            tx.commit().await?;
            tx = app.db.begin().await?;
        }
        done += batch;
        next += batch;
        progress(done);
    }
    load.finish(&mut tx).await?;
    if role_mix.is_some() {
        roster_store::orgs::bump_authz_version(&mut tx, org.id).await?;
    }
    tx.commit().await?;
    Ok(done)
}

/// Generated members get roles: four in five the preset's default role, the
/// rest one of the other roles, never the owner's.
async fn role_mix(app: &App, org: &OrgRecord) -> Result<Option<(roster_domain::RoleId, Vec<roster_domain::RoleId>)>> {
    let Some(preset) = roster_domain::permissions::preset(&org.preset) else { return Ok(None) };
    let roles = roster_store::roles::list_roles(&mut app.db.conn().await?, org.id).await?;
    let Some(default) = roles.iter().find(|r| r.key == preset.default_role) else { return Ok(None) };
    let others = roles.iter().filter(|r| !r.locked && r.id != default.id).map(|r| r.id).collect();
    Ok(Some((default.id, others)))
}

/// Members read, and licenses written, per step of [`seed_licenses`].
const LICENSE_BATCH: usize = 50_000;

/// Gives a product's licenses to about `percent` % of an organization's
/// members who are not archived (each one by a draw of the seeded
/// generator, so the same seed picks the same members), for `dev seed
/// --licenses`. The organization is subscribed, or its seats raised, first
/// through [`products::update_subscription`] (audited) so that the seats
/// suffice; the licenses are written in multi-row statements with the
/// counters moved once per batch of 50,000, each batch with one
/// `licenses.bulk_changed` event, like [`seed_members`]. Members holding
/// the product already keep it. Answers how many licenses were written.
pub async fn seed_licenses(
    app: &App,
    org: &OrgRecord,
    key: &str,
    percent: f64,
    seed: u64,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<u64> {
    let product = app
        .config
        .catalogue
        .get(key.trim())
        .map(|p| p.key.clone())
        .ok_or_else(|| roster_domain::ValidationError::field("product", format!("'{key}' is not a product")))?;
    if !(percent > 0.0 && percent <= 100.0) {
        return Err(roster_domain::ValidationError::field("percent", "must be more than 0 and at most 100").into());
    }
    let per_10k = (percent * 100.0).round() as u32;
    // A generator of its own per product, so that products pick different members.
    let mut rng = StdRng::seed_from_u64(
        seed ^ product
            .as_str()
            .bytes()
            .fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)),
    );
    let held = roster_store::products::find_subscription(&mut app.db.conn().await?, org.id, &product)
        .await?
        .map_or(0, |s| s.used);
    // The chosen members, in id order, with their statuses.
    let mut chosen: Vec<(UserId, MemberStatus)> = Vec::new();
    let statuses = [MemberStatus::Invited, MemberStatus::Active, MemberStatus::Disabled];
    let mut after = None;
    loop {
        let mut conn = app.db.conn().await?;
        let batch =
            members::select_member_ids(&mut conn, org.id, &Default::default(), &statuses, after, LICENSE_BATCH as u64)
                .await?;
        let Some((last, _)) = batch.last() else { break };
        after = Some(*last);
        let mut picked: Vec<(UserId, MemberStatus)> =
            batch.into_iter().filter(|_| rng.random_range(0..10_000) < per_10k).collect();
        if held > 0 {
            for chunk in picked.clone().chunks(500) {
                let ids: Vec<UserId> = chunk.iter().map(|(u, _)| *u).collect();
                let holding = roster_store::products::holders_of(&mut conn, org.id, &product, &ids).await?;
                picked.retain(|(u, _)| !holding.contains(u));
            }
        }
        chosen.extend(picked);
    }
    // Seats for them all, through the use case (audited).
    let access = crate::access::open_org(app, &Actor::Cli, &org.id.0.to_string()).await?;
    let sub = roster_store::products::find_subscription(&mut app.db.conn().await?, org.id, &product).await?;
    let needed = chosen.len() as i64;
    if sub.as_ref().is_none_or(|s| s.free() < needed) {
        let count = sub.as_ref().map_or(0, |s| s.used) + needed;
        let patch = crate::products::SubscriptionPatch { license_count: Some(count.max(1)), ..Default::default() };
        crate::products::update_subscription(app, &access, product.as_str(), &patch, &RequestMeta::default()).await?;
    }
    let now = app.clock.now();
    let mut done = 0u64;
    for batch in chosen.chunks(LICENSE_BATCH) {
        let users: Vec<UserId> = batch.iter().map(|(u, _)| *u).collect();
        let with = |s: MemberStatus| batch.iter().filter(|(_, st)| *st == s).count() as i64;
        let held = (with(MemberStatus::Disabled), with(MemberStatus::Invited));
        let mut tx = app.db.begin().await?;
        roster_store::orgs::lock_org(&mut tx, org.id).await?;
        if !roster_store::products::load_licenses(&mut tx, org.id, &product, &users, held, now).await? {
            return Err(crate::AppError::conflict(
                crate::ConflictKind::SeatsInUse,
                format!("the seats of {product} no longer suffice for the generated licenses"),
            ));
        }
        audit::append(
            &mut tx,
            &[crate::change::audit_event(
                &Actor::Cli,
                org.id,
                &RequestMeta::default(),
                now,
                AuditEntry::new(AuditAction::LicensesBulkChanged, org.id)
                    .with("product", product.as_str())
                    .with("action", "assign")
                    .with("assigned", users.len() as u64)
                    .with("removed", 0)
                    .with("unchanged", 0)
                    .with("seed", seed),
            )],
        )
        .await?;
        tx.commit().await?;
        done += users.len() as u64;
        progress(done);
    }
    Ok(done)
}

/// The id of an organization's role with this key, read in a transaction.
async fn role_by_key(tx: &mut roster_store::Tx, org: &OrgRecord, key: &str) -> Result<Option<roster_domain::RoleId>> {
    Ok(roster_store::roles::list_roles(tx, org.id).await?.into_iter().find(|r| r.key == key).map(|r| r.id))
}

/// Loads the demo: three organizations, about 200 members over every status,
/// two accounts that can sign in with [`DEMO_PASSWORD`], and products from
/// the built-in catalogue with licenses (see `demo_products`).
pub async fn load_demo(app: &App) -> Result<Vec<OrgId>> {
    let specs = [
        ("Acme Corp", "acme", DEMO_OWNER, "Olivia Owner", 150u64, "account-owner"),
        ("Globex", "globex", "owner@globex.test", "Gary Globex", 40, "payments"),
        ("Initech", "initech", "owner@initech.test", "Ian Initech", 10, "broker"),
    ];
    let mut ids = Vec::new();
    for (i, (name, slug, owner, owner_name, n, preset)) in specs.into_iter().enumerate() {
        let created = create_org(
            app,
            &Actor::Cli,
            NewOrg {
                name: name.into(),
                slug: slug.into(),
                owner_email: owner.into(),
                owner_name: Some(owner_name.into()),
                owner_password: Some(DEMO_PASSWORD.into()),
                preset: Some(preset.into()),
            },
        )
        .await?;
        seed_members(app, &created.org, n, 42 + i as u64, &|_| {}).await?;
        ids.push(created.org.id);
    }
    // A member who is not an owner, active in two organizations.
    let orgs = crate::orgs::list_all(app).await?;
    for org in orgs.iter().filter(|o| ids[..2].contains(&o.id)) {
        let id = add_member(app, org, DEMO_MEMBER, "Morgan Member", MemberStatus::Active, Some(DEMO_PASSWORD)).await?;
        // In Acme, Morgan is a Billing Manager: they manage users, but cannot
        // give anyone the Account Owner role (no escalation).
        if org.slug == "acme" {
            let mut tx = app.db.begin().await?;
            if let Some(role) = role_by_key(&mut tx, org, "billing_manager").await? {
                roster_store::roles::add_role(&mut tx, org.id, role, &[id]).await?;
                roster_store::orgs::bump_authz_version(&mut tx, org.id).await?;
            }
            tx.commit().await?;
        }
    }
    for org in orgs.iter().filter(|o| ids[..2].contains(&o.id)) {
        demo_invitations(app, org).await?;
    }
    for org in orgs.iter().filter(|o| ids.contains(&o.id)) {
        demo_products(app, org).await?;
    }
    if let Some(acme) = orgs.iter().find(|o| o.id == ids[0]) {
        demo_access_requests(app, acme).await?;
    }
    if let Some(initech) = orgs.iter().find(|o| o.id == ids[2]) {
        demo_partner(app, initech).await?;
    }
    Ok(ids)
}

/// A Key Account Manager of the demo's partner, Initech, who can sign in.
pub const DEMO_PARTNER_MEMBER: &str = "kim.account@initech.test";

/// What [`DEMO_PARTNER_MEMBER`] can do, for the start banner.
pub const DEMO_PARTNER_ABOUT: &str =
    "Key Account Manager at the partner Initech: sees and manages its customers in the group Key accounts";

/// The demo's partner: Initech (the broker preset) manages three customer
/// organizations it created (their owners emailed on the Outbox page), two
/// of them in the organization group "Key accounts", to which its Key
/// Account Manager is assigned; and has asked to link Globex, whose owner
/// has not answered yet. Everything goes through the use cases (audited).
async fn demo_partner(app: &App, initech: &OrgRecord) -> Result<()> {
    let access = crate::access::open_org(app, &Actor::Cli, &initech.id.0.to_string()).await?;
    let meta = RequestMeta::default();
    let mut slugs = Vec::new();
    for (name, slug, owner) in [
        ("Umbrella Insurance", "umbrella", "owner@umbrella.test"),
        ("Hooli Health", "hooli", "owner@hooli.test"),
        ("Vandelay Imports", "vandelay", "owner@vandelay.test"),
    ] {
        let input = crate::partners::customers::NewCustomer {
            name: name.into(),
            slug: slug.into(),
            preset: None,
            owner_email: owner.into(),
            owner_name: None,
        };
        let org = crate::partners::customers::create(app, &access, input, &meta).await?;
        seed_members(app, &org, 12, 7 + slugs.len() as u64, &|_| {}).await?;
        slugs.push(slug.to_string());
    }
    let group = crate::partners::groups::create(app, &access, "Key accounts", &meta).await?;
    crate::partners::groups::set_customers(app, &access, group.id, &slugs[..2], &meta).await?;
    crate::partners::groups::create(app, &access, "Onboarding", &meta).await?;
    let kim =
        add_member(app, initech, DEMO_PARTNER_MEMBER, "Kim Account", MemberStatus::Active, Some(DEMO_PASSWORD)).await?;
    crate::roles::set_member_roles(app, &access, kim, &["key_account_manager".into()], &meta).await?;
    crate::partners::groups::set_members(app, &access, group.id, &[DEMO_PARTNER_MEMBER.into()], &meta).await?;
    crate::partners::customers::request_link(app, &access, "globex", &meta).await?;
    Ok(())
}

/// A person with an account and no organization, whose confirmed address is
/// in Acme's email domain: signed in, they are offered "Join your team".
pub const DEMO_REQUESTER: &str = "new.hire@acme.example";

/// The demo's access requests, in Acme: its join link on and its email
/// domain `acme.example` declared; two colleagues from that domain and a
/// partner through the join link waiting for a decision; one request the
/// owner denied. The requesters' accounts are made here (confirmed, with the
/// demo password); their requests and the denial go through the use cases
/// (audited), and the denial's email waits on the Outbox page.
async fn demo_access_requests(app: &App, org: &OrgRecord) -> Result<()> {
    let Some(owner) = owner_actor(app, org).await? else { return Ok(()) };
    let access = crate::access::open_org(app, &owner, &org.id.0.to_string()).await?;
    let meta = RequestMeta::default();
    let change = crate::access_requests::SettingsChange {
        join_link_enabled: Some(true),
        email_domains: Some(vec!["acme.example".into()]),
        regenerate_join_link: false,
    };
    crate::access_requests::update_settings(app, &access, &change, &meta).await?;
    let code = roster_store::org_settings::get(&mut app.db.conn().await?, org.id).await?.join_code;
    let people: [(&str, &str, &str, bool); 5] = [
        (DEMO_REQUESTER, "Nia Hire", "", false),
        (
            "sam.rivera@acme.example",
            "Sam Rivera",
            "I joined the claims team on Monday; my manager is Tom Becker.",
            false,
        ),
        ("dana.kowalski@acme.example", "Dana Kowalski", "Underwriting, Hamburg office. I need Quote Assistant.", false),
        ("alex.chen@partner.example", "Alex Chen", "Broker partner: we place commercial risks with Acme.", true),
        ("eve.mallory@example.net", "Eve Mallory", "Let me in, please.", true),
    ];
    let hash = crate::passwords::hash_password(app, DEMO_PASSWORD.into()).await?;
    for (email, name, message, by_link) in people {
        let user = UserRecord {
            id: UserId::new(),
            email: email.into(),
            name: name.into(),
            password_hash: Some(hash.clone()),
            email_confirmed: true,
            created_at: app.clock.now(),
            locked_at: None,
        };
        let mut tx = app.db.begin().await?;
        users::insert_user(&mut tx, &user).await?;
        tx.commit().await?;
        if email == DEMO_REQUESTER {
            continue;
        }
        let principal =
            crate::Principal { user_id: user.id, email: user.email, name: user.name, session_id: SessionId::new() };
        let code = if by_link { code.as_deref() } else { None };
        let r = crate::access_requests::create(app, &principal, &org.slug, code, message, &meta).await?;
        if email.starts_with("eve.") {
            crate::access_requests::deny(app, &access, r.id, "We only add Acme employees and known partners.", &meta)
                .await?;
        }
    }
    Ok(())
}

/// A demo organization's owner, acting as if signed in (the demo has no
/// session for them yet).
async fn owner_actor(app: &App, org: &OrgRecord) -> Result<Option<Actor>> {
    let Some(owner) = org.owner_id else { return Ok(None) };
    let Some(owner) = users::find_user(&mut app.db.conn().await?, owner).await? else { return Ok(None) };
    Ok(Some(Actor::User(crate::Principal {
        user_id: owner.id,
        email: owner.email,
        name: owner.name,
        session_id: roster_domain::SessionId::new(),
    })))
}

const DAY_MS: i64 = 86_400_000;

/// The demo's products, from the built-in catalogue, so that the Products
/// tab, the Users list's Products column and the workspace have something
/// to show: in Acme, Quote Assistant as a trial its owner started ten days
/// ago with four days left, Submission Intake paid with seats to spare, and
/// Analytics with one seat free, a disabled member holding seats of both;
/// in Globex, Quote Assistant paid and an Analytics trial that ended two
/// days ago (its licenses grant nothing until it is converted); in Initech,
/// Submission Intake. Subscriptions and licenses go through the use cases
/// (audited); a trial is started on a clock set back to its start.
async fn demo_products(app: &App, org: &OrgRecord) -> Result<()> {
    let cli = crate::access::open_org(app, &Actor::Cli, &org.id.0.to_string()).await?;
    let meta = RequestMeta::default();
    let owner = owner_actor(app, org).await?;
    // Members who are not archived, in id order, by status; the owner and the demo member apart.
    let demo_member = users::find_user_by_email(&mut app.db.conn().await?, &roster_domain::Email::parse(DEMO_MEMBER)?)
        .await?
        .map(|u| u.id);
    let statuses = [MemberStatus::Invited, MemberStatus::Active, MemberStatus::Disabled];
    let all =
        members::select_member_ids(&mut app.db.conn().await?, org.id, &Default::default(), &statuses, None, 10_000)
            .await?;
    let special = |u: &UserId| Some(*u) == org.owner_id || Some(*u) == demo_member;
    let with = |s: MemberStatus| -> Vec<UserId> {
        all.iter().filter(|(u, st)| *st == s && !special(u)).map(|(u, _)| *u).collect()
    };
    let (active, invited, disabled) =
        (with(MemberStatus::Active), with(MemberStatus::Invited), with(MemberStatus::Disabled));
    let take = |v: &[UserId], from: usize, to: usize| -> Vec<UserId> { v[from.min(v.len())..to.min(v.len())].to_vec() };
    let subscribe = |key: &'static str, seats: i64| {
        let cli = cli.clone();
        async move {
            let patch = crate::products::SubscriptionPatch { license_count: Some(seats), ..Default::default() };
            crate::products::update_subscription(app, &cli, key, &patch, &RequestMeta::default()).await.map(drop)
        }
    };
    // A trial started `ago` days back, `days` long, by the owner (or the operator).
    let trial = |key: &'static str, ago: i64, days: i64, seats: i64| {
        let actor = owner.clone().unwrap_or(Actor::Cli);
        async move {
            let back = app
                .clone()
                .with_clock(std::sync::Arc::new(crate::ManualClock::at(Timestamp(app.clock.now().0 - ago * DAY_MS))));
            let access = crate::access::open_org(&back, &actor, &org.id.0.to_string()).await?;
            crate::products::start_trial(&back, &access, key, Some(days), Some(seats), &RequestMeta::default())
                .await
                .map(drop)
        }
    };
    let owner_id: Vec<UserId> = org.owner_id.into_iter().collect();
    let mut cells: Vec<(UserId, &str)> = Vec::new();
    let mut give = |key: &'static str, users: Vec<UserId>| cells.extend(users.into_iter().map(|u| (u, key)));
    match org.slug.as_str() {
        "acme" => {
            trial("quote", 10, 14, 25).await?;
            subscribe("intake", 120).await?;
            subscribe("analytics", 20).await?;
            give("quote", [owner_id.clone(), demo_member.into_iter().collect(), take(&active, 0, 16)].concat());
            give("intake", [take(&active, 10, 70), take(&invited, 0, 3), take(&disabled, 0, 2)].concat());
            give("analytics", [owner_id.clone(), take(&active, 70, 87), take(&disabled, 0, 1)].concat());
        }
        "globex" => {
            subscribe("quote", 30).await?;
            trial("analytics", 32, 30, 10).await?;
            give("quote", [owner_id.clone(), take(&active, 0, 10), take(&disabled, 0, 1)].concat());
            give("analytics", take(&active, 10, 15));
        }
        _ => {
            subscribe("intake", 10).await?;
            give("intake", [owner_id.clone(), take(&active, 0, 3)].concat());
        }
    }
    let assign = cells.into_iter().map(|(u, k)| (u.to_string(), k.to_string())).collect();
    let req = crate::products::BulkLicenses::Cells { assign, remove: vec![] };
    crate::products::bulk_licenses(app, &cli, &req, false, &meta).await?;
    Ok(())
}

/// The demo's invitations, made by each organization's owner: in Acme three
/// pending and two that expired last week (their links are dead; they can
/// be sent again), in Globex one pending. Their emails wait on the Outbox page.
async fn demo_invitations(app: &App, org: &OrgRecord) -> Result<()> {
    let Some(actor) = owner_actor(app, org).await? else { return Ok(()) };
    let access = crate::access::open_org(app, &actor, &org.id.0.to_string()).await?;
    let people: &[(&str, &str, &str, Option<&str>, bool)] = if org.slug == "acme" {
        &[
            ("priya.patel@partner.example", "Priya", "Patel", Some("billing_manager"), false),
            ("tom.becker@acme.example", "Tom", "Becker", None, false),
            ("lena.fischer@acme.example", "Lena", "Fischer", None, false),
            ("omar.haddad@acme.example", "Omar", "Haddad", None, true),
            ("julia.santos@partner.example", "Julia", "Santos", Some("billing_manager"), true),
        ]
    } else {
        &[("kim.nguyen@globex.example", "Kim", "Nguyen", None, false)]
    };
    let now = app.clock.now();
    for (email, first, last, role, expired) in people {
        let input = crate::invitations::InvitationInput {
            email: email.to_string(),
            first_name: first.to_string(),
            last_name: last.to_string(),
            roles: role.map(|r| vec![r.to_string()]),
            grants: None,
            send_email: true,
            products: vec![],
        };
        let invited = crate::invitations::invite(app, &access, &input, &RequestMeta::default()).await?;
        if *expired {
            let day = 86_400_000;
            let mut tx = app.db.begin().await?;
            roster_store::invitations::set_dates(
                &mut tx,
                org.id,
                invited.invitation.id,
                Timestamp(now.0 - 10 * day),
                Timestamp(now.0 - 3 * day),
            )
            .await?;
            tx.commit().await?;
        }
    }
    Ok(())
}

/// Adds a member (creating their user, with a password if given, when none
/// has the email) and audits it. For the demo, the CLI and tests; invitations
/// are the way people join in production.
pub async fn add_member(
    app: &App,
    org: &OrgRecord,
    email: &str,
    name: &str,
    status: MemberStatus,
    password: Option<&str>,
) -> Result<UserId> {
    let email = roster_domain::Email::parse(email)?;
    let name = roster_domain::orgs::parse_display_name("name", name)?;
    let hash = match password {
        Some(p) => Some(crate::passwords::hash_password(app, p.to_string()).await?),
        None => None,
    };
    let now = app.clock.now();
    let mut tx = app.db.begin().await?;
    let user = match users::find_user_by_email(&mut tx, &email).await? {
        Some(u) => u,
        None => {
            let u = UserRecord {
                locked_at: None,
                id: UserId::new(),
                email: email.as_str().to_string(),
                name,
                password_hash: hash,
                email_confirmed: status != MemberStatus::Invited,
                created_at: now,
            };
            users::insert_user(&mut tx, &u).await?;
            u
        }
    };
    let org = roster_store::orgs::lock_org(&mut tx, org.id).await?.unwrap_or_else(|| org.clone());
    members::insert_members(
        &mut tx,
        &[NewMember {
            org_id: org.id,
            user_id: user.id,
            email: user.email.clone(),
            name: user.name.clone(),
            status,
            created_at: now,
            last_active_at: None,
        }],
    )
    .await?;
    audit::append(
        &mut tx,
        &[crate::change::audit_event(
            &Actor::Cli,
            org.id,
            &RequestMeta::default(),
            now,
            AuditEntry::new(AuditAction::MemberAdded, user.id)
                .after(serde_json::json!({"email": user.email, "status": status})),
        )],
    )
    .await?;
    // New members get their preset's default role.
    if let Some(preset) = roster_domain::permissions::preset(&org.preset)
        && let Some(role) = role_by_key(&mut tx, &org, &preset.default_role).await?
    {
        roster_store::roles::add_role(&mut tx, org.id, role, &[user.id]).await?;
        roster_store::orgs::bump_authz_version(&mut tx, org.id).await?;
    }
    tx.commit().await?;
    Ok(user.id)
}
