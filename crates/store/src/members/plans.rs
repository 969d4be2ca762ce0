//! The directory's role and product filters held to their indexes on
//! SQLite's plans (SQLite plans without statistics, so the plan a shape gets
//! is the plan it always gets), and the two ways of reading a product's
//! members held to the same answers.
//!
//! Walking the members in sort order, a role or a product is a probe of its
//! table's primary key (`(org_id, user_id, …)`) per row, and the page needs
//! no sort; read holders first, it is one range of `member_roles_role` or
//! `licenses_product` (`(org_id, role_id | product, user_id)`), each holder's
//! row fetched by the members' primary key, and only those rows sorted.

use std::collections::BTreeSet;

use roster_domain::members::{Cursor, Member, SortValue};
use roster_domain::products::{ProductKey, Subscription, SubscriptionStatus};
use roster_domain::{MemberFilter, MemberSort, MemberStatus, OrgId, RoleId, SortOrder, Timestamp, UserId};
use sea_query::{QueryBuilder, SelectStatement};
use sea_query_sqlx::{SqlxBinder, SqlxValues};

use super::bulk::ids_statement;
use super::counts::count_statement;
use super::filter::{HolderSets, Plan, SearchPath, Source, plan};
use super::list::page_statement;
use super::read::MemberRow;
use super::{ListSpec, NewMember, PageStart};
use crate::db::Conn;
use crate::orgs::OrgRecord;
use crate::users::UserRecord;
use crate::{Backend, Db};

/// A statement's query plan, asked for with SQLite's `EXPLAIN QUERY PLAN`.
struct Explain(SelectStatement);

impl SqlxBinder for Explain {
    fn build_sqlx<T: QueryBuilder>(&self, qb: T) -> (String, SqlxValues) {
        let (sql, values) = self.0.build_sqlx(qb);
        (format!("EXPLAIN QUERY PLAN {sql}"), values)
    }
}

#[derive(sqlx::FromRow)]
struct Step {
    detail: String,
}

async fn explain(conn: &mut Conn, q: SelectStatement) -> Vec<String> {
    conn.fetch_all::<Step, _>(&Explain(q)).await.unwrap().into_iter().map(|s| s.detail).collect()
}

async fn sqlite() -> Db {
    let dir = std::env::temp_dir().join(format!("roster-member-plans-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = Db::connect(dir.join("p.db").to_str().unwrap()).await.unwrap();
    db.migrate().await.unwrap();
    db
}

/// A fresh database of the backend the suite runs on (`ROSTER_TEST_DB`:
/// `sqlite`, or `postgres` on `ROSTER_TEST_PG_URL`'s server), for the tests
/// that hold answers rather than plans: each way of reading must answer the
/// same on both. Answers the PostgreSQL database's name, for [`drop_db`].
async fn fresh_db() -> (Db, Option<String>) {
    if std::env::var("ROSTER_TEST_DB").as_deref() != Ok("postgres") {
        return (sqlite().await, None);
    }
    let name = format!("roster_plans_{}", uuid::Uuid::now_v7().simple());
    pg_admin(&format!("CREATE DATABASE {name}")).await;
    let (base, _) = pg_admin_url().rsplit_once('/').map(|(b, d)| (b.to_string(), d.to_string())).unwrap();
    let db = Db::connect(&format!("{base}/{name}")).await.unwrap();
    db.migrate().await.unwrap();
    (db, Some(name))
}

fn pg_admin_url() -> String {
    std::env::var("ROSTER_TEST_PG_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

async fn pg_admin(sql: &str) {
    let Db::Postgres(admin) = Db::connect(&pg_admin_url()).await.unwrap() else { panic!("not a PostgreSQL URL") };
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string())).execute(&admin).await.unwrap();
    admin.close().await;
}

/// Closes a test's database, dropping it on PostgreSQL.
async fn drop_db(db: Db, pg_name: Option<String>) {
    db.close().await;
    if let Some(name) = pg_name {
        pg_admin(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
    }
}

fn spec(filter: MemberFilter, sort: MemberSort, start: PageStart) -> ListSpec {
    ListSpec { filter, sort, order: SortOrder::Asc, start, limit: 50 }
}

fn quote() -> ProductKey {
    ProductKey::parse("quote").unwrap()
}

/// The index the directory walks for a sort, with or without a status:
/// each holds the sort column and `user_id`, all a walk testing a role or a
/// product reads before it has chosen a page.
fn sort_index(sort: MemberSort, status: bool) -> &'static str {
    match (sort, status) {
        (MemberSort::Email, false) => "members_email",
        (MemberSort::Email, true) => "members_status_email",
        (MemberSort::Name, false) => "members_name",
        (MemberSort::Name, true) => "members_status_name",
        (MemberSort::Created, false) => "members_created",
        (MemberSort::Created, true) => "members_status_created",
        (MemberSort::LastActive, false) => "members_last_active",
        (MemberSort::LastActive, true) => "members_status_last_active",
    }
}

const LICENSE_PROBE: &str = "SEARCH licensed EXISTS USING PRIMARY KEY (org_id=? AND user_id=? AND product=?)";
const ROLE_PROBE: &str =
    "SEARCH held EXISTS USING COVERING INDEX sqlite_autoindex_member_roles_1 (org_id=? AND user_id=? AND role_id=?)";
const HOLDERS_RANGE: &str = "SEARCH licenses USING COVERING INDEX licenses_product (org_id=? AND product=?)";
const ROLE_HOLDERS_RANGE: &str = "SEARCH member_roles USING COVERING INDEX member_roles_role (org_id=? AND role_id=?)";
const MEMBER_BY_KEY: &str = "SEARCH members USING INDEX sqlite_autoindex_members_1 (org_id=? AND user_id=?)";

/// A walk's plan before it reads its page's rows (`SCAN page`), and after.
fn halves(plan: &[String]) -> (&[String], &[String]) {
    let at = plan.iter().position(|p| p == "SCAN page").unwrap_or_else(|| panic!("no page: {}", plan.join(" | ")));
    plan.split_at(at)
}

fn with_sets(role: bool, product: bool) -> Plan {
    Plan { sets: HolderSets { role, product }, ..Plan::new(Source::Members, SearchPath::RowTest) }
}

#[tokio::test]
async fn every_product_shape_reads_its_index_on_sqlite() {
    let db = sqlite().await;
    let mut conn = db.conn().await.unwrap();
    let org = OrgId::new();
    let product = MemberFilter::default().with_product(Some(quote()));
    let cursor = |sort| {
        let value = match sort {
            MemberSort::Email | MemberSort::Name => SortValue::Text("m".into()),
            MemberSort::Created | MemberSort::LastActive => SortValue::Time(Some(Timestamp(1))),
        };
        PageStart::Cursor(Cursor { sort, order: SortOrder::Asc, value, id: UserId::new(), backward: false })
    };
    for status in [false, true] {
        let filter = if status {
            MemberFilter { statuses: vec![MemberStatus::Disabled], ..product.clone() }
        } else {
            product.clone()
        };
        for sort in [MemberSort::Email, MemberSort::Name, MemberSort::Created, MemberSort::LastActive] {
            for start in [PageStart::Offset(0), cursor(sort)] {
                let s = spec(filter.clone(), sort, start);
                let walk = format!("SEARCH members USING COVERING INDEX {} (org_id=?", sort_index(sort, status));
                // A common product: the sort order's index alone, a probe per row,
                // then the page's rows by key (and a sort of the page only).
                let plan = explain(&mut conn, page_statement(Backend::Sqlite, org, &s, with_sets(false, false))).await;
                let text = plan.join(" | ");
                let (choose, read) = halves(&plan);
                assert!(choose.iter().any(|p| p.starts_with(&walk)), "{text}");
                assert!(choose.iter().any(|p| p == LICENSE_PROBE), "{text}");
                assert!(
                    !choose.iter().any(|p| p.contains("TEMP B-TREE")),
                    "a walk in sort order sorts nothing: {text}"
                );
                assert_eq!(read[1], MEMBER_BY_KEY, "{text}");
                // A commoner one: the same walk, its holders read once into a set.
                let plan = explain(&mut conn, page_statement(Backend::Sqlite, org, &s, with_sets(false, true))).await;
                let text = plan.join(" | ");
                let (choose, _) = halves(&plan);
                assert!(choose.iter().any(|p| p.starts_with(&walk)), "{text}");
                assert!(choose.iter().any(|p| p.starts_with("LIST SUBQUERY")), "{text}");
                assert!(choose.iter().any(|p| p == HOLDERS_RANGE), "{text}");
                assert!(!text.contains("licensed") && !choose.iter().any(|p| p.contains("TEMP B-TREE")), "{text}");
                // A rare one: its holders first, then their rows, sorted.
                let holders = Plan::new(Source::ProductHolders, SearchPath::RowTest);
                let plan = explain(&mut conn, page_statement(Backend::Sqlite, org, &s, holders)).await;
                let text = plan.join(" | ");
                assert_eq!(plan[0], HOLDERS_RANGE, "{text}");
                assert_eq!(plan[1], MEMBER_BY_KEY, "{text}");
                assert!(!text.contains("SCAN"), "{text}");
            }
        }
        // The capped count: the holders (streamed, so the cap stops the reading).
        let plan = explain(&mut conn, count_statement(Backend::Sqlite, org, &filter, Source::ProductHolders)).await;
        let text = plan.join(" | ");
        assert!(plan.iter().any(|p| p == HOLDERS_RANGE) && plan.iter().any(|p| p == MEMBER_BY_KEY), "{text}");
        assert!(!text.contains("SCAN members") && !text.contains("SCAN licenses"), "{text}");
        // With a search, a common product's count walks the members and probes.
        let plan = explain(&mut conn, count_statement(Backend::Sqlite, org, &filter, Source::Members)).await;
        assert!(plan.iter().any(|p| p == LICENSE_PROBE), "{}", plan.join(" | "));
        // A bulk change: the members' primary key by id, each row probing its license.
        let plan = explain(&mut conn, ids_statement(Backend::Sqlite, org, &filter, Some(UserId::new()), 1000)).await;
        let text = plan.join(" | ");
        assert_eq!(plan[0], "SEARCH members USING INDEX sqlite_autoindex_members_1 (org_id=? AND user_id>?)", "{text}");
        assert!(plan.iter().any(|p| p == LICENSE_PROBE), "{text}");
        assert!(!text.contains("TEMP B-TREE"), "{text}");
    }
    // A role and a product: read from either's holders, the other probed;
    // or walked, each probed or read into a set.
    let both = product.clone().with_role(Some(RoleId::new()));
    let s = spec(both.clone(), MemberSort::Email, PageStart::Offset(0));
    let plan = explain(&mut conn, page_statement(Backend::Sqlite, org, &s, with_sets(false, false))).await;
    let text = plan.join(" | ");
    let (choose, _) = halves(&plan);
    assert!(choose[1].starts_with("SEARCH members USING COVERING INDEX members_email"), "{text}");
    assert!(choose.iter().any(|p| p == LICENSE_PROBE) && choose.iter().any(|p| p == ROLE_PROBE), "{text}");
    let plan = explain(&mut conn, page_statement(Backend::Sqlite, org, &s, with_sets(true, true))).await;
    let text = plan.join(" | ");
    assert!(text.contains(HOLDERS_RANGE) && text.contains(ROLE_HOLDERS_RANGE), "{text}");
    assert!(!text.contains("EXISTS"), "{text}");
    let holders = Plan::new(Source::ProductHolders, SearchPath::RowTest);
    let plan = explain(&mut conn, page_statement(Backend::Sqlite, org, &s, holders)).await;
    assert_eq!(plan[0], HOLDERS_RANGE, "{}", plan.join(" | "));
    assert!(plan.iter().any(|p| p == ROLE_PROBE), "{}", plan.join(" | "));
    let holders = Plan::new(Source::RoleHolders, SearchPath::RowTest);
    let plan = explain(&mut conn, page_statement(Backend::Sqlite, org, &s, holders)).await;
    let text = plan.join(" | ");
    assert_eq!(plan[0], ROLE_HOLDERS_RANGE, "{text}");
    assert!(text.contains(LICENSE_PROBE), "{text}");
}

/// An organization of `n` members (every fifth disabled, every seventh
/// of the rest invited, every tenth archived); member number `i` holds each
/// product `(key, holds)` when `holds(i)` (archived members hold none:
/// archiving frees licenses). Answers the members in number order.
async fn organization(db: &Db, n: usize, products: &[(&str, &dyn Fn(usize) -> bool)]) -> (OrgId, Vec<NewMember>) {
    let org = OrgId::new();
    let now = Timestamp(1_700_000_000_000);
    let mut tx = db.begin().await.unwrap();
    let record = OrgRecord {
        id: org,
        slug: format!("plans-{}", org.0.simple()),
        name: "Plans".into(),
        owner_id: None,
        created_at: now,
        preset: "account-owner".into(),
        partner: false,
        owner_transfer: true,
        authz_version: 0,
        parent_id: None,
    };
    crate::orgs::insert_org(&mut tx, &record).await.unwrap();
    let mut users = Vec::new();
    let mut members = Vec::new();
    for i in 0..n {
        let status = match i {
            _ if i % 10 == 9 => MemberStatus::Archived,
            _ if i % 5 == 3 => MemberStatus::Disabled,
            _ if i % 7 == 6 => MemberStatus::Invited,
            _ => MemberStatus::Active,
        };
        // Emails in another order than ids and creation.
        let email = format!("{}.m{i}@plans.test", ["zoe", "ann", "max", "eve", "bob"][i % 5]);
        let user = UserRecord {
            id: UserId::new(),
            email: email.clone(),
            name: format!("Member {}", n - i),
            password_hash: None,
            email_confirmed: true,
            created_at: Timestamp(now.0 - i as i64),
            locked_at: None,
        };
        members.push(NewMember {
            org_id: org,
            user_id: user.id,
            email,
            name: user.name.clone(),
            status,
            created_at: user.created_at,
            last_active_at: (i % 3 != 0).then_some(Timestamp(now.0 - 1000 * i as i64)),
        });
        users.push(user);
    }
    crate::users::insert_users(&mut tx, &users).await.unwrap();
    super::insert_members(&mut tx, &members).await.unwrap();
    for (key, holds) in products {
        let key = ProductKey::parse(key).unwrap();
        let sub = Subscription {
            product: key.clone(),
            status: SubscriptionStatus::Active,
            license_count: n as i64,
            used: 0,
            held_by_disabled: 0,
            trial: None,
            settings: Default::default(),
            created_at: now,
            updated_at: now,
        };
        crate::products::insert_subscription(&mut tx, org, &sub).await.unwrap();
        let holders: Vec<UserId> = members
            .iter()
            .enumerate()
            .filter(|(i, m)| m.status != MemberStatus::Archived && holds(*i))
            .map(|(_, m)| m.user_id)
            .collect();
        crate::products::assign(&mut tx, org, &key, &holders, now).await.unwrap().unwrap();
    }
    tx.commit().await.unwrap();
    (org, members)
}

/// Every page of a list read as `plan` says, following the cursor.
async fn read_all(conn: &mut Conn, org: OrgId, filter: &MemberFilter, sort: MemberSort, plan: Plan) -> Vec<Member> {
    let mut out: Vec<Member> = Vec::new();
    let mut start = PageStart::Offset(0);
    loop {
        let s = spec(filter.clone(), sort, start);
        let q = page_statement(conn.backend(), org, &s, plan);
        let rows: Vec<Member> =
            conn.fetch_all::<MemberRow, _>(&q).await.unwrap().into_iter().map(|r| r.try_into().unwrap()).collect();
        let more = rows.len() > 50;
        out.extend(rows.into_iter().take(50));
        if !more {
            return out;
        }
        let last = out.last().unwrap();
        start = PageStart::Cursor(Cursor {
            sort,
            order: SortOrder::Asc,
            value: last.sort_value(sort),
            id: last.user_id,
            backward: false,
        });
    }
}

#[tokio::test]
async fn a_product_reads_the_same_members_either_way() {
    let (db, pg_name) = fresh_db().await;
    let (org, members) = organization(&db, 700, &[("quote", &|i| i % 3 != 1)]).await;
    let mut conn = db.conn().await.unwrap();
    let holds: BTreeSet<UserId> = {
        let held: Vec<UserId> = members
            .iter()
            .enumerate()
            .filter(|(i, m)| m.status != MemberStatus::Archived && i % 3 != 1)
            .map(|(_, m)| m.user_id)
            .collect();
        held.into_iter().collect()
    };
    for statuses in [vec![], vec![MemberStatus::Disabled], vec![MemberStatus::Active, MemberStatus::Invited]] {
        let filter = MemberFilter { statuses: statuses.clone(), ..MemberFilter::default() }.with_product(Some(quote()));
        let expected: BTreeSet<UserId> = members
            .iter()
            .filter(|m| holds.contains(&m.user_id) && (statuses.is_empty() || statuses.contains(&m.status)))
            .map(|m| m.user_id)
            .collect();
        for sort in [MemberSort::Email, MemberSort::Name, MemberSort::Created, MemberSort::LastActive] {
            let walked = read_all(&mut conn, org, &filter, sort, with_sets(false, false)).await;
            let set = read_all(&mut conn, org, &filter, sort, with_sets(false, true)).await;
            let held =
                read_all(&mut conn, org, &filter, sort, Plan::new(Source::ProductHolders, SearchPath::RowTest)).await;
            assert_eq!(walked, held, "{sort:?} {statuses:?}: the same rows in the same order");
            assert_eq!(walked, set, "{sort:?} {statuses:?}: the same rows in the same order");
            assert_eq!(walked.iter().map(|m| m.user_id).collect::<BTreeSet<_>>(), expected, "{sort:?} {statuses:?}");
            assert_eq!(walked.len(), expected.len(), "no member twice");
        }
        // The bulk selection by id.
        let mut selected = BTreeSet::new();
        let mut after = None;
        let wanted = if statuses.is_empty() { MemberStatus::ALL.to_vec() } else { statuses.clone() };
        loop {
            let batch = super::select_member_ids(&mut conn, org, &filter, &wanted, after, 64).await.unwrap();
            let Some((last, _)) = batch.last() else { break };
            after = Some(*last);
            selected.extend(batch.iter().map(|(u, _)| *u));
        }
        assert_eq!(selected, expected, "{statuses:?}");
    }
    // The badges: per status, the same either way, none archived.
    let filter = MemberFilter::default().with_product(Some(quote()));
    for source in [Source::Members, Source::ProductHolders] {
        #[derive(sqlx::FromRow)]
        struct CountRow {
            status: String,
            n: i64,
        }
        let rows = conn.fetch_all::<CountRow, _>(&count_statement(conn.backend(), org, &filter, source)).await.unwrap();
        for s in MemberStatus::ALL {
            let expected = members.iter().filter(|m| m.status == s && holds.contains(&m.user_id)).count() as i64;
            let got = rows.iter().find(|r| r.status == s.as_str()).map_or(0, |r| r.n);
            assert_eq!(got, expected, "{source:?} {s}");
        }
    }
    // The list's badges come from the subscription's counters, exactly.
    let (counts, capped) = super::count_members(&mut conn, org, &filter).await.unwrap();
    assert!(!capped);
    for s in MemberStatus::ALL {
        let expected = members.iter().filter(|m| m.status == s && holds.contains(&m.user_id)).count() as u64;
        assert_eq!(counts.get(s), expected, "{s}");
    }
    // A product nobody holds, or one the organization does not have: nothing.
    let none = MemberFilter::default().with_product(Some(ProductKey::parse("analytics").unwrap()));
    let page = super::list_members(&mut conn, org, &spec(none.clone(), MemberSort::Email, PageStart::Offset(0)))
        .await
        .unwrap();
    assert!(page.items.is_empty());
    assert_eq!(super::count_members(&mut conn, org, &none).await.unwrap().0, Default::default());
    drop(conn);
    drop_db(db, pg_name).await;
}

#[tokio::test]
async fn each_product_is_read_the_way_its_holders_count_calls_for() {
    let (db, pg_name) = fresh_db().await;
    // 5,800 members, pages of 51: holders first below 136 holders, a set below 1,539.
    let n = 5_800;
    let (org, _) = organization(
        &db,
        n,
        &[("quote", &|i| i % 50 != 0), ("intake", &|i| i % 10 == 0), ("analytics", &|i| i % 100 == 0)],
    )
    .await;
    let mut conn = db.conn().await.unwrap();
    let with = |key: &str| MemberFilter::default().with_product(Some(ProductKey::parse(key).unwrap()));
    let plan_of = |p: Plan| (p.source, p.sets.product);
    assert_eq!(plan_of(plan(&mut conn, org, &with("quote"), 51).await.unwrap()), (Source::Members, false));
    assert_eq!(plan_of(plan(&mut conn, org, &with("intake"), 51).await.unwrap()), (Source::Members, true));
    assert_eq!(plan_of(plan(&mut conn, org, &with("analytics"), 51).await.unwrap()), (Source::ProductHolders, false));
    assert_eq!(
        plan(&mut conn, org, &with("ghost"), 51).await.unwrap().source,
        Source::ProductHolders,
        "nobody holds it"
    );
    // Within a status, by the holders there: no disabled member holds intake,
    // so its holders are read; nearly every disabled one holds quote.
    let disabled = |key: &str| MemberFilter { statuses: vec![MemberStatus::Disabled], ..with(key) };
    assert_eq!(plan_of(plan(&mut conn, org, &disabled("intake"), 51).await.unwrap()), (Source::ProductHolders, false));
    assert_eq!(plan_of(plan(&mut conn, org, &disabled("quote"), 51).await.unwrap()), (Source::Members, false));
    // With an address condition, the few rows of the email index are probed.
    let address =
        MemberFilter::parse("", "", "ann*", vec![]).unwrap().with_product(Some(ProductKey::parse("intake").unwrap()));
    assert_eq!(plan_of(plan(&mut conn, org, &address, 51).await.unwrap()), (Source::Members, false));
    // Each way answers the same pages as the others (the list by its planned way).
    for f in [with("quote"), with("intake"), with("analytics"), disabled("intake"), disabled("quote")] {
        let key = f.product.clone().unwrap();
        let planned = plan(&mut conn, org, &f, 51).await.unwrap();
        let mine = read_all(&mut conn, org, &f, MemberSort::Name, planned).await;
        let walked = read_all(&mut conn, org, &f, MemberSort::Name, with_sets(false, false)).await;
        assert_eq!(mine, walked, "{key}");
        let page = super::list_members(&mut conn, org, &spec(f.clone(), MemberSort::Name, PageStart::Offset(0)))
            .await
            .unwrap();
        assert_eq!(page.items, mine[..50.min(mine.len())], "{key}");
    }
    drop(conn);
    drop_db(db, pg_name).await;
}
