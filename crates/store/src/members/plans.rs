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
use super::filter::{HOLDERS_READ_MAX, SearchPath, Source, plan};
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

fn spec(filter: MemberFilter, sort: MemberSort, start: PageStart) -> ListSpec {
    ListSpec { filter, sort, order: SortOrder::Asc, start, limit: 50 }
}

fn quote() -> ProductKey {
    ProductKey::parse("quote").unwrap()
}

/// The index the directory walks for a sort, with or without a status.
fn sort_index(sort: MemberSort, status: bool) -> &'static str {
    match (sort, status) {
        (MemberSort::Email, false) => "members_org_email",
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
const HOLDERS_RANGE: &str = "SEARCH licenses USING COVERING INDEX licenses_product (org_id=? AND product=?)";
const MEMBER_BY_KEY: &str = "SEARCH members USING INDEX sqlite_autoindex_members_1 (org_id=? AND user_id=?)";

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
                // A common product: the sort order's index, each row probing its license.
                let plan =
                    explain(&mut conn, page_statement(Backend::Sqlite, org, &s, Source::Members, SearchPath::RowTest))
                        .await;
                let text = plan.join(" | ");
                assert!(plan[0].contains(&format!("USING INDEX {} (org_id=?", sort_index(sort, status))), "{text}");
                assert!(plan.iter().any(|p| p == LICENSE_PROBE), "{text}");
                assert!(!text.contains("TEMP B-TREE"), "a walk in sort order sorts nothing: {text}");
                // A rare product: its holders first, then their rows, sorted.
                let plan = explain(
                    &mut conn,
                    page_statement(Backend::Sqlite, org, &s, Source::ProductHolders, SearchPath::RowTest),
                )
                .await;
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
    // A role and a product: read from either's holders, the other probed.
    let both = product.clone().with_role(Some(RoleId::new()));
    let s = spec(both.clone(), MemberSort::Email, PageStart::Offset(0));
    let plan = explain(&mut conn, page_statement(Backend::Sqlite, org, &s, Source::Members, SearchPath::RowTest)).await;
    let text = plan.join(" | ");
    assert!(plan[0].contains("members_org_email") && text.contains(LICENSE_PROBE), "{text}");
    assert!(
        text.contains("SEARCH held EXISTS USING COVERING INDEX sqlite_autoindex_member_roles_1")
            && !text.contains("TEMP B-TREE"),
        "{text}"
    );
    let plan =
        explain(&mut conn, page_statement(Backend::Sqlite, org, &s, Source::ProductHolders, SearchPath::RowTest)).await;
    assert_eq!(plan[0], HOLDERS_RANGE, "{}", plan.join(" | "));
    let plan =
        explain(&mut conn, page_statement(Backend::Sqlite, org, &s, Source::RoleHolders, SearchPath::RowTest)).await;
    let text = plan.join(" | ");
    assert!(plan[0].starts_with("SEARCH member_roles USING COVERING INDEX member_roles_role"), "{text}");
    assert!(text.contains(LICENSE_PROBE), "{text}");
}

/// An organization of `n` members (every fifth disabled, every tenth
/// archived) whose member number `i` holds `quote` when `holds(i)` (archived
/// members hold none: archiving frees licenses). Answers the members in
/// number order.
async fn organization(db: &Db, n: usize, holds: impl Fn(usize) -> bool) -> (OrgId, Vec<NewMember>) {
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
    let sub = Subscription {
        product: quote(),
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
    crate::products::assign(&mut tx, org, &quote(), &holders, now).await.unwrap().unwrap();
    tx.commit().await.unwrap();
    (org, members)
}

/// Every page of a list read from `source`, following the cursor.
async fn read_all(conn: &mut Conn, org: OrgId, filter: &MemberFilter, sort: MemberSort, source: Source) -> Vec<Member> {
    let mut out: Vec<Member> = Vec::new();
    let mut start = PageStart::Offset(0);
    loop {
        let s = spec(filter.clone(), sort, start);
        let q = page_statement(Backend::Sqlite, org, &s, source, SearchPath::RowTest);
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
    let db = sqlite().await;
    let (org, members) = organization(&db, 700, |i| i % 3 != 1).await;
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
            let walked = read_all(&mut conn, org, &filter, sort, Source::Members).await;
            let held = read_all(&mut conn, org, &filter, sort, Source::ProductHolders).await;
            assert_eq!(walked, held, "{sort:?} {statuses:?}: the same rows in the same order");
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
        let rows =
            conn.fetch_all::<CountRow, _>(&count_statement(Backend::Sqlite, org, &filter, source)).await.unwrap();
        for s in MemberStatus::ALL {
            let expected = members.iter().filter(|m| m.status == s && holds.contains(&m.user_id)).count() as i64;
            let got = rows.iter().find(|r| r.status == s.as_str()).map_or(0, |r| r.n);
            assert_eq!(got, expected, "{source:?} {s}");
        }
    }
    let (counts, capped) = super::count_members(&mut conn, org, &filter).await.unwrap();
    assert!(!capped);
    assert_eq!(counts.archived, 0);
    assert_eq!(counts.active + counts.invited + counts.disabled, holds.len() as u64);
    // A product nobody holds, or one the organization does not have: nothing.
    let none = MemberFilter::default().with_product(Some(ProductKey::parse("analytics").unwrap()));
    let page = super::list_members(&mut conn, org, &spec(none.clone(), MemberSort::Email, PageStart::Offset(0)))
        .await
        .unwrap();
    assert!(page.items.is_empty());
    assert_eq!(super::count_members(&mut conn, org, &none).await.unwrap().0, Default::default());
}

#[tokio::test]
async fn a_rare_product_is_read_from_its_holders_a_common_one_in_sort_order() {
    let db = sqlite().await;
    let n = HOLDERS_READ_MAX as usize + 800;
    // Almost everyone but the archived holds quote: more than HOLDERS_READ_MAX.
    let (org, _) = organization(&db, n, |i| i % 50 != 0).await;
    let mut conn = db.conn().await.unwrap();
    let common = MemberFilter::default().with_product(Some(quote()));
    assert_eq!(plan(&mut conn, org, &common).await.unwrap().0, Source::Members);
    let rare = MemberFilter::default().with_product(Some(ProductKey::parse("analytics").unwrap()));
    assert_eq!(plan(&mut conn, org, &rare).await.unwrap().0, Source::ProductHolders);
    // The common product's page is the walk's, and its count stops at the cap's reading.
    let page = super::list_members(&mut conn, org, &spec(common.clone(), MemberSort::Email, PageStart::Offset(0)))
        .await
        .unwrap();
    assert_eq!(page.items.len(), 50);
    assert!(page.items.windows(2).all(|w| w[0].email < w[1].email));
}
