//! Generated data: the demo organizations, and `dev seed`'s bulk members.
//!
//! Everything here is deterministic for a given seed (names, emails,
//! statuses, dates and ids), so a demo looks the same on every machine.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use roster_domain::audit::{AuditAction, AuditEntry};
use roster_domain::{MemberStatus, OrgId, Timestamp, UserId};
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

/// The id of an organization's role with this key, read in a transaction.
async fn role_by_key(tx: &mut roster_store::Tx, org: &OrgRecord, key: &str) -> Result<Option<roster_domain::RoleId>> {
    Ok(roster_store::roles::list_roles(tx, org.id).await?.into_iter().find(|r| r.key == key).map(|r| r.id))
}

/// Loads the demo: three organizations, about 200 members over every status,
/// and two accounts that can sign in with [`DEMO_PASSWORD`].
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
    Ok(ids)
}

/// The demo's invitations, made by each organization's owner: in Acme three
/// pending and two that expired last week (their links are dead; they can
/// be sent again), in Globex one pending. Their emails wait on the Outbox page.
async fn demo_invitations(app: &App, org: &OrgRecord) -> Result<()> {
    let Some(owner) = org.owner_id else { return Ok(()) };
    let Some(owner) = users::find_user(&mut app.db.conn().await?, owner).await? else { return Ok(()) };
    // The owner acts as if signed in (the demo has no session for them yet).
    let actor = Actor::User(crate::Principal {
        user_id: owner.id,
        email: owner.email,
        name: owner.name,
        session_id: roster_domain::SessionId::new(),
    });
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
