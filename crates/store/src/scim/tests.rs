//! The User list's SQL held to [`UserFilter::matches`] on the backend the
//! suite runs on (`ROSTER_TEST_DB`), over random filters and members whose
//! names and addresses hold what trips a translation up (LIKE's `%`, `_`
//! and `\`, case, accents, empty names), and `userName eq` held to the
//! `(org_id, email)` index on SQLite's plan.

use std::collections::BTreeSet;

use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use roster_domain::members::Member;
use roster_domain::scim::users::{ScimUser, UserAttributes};
use roster_domain::scim::{UserFilter, UserSort};
use roster_domain::{MemberStatus, OrgId, SortOrder, Timestamp, UserId};
use sea_query::{QueryBuilder, SelectStatement};
use sea_query_sqlx::{SqlxBinder, SqlxValues};

use super::{MAX_COUNT, count_statement, list_users, page_statement};
use crate::Db;
use crate::members::NewMember;
use crate::orgs::OrgRecord;
use crate::users::UserRecord;

/// A statement's query plan, asked for with SQLite's `EXPLAIN QUERY PLAN`.
struct Explain(SelectStatement);

impl SqlxBinder for Explain {
    fn build_sqlx<T: QueryBuilder>(&self, qb: T) -> (String, SqlxValues) {
        let (sql, values) = self.0.build_sqlx(qb);
        (format!("EXPLAIN QUERY PLAN {sql}"), values)
    }
}

async fn sqlite() -> Db {
    let dir = std::env::temp_dir().join(format!("roster-scim-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = Db::connect(dir.join("s.db").to_str().unwrap()).await.unwrap();
    db.migrate().await.unwrap();
    db
}

fn pg_admin_url() -> String {
    std::env::var("ROSTER_TEST_PG_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

async fn pg_admin(sql: &str) {
    let Db::Postgres(admin) = Db::connect(&pg_admin_url()).await.unwrap() else { panic!("not a PostgreSQL URL") };
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string())).execute(&admin).await.unwrap();
    admin.close().await;
}

/// A fresh database of the suite's backend, with the PostgreSQL database's
/// name to drop.
async fn fresh_db() -> (Db, Option<String>) {
    if std::env::var("ROSTER_TEST_DB").as_deref() != Ok("postgres") {
        return (sqlite().await, None);
    }
    let name = format!("roster_scim_{}", uuid::Uuid::now_v7().simple());
    pg_admin(&format!("CREATE DATABASE {name}")).await;
    let (base, _) = pg_admin_url().rsplit_once('/').map(|(b, d)| (b.to_string(), d.to_string())).unwrap();
    let db = Db::connect(&format!("{base}/{name}")).await.unwrap();
    db.migrate().await.unwrap();
    (db, Some(name))
}

async fn drop_db(db: Db, pg_name: Option<String>) {
    db.close().await;
    if let Some(name) = pg_name {
        pg_admin(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
    }
}

/// Names that trip a translation up: LIKE's metacharacters, case, accents
/// (which ASCII folding leaves alone), an empty name.
const NAMES: [&str; 16] = [
    "Ann O'Malley",
    "ann o'malley",
    "ANN SMITH",
    "Bob_Jones",
    "bob jones",
    "100% Carol",
    "Dan \\ Slash",
    "Élodie Martin",
    "élodie martin",
    "Zoë Straße",
    "",
    "x",
    "Eve%_\\",
    "Frank",
    "frank",
    "Gus \"Quote\"",
];

const LOCALS: [&str; 8] = ["ann", "ann_o", "bob%x", "carol", "d\\an", "élodie", "zoë", "eve"];
const DOMAINS: [&str; 4] = ["acme.example", "other.example", "acme.example.org", "ex_ample.io"];

/// `ms` as an ISO 8601 date and time (UTC, with milliseconds).
fn iso(ms: i64) -> String {
    let (days, rest) = (ms.div_euclid(86_400_000), ms.rem_euclid(86_400_000));
    // Howard Hinnant's `civil_from_days`.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let (h, min, s, milli) = (rest / 3_600_000, rest / 60_000 % 60, rest / 1000 % 60, rest % 1000);
    format!("{y:04}-{m:02}-{d:02}T{h:02}:{min:02}:{s:02}.{milli:03}Z")
}

/// Provider ids that trip a translation up: case (`externalId` is
/// case-exact), LIKE's metacharacters, accents.
const EXTERNAL_IDS: [&str; 6] = ["AbC-", "abc-", "x%_", "Ext\\", "ÉX", "0f8fad5b-"];
/// Departments and employee numbers (case-insensitive in ASCII only).
const DEPARTMENTS: [&str; 6] = ["Sales", "SALES emea", "R&D", "100% Ops", "Ünit_a", "sales"];
const EMPLOYEE_NUMBERS: [&str; 4] = ["E-1", "e-10", "701984", "x_%"];

/// An organization of `n` members with varied names, addresses, statuses,
/// creation and change times and provider attributes (some without), and
/// another organization's members with the same addresses (which no list of
/// the first may show).
async fn organization(db: &Db, n: usize, rng: &mut StdRng) -> (OrgId, Vec<ScimUser>) {
    let mut tx = db.begin().await.unwrap();
    let mut orgs = Vec::new();
    for k in 0..2 {
        let org = OrgId::new();
        let record = OrgRecord {
            id: org,
            slug: format!("scim-{k}-{}", org.0.simple()),
            name: "Scim".into(),
            owner_id: None,
            created_at: Timestamp(1_700_000_000_000),
            preset: "account-owner".into(),
            partner: false,
            owner_transfer: true,
            authz_version: 0,
            parent_id: None,
        };
        crate::orgs::insert_org(&mut tx, &record).await.unwrap();
        orgs.push(org);
    }
    let mut users = Vec::new();
    let mut members = Vec::new();
    let mut listed = Vec::new();
    for i in 0..n {
        let status = *[
            MemberStatus::Active,
            MemberStatus::Active,
            MemberStatus::Disabled,
            MemberStatus::Invited,
            MemberStatus::Archived,
        ]
        .choose(rng)
        .unwrap();
        let email = format!("{}{i}@{}", LOCALS.choose(rng).unwrap(), DOMAINS.choose(rng).unwrap());
        let name = NAMES.choose(rng).unwrap().to_string();
        // Creation times close together, a few equal, some before 1970.
        let created = Timestamp(rng.random_range(-5_000i64..5_000) * 1_000 + [0, 1, 999].choose(rng).unwrap());
        let user = UserRecord {
            id: UserId::new(),
            email: email.clone(),
            name: name.clone(),
            password_hash: None,
            email_confirmed: true,
            created_at: created,
            locked_at: None,
        };
        // Every other member of the first organization is also a member of the second.
        let in_orgs = if i % 2 == 0 { &orgs[..] } else { &orgs[..1] };
        for org in in_orgs {
            members.push(NewMember {
                org_id: *org,
                user_id: user.id,
                email: email.clone(),
                name: name.clone(),
                status,
                created_at: created,
                last_active_at: None,
            });
        }
        // Most have been changed since, some carry the provider's attributes.
        let updated_at = rng.random_bool(0.7).then(|| Timestamp(created.0 + rng.random_range(-1i64..3_000) * 1_000));
        let attributes = match updated_at {
            Some(_) => UserAttributes {
                external_id: rng.random_bool(0.7).then(|| format!("{}{i}", EXTERNAL_IDS.choose(rng).unwrap())),
                employee_number: rng.random_bool(0.5).then(|| EMPLOYEE_NUMBERS.choose(rng).unwrap().to_string()),
                department: rng.random_bool(0.6).then(|| DEPARTMENTS.choose(rng).unwrap().to_string()),
                manager: None,
                work_email: rng.random_bool(0.3).then(|| format!("work{i}@acme.example")),
            },
            None => UserAttributes::default(),
        };
        listed.push(ScimUser {
            member: Member {
                user_id: user.id,
                email,
                name,
                status,
                confirmed: true,
                created_at: created,
                last_active_at: None,
            },
            attributes,
            updated_at,
            manager_name: None,
        });
        users.push(user);
    }
    crate::users::insert_users(&mut tx, &users).await.unwrap();
    crate::members::insert_members(&mut tx, &members).await.unwrap();
    for u in &listed {
        if let Some(at) = u.updated_at {
            super::set_attributes(&mut tx, orgs[0], u.member.user_id, &u.attributes, at).await.unwrap();
        }
    }
    tx.commit().await.unwrap();
    (orgs[0], listed)
}

/// A JSON string literal.
fn lit(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

/// A random comparison or presence test, as text.
fn leaf(rng: &mut StdRng, users: &[ScimUser]) -> String {
    let who = users.choose(rng).unwrap();
    let someone = &who.member;
    let text_op = *["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"].choose(rng).unwrap();
    let order_op = *["eq", "ne", "gt", "ge", "lt", "le"].choose(rng).unwrap();
    // A piece of a real value (so that matches happen), or a troublesome one.
    let piece = |rng: &mut StdRng, s: &str| -> String {
        let chars: Vec<char> = s.chars().collect();
        if chars.is_empty() || rng.random_bool(0.2) {
            return ["%", "_", "\\", "a%", "_o", "É", "é", "ANN", "o'm", "", "."].choose(rng).unwrap().to_string();
        }
        let a = rng.random_range(0..chars.len());
        let b = rng.random_range(a..=chars.len());
        let mut p: String = chars[a..b].iter().collect();
        if rng.random_bool(0.3) {
            p = p.to_uppercase();
        }
        p
    };
    const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    let text_of = |s: &Option<String>, rng: &mut StdRng| {
        s.clone().unwrap_or_else(|| DEPARTMENTS.choose(rng).unwrap().to_string())
    };
    match rng.random_range(0..18) {
        0 => format!("userName {text_op} {}", lit(&piece(rng, &someone.email))),
        1 => format!("emails.value {text_op} {}", lit(&piece(rng, &someone.email))),
        2 => format!("emails[type eq \"work\" and value {text_op} {}]", lit(&piece(rng, &someone.email))),
        3 => format!("displayName {text_op} {}", lit(&piece(rng, &someone.name))),
        4 => format!("name.formatted {text_op} {}", lit(&piece(rng, &someone.name))),
        5 => format!("active eq {}", rng.random_bool(0.5)),
        6 => {
            let at = someone.created_at.0 + [-1, 0, 1].choose(rng).unwrap();
            let attr = ["meta.created", "meta.lastModified"].choose(rng).unwrap();
            format!("{attr} {order_op} {}", lit(&iso(at)))
        }
        7 => format!(
            "{} pr",
            ["displayName", "userName", "externalId", "emails", "active", "meta.created"].choose(rng).unwrap()
        ),
        8 => format!("id {} {}", ["eq", "ne"].choose(rng).unwrap(), lit(&someone.user_id.0.to_string())),
        9 => format!("externalId {text_op} \"x\""),
        12 => {
            let v = text_of(&who.attributes.external_id, rng);
            format!("externalId {text_op} {}", lit(&piece(rng, &v)))
        }
        13 => {
            let v = text_of(&who.attributes.department, rng);
            format!("{ENTERPRISE}:department {text_op} {}", lit(&piece(rng, &v)))
        }
        14 => {
            let v = text_of(&who.attributes.employee_number, rng);
            format!("{ENTERPRISE}:employeeNumber {text_op} {}", lit(&piece(rng, &v)))
        }
        15 => {
            let at = who.last_modified().0 + [-1, 0, 1].choose(rng).unwrap();
            format!("meta.lastModified {order_op} {}", lit(&iso(at)))
        }
        16 => format!(
            "{} {}",
            ["externalId", &format!("{ENTERPRISE}:department"), &format!("{ENTERPRISE}:employeeNumber")]
                .choose(rng)
                .unwrap(),
            ["pr", "eq null", "ne null"].choose(rng).unwrap()
        ),
        10 => format!("userName eq {}", lit(&someone.email.to_uppercase())),
        _ => format!("urn:ietf:params:scim:schemas:core:2.0:User:userName sw {}", lit(&piece(rng, &someone.email))),
    }
}

/// A random filter of at most `depth` levels of `and`, `or`, `not` and
/// parentheses.
fn random_filter(rng: &mut StdRng, members: &[ScimUser], depth: u32) -> String {
    if depth == 0 || rng.random_bool(0.35) {
        return leaf(rng, members);
    }
    match rng.random_range(0..4) {
        0 => format!("{} and {}", random_filter(rng, members, depth - 1), random_filter(rng, members, depth - 1)),
        1 => format!("{} or {}", random_filter(rng, members, depth - 1), random_filter(rng, members, depth - 1)),
        2 => format!("not ({})", random_filter(rng, members, depth - 1)),
        _ => format!("({})", random_filter(rng, members, depth - 1)),
    }
}

fn ids(users: &[ScimUser]) -> BTreeSet<UserId> {
    users.iter().map(|u| u.member.user_id).collect()
}

#[tokio::test]
async fn random_filters_match_what_evaluating_them_on_the_members_gives() {
    let (db, pg) = fresh_db().await;
    let seed: u64 = std::env::var("ROSTER_SCIM_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(12);
    let mut rng = StdRng::seed_from_u64(seed);
    let (org, members) = organization(&db, 200, &mut rng).await;
    let listed: Vec<&ScimUser> = members.iter().filter(|m| m.member.status != MemberStatus::Archived).collect();
    let mut conn = db.conn().await.unwrap();
    let mut nonempty = 0;
    for _ in 0..400 {
        let text = random_filter(&mut rng, &members, 3);
        let filter = UserFilter::parse(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
        let expected: BTreeSet<UserId> =
            listed.iter().filter(|m| filter.matches(m)).map(|m| m.member.user_id).collect();
        let page = list_users(&mut conn, org, &filter, UserSort::Id, SortOrder::Asc, 1, MAX_COUNT).await.unwrap();
        let got = ids(&page.users);
        // What the list answers is what was stored.
        for u in &page.users {
            assert_eq!(Some(u), members.iter().find(|m| m.member.user_id == u.member.user_id), "{text}");
        }
        if got != expected {
            let only = |a: &BTreeSet<UserId>, b: &BTreeSet<UserId>| {
                a.difference(b)
                    .map(|id| {
                        let u = members.iter().find(|m| m.member.user_id == *id).unwrap();
                        let m = &u.member;
                        format!(
                            "{} / {:?} / {:?} / {} / {:?} / {:?}",
                            m.email,
                            m.name,
                            m.status,
                            iso(m.created_at.0),
                            u.attributes,
                            u.updated_at.map(|t| iso(t.0))
                        )
                    })
                    .collect::<Vec<_>>()
            };
            panic!(
                "seed {seed}, {text}\n  {filter:?}\n  only in SQL: {:?}\n  only in Rust: {:?}",
                only(&got, &expected),
                only(&expected, &got)
            );
        }
        assert_eq!(page.total, expected.len() as u64, "{text}");
        nonempty += usize::from(!expected.is_empty() && expected.len() < listed.len());
    }
    // The filters were not all trivially empty or full.
    assert!(nonempty > 100, "only {nonempty} filters chose some members but not all");
    drop(conn);
    drop_db(db, pg).await;
}

#[tokio::test]
async fn pages_follow_the_sort_and_count_the_whole() {
    let (db, pg) = fresh_db().await;
    let mut rng = StdRng::seed_from_u64(7);
    let (org, members) = organization(&db, 120, &mut rng).await;
    let mut conn = db.conn().await.unwrap();
    let filter = UserFilter::parse(r#"active eq true or displayName co "a""#).unwrap();
    let mut expected: Vec<&ScimUser> =
        members.iter().filter(|m| m.member.status != MemberStatus::Archived && filter.matches(m)).collect();
    for (sort, order) in [
        (UserSort::UserName, SortOrder::Asc),
        (UserSort::DisplayName, SortOrder::Desc),
        (UserSort::Created, SortOrder::Asc),
        (UserSort::Modified, SortOrder::Desc),
        (UserSort::ExternalId, SortOrder::Asc),
        (UserSort::ExternalId, SortOrder::Desc),
        (UserSort::Id, SortOrder::Desc),
    ] {
        expected.sort_by(|a, b| {
            let ext = |u: &ScimUser| u.attributes.external_id.clone().unwrap_or_default();
            let (a, b) = (*a, *b);
            let by = match sort {
                UserSort::UserName => a.member.email.cmp(&b.member.email),
                UserSort::DisplayName => a.member.name.cmp(&b.member.name),
                UserSort::Created => a.member.created_at.cmp(&b.member.created_at),
                UserSort::Modified => a.last_modified().cmp(&b.last_modified()),
                UserSort::ExternalId => ext(a).as_bytes().cmp(ext(b).as_bytes()),
                UserSort::Id => std::cmp::Ordering::Equal,
            };
            let by = by.then(a.member.user_id.cmp(&b.member.user_id));
            if order == SortOrder::Desc { by.reverse() } else { by }
        });
        let mut got = Vec::new();
        let mut start = 1;
        loop {
            let page = list_users(&mut conn, org, &filter, sort, order, start, 7).await.unwrap();
            assert_eq!(page.total, expected.len() as u64);
            if page.users.is_empty() {
                break;
            }
            assert!(page.users.len() <= 7);
            start += page.users.len() as u64;
            got.extend(page.users);
        }
        let want: Vec<UserId> = expected.iter().map(|m| m.member.user_id).collect();
        assert_eq!(got.iter().map(|m| m.member.user_id).collect::<Vec<_>>(), want, "{sort:?} {order:?}");
    }
    // startIndex below 1 reads as 1; count 0 answers the total alone; a
    // count above the cap is lowered to it.
    let all = UserFilter::Const(true);
    let first = list_users(&mut conn, org, &all, UserSort::Id, SortOrder::Asc, 0, 3).await.unwrap();
    assert_eq!(first, list_users(&mut conn, org, &all, UserSort::Id, SortOrder::Asc, 1, 3).await.unwrap());
    let total = members.iter().filter(|m| m.member.status != MemberStatus::Archived).count() as u64;
    let none = list_users(&mut conn, org, &all, UserSort::Id, SortOrder::Asc, 1, 0).await.unwrap();
    assert_eq!((none.total, none.users.len()), (total, 0));
    let past = list_users(&mut conn, org, &all, UserSort::Id, SortOrder::Asc, total + 1, 10).await.unwrap();
    assert_eq!((past.total, past.users.len()), (total, 0));
    let many = list_users(&mut conn, org, &all, UserSort::Id, SortOrder::Asc, 1, u64::MAX).await.unwrap();
    assert_eq!(many.users.len() as u64, total);
    // Another organization's members are never listed, whatever the filter.
    let other = list_users(&mut conn, OrgId::new(), &all, UserSort::Id, SortOrder::Asc, 1, 10).await.unwrap();
    assert_eq!((other.total, other.users.len()), (0, 0));
    drop(conn);
    drop_db(db, pg).await;
}

#[tokio::test]
async fn user_name_eq_reads_the_email_index_on_sqlite() {
    let db = sqlite().await;
    let mut conn = db.conn().await.unwrap();
    #[derive(sqlx::FromRow)]
    struct Step {
        detail: String,
    }
    let org = OrgId::new();
    for text in [r#"userName eq "Ann@Example.com""#, r#"emails[type eq "work" and value eq "ann@example.com"]"#] {
        let filter = UserFilter::parse(text).unwrap();
        for q in [count_statement(org, &filter), page_statement(org, &filter, UserSort::Id, SortOrder::Asc, 0, 100)] {
            let plan: Vec<String> =
                conn.fetch_all::<Step, _>(&Explain(q)).await.unwrap().into_iter().map(|s| s.detail).collect();
            let text = plan.join(" | ");
            assert!(
                plan.iter()
                    .any(|p| p.starts_with("SEARCH members USING INDEX members_org_email (org_id=? AND email=?)")),
                "{text}"
            );
            assert!(!text.contains("SCAN members"), "{text}");
        }
    }
    // `sw` starts the email index's range at the prefix.
    let filter = UserFilter::parse(r#"userName sw "ann""#).unwrap();
    let plan: Vec<String> = conn
        .fetch_all::<Step, _>(&Explain(count_statement(org, &filter)))
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.detail)
        .collect();
    assert!(plan.iter().any(|p| p.contains("(org_id=? AND email>?)")), "{}", plan.join(" | "));
    drop(conn);
    db.close().await;
}

#[test]
fn like_patterns_escape_their_metacharacters_on_both_backends() {
    let filter = UserFilter::parse(r#"displayName co "100%_\\x""#).unwrap();
    let q = count_statement(OrgId::new(), &filter);
    for (sql, _) in [q.build_sqlx(sea_query::SqliteQueryBuilder), q.build_sqlx(sea_query::PostgresQueryBuilder)] {
        assert!(sql.contains("LIKE") && sql.contains("ESCAPE"), "{sql}");
    }
    let (_, values) = q.build_sqlx(sea_query::SqliteQueryBuilder);
    assert!(format!("{values:?}").contains(r#"%100\\%\\_\\\\x%"#), "{values:?}");
}

#[tokio::test]
async fn the_longest_filters_run_on_both_backends() {
    use roster_domain::scim::filter::MAX_FILTER_CHARS;
    let (db, pg) = fresh_db().await;
    let mut rng = StdRng::seed_from_u64(3);
    let (org, members) = organization(&db, 20, &mut rng).await;
    let mut conn = db.conn().await.unwrap();
    // Flat chains as long as a filter may be: hundreds of operands.
    let chain = |term: &str, op: &str| {
        let mut out = term.to_string();
        while out.len() + op.len() + term.len() <= MAX_FILTER_CHARS {
            out = format!("{out} {op} {term}");
        }
        out
    };
    let nested = format!("{}userName pr{}", "not (".repeat(32), ")".repeat(32));
    for text in [
        chain("id pr", "and"),
        chain(r#"displayName co "a""#, "or"),
        chain(r#"userName eq "nobody@x.io""#, "or"),
        chain("not (active eq true)", "and"),
        nested,
    ] {
        let filter = UserFilter::parse(&text).unwrap_or_else(|e| panic!("{e}"));
        let expected =
            members.iter().filter(|m| m.member.status != MemberStatus::Archived && filter.matches(m)).count();
        let page = list_users(&mut conn, org, &filter, UserSort::Id, SortOrder::Asc, 1, MAX_COUNT).await.unwrap();
        assert_eq!(page.users.len(), expected, "{}", &text[..40]);
    }
    drop(conn);
    drop_db(db, pg).await;
}

/// The SQL a filter becomes, in full, for a reader of this module.
#[test]
fn a_filter_reads_as_this_sql() {
    let f = UserFilter::parse(
        r#"not (externalId eq "x") and (userName sw "Ann" or displayName co "50%") and not (active eq true or meta.created gt "2020-01-01")"#,
    )
    .unwrap();
    let org = OrgId(uuid::Uuid::nil());
    let sql =
        page_statement(org, &f, UserSort::UserName, SortOrder::Desc, 10, 20).to_string(sea_query::SqliteQueryBuilder);
    let (_, from_where) = sql.split_once(" WHERE ").unwrap();
    assert_eq!(
        from_where,
        r#""members"."org_id" = '00000000-0000-0000-0000-000000000000' AND "members"."status" <> 'archived' AND ((NOT ("members"."external_id" IS NOT NULL AND "members"."external_id" = 'x')) AND (("members"."email" >= 'ann' AND "members"."email" LIKE 'ann%' ESCAPE '\') OR LOWER("members"."name") LIKE '%50\%%' ESCAPE '\') AND (NOT ("members"."status" = 'active' OR "members"."created_at" > 1577836800000))) ORDER BY "members"."email" DESC, "members"."user_id" DESC LIMIT 20 OFFSET 10"#
    );
}
