//! Checking every row of an import before anything is written: the
//! address, the names, the roles (that exist, and that the importer may
//! give), the products (that exist, that the organization subscribes to,
//! and that their free seats suffice for the rows above), duplicates inside
//! the file, and each row against the member it names. The members are
//! read set-wise, a few queries per 500 rows, never one per row.

use std::collections::{BTreeMap, HashMap};

use roster_domain::imports::columns::{Column, Mapping};
use roster_domain::imports::file::Sheet;
use roster_domain::imports::job::{Counts, Holding, ImportMode, ImportStatus, Outcome, Wanted, changes, join_list};
use roster_domain::imports::rows::{RowInput, cell_ref, check_password_hash, read_rows};
use roster_domain::invitations::{display_name, parse_names};
use roster_domain::products::{ProductKey, SubscriptionStatus};
use roster_domain::{Email, MemberStatus, UserId};
use roster_store::imports::{self as store, ImportRowRecord};
use uuid::Uuid;

use crate::App;
use crate::access::{OrgAccess, Permission};
use crate::change::Change;
use crate::error::Result;
use crate::invariants::within_own_grants;
use crate::roles::RoleRecord;

/// A row being checked: its record so far, and what it resolved to.
struct Checking {
    rec: ImportRowRecord,
    name: Option<String>,
    roles: Option<Vec<String>>,
    products: Option<Vec<ProductKey>>,
    email_ok: bool,
}

impl Checking {
    fn fail(&mut self, cell: String, reason: impl Into<String>) {
        if self.rec.outcome != Outcome::Error {
            self.rec.outcome = Outcome::Error;
            self.rec.cell = cell;
            self.rec.reason = reason.into();
        }
    }
}

/// The role a cell names: by name (case-insensitively), key or id.
pub(crate) fn find_role<'a>(access: &'a OrgAccess, name: &str) -> Option<&'a RoleRecord> {
    let name = name.trim();
    access.policy.roles.iter().find(|r| r.name.eq_ignore_ascii_case(name)).or_else(|| access.policy.find_role(name))
}

/// The product a cell names: by key or name, case-insensitively.
fn find_product(app: &App, name: &str) -> Option<ProductKey> {
    let name = name.trim();
    app.config
        .catalogue
        .products
        .iter()
        .find(|p| p.key.as_str().eq_ignore_ascii_case(name) || p.name.eq_ignore_ascii_case(name))
        .map(|p| p.key.clone())
}

/// Checks every row of `sheet` below its header row `at`, writes the rows
/// with their outcomes (replacing earlier ones) and the counts, and
/// answers the counts. The import becomes `preview`.
pub(crate) async fn plan_into(
    app: &App,
    change: &mut Change<'_>,
    id: Uuid,
    sheet: &Sheet,
    at: usize,
    mapping: &Mapping,
    mode: ImportMode,
) -> Result<Counts> {
    let access = change.access.clone();
    let org = access.org.id;
    let col = |c: Column, line: u64| mapping.index_of(c).map(|i| cell_ref(i, line as u32)).unwrap_or_default();
    let mut rows: Vec<Checking> = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    for input in read_rows(sheet, at, mapping) {
        let input = match input {
            Ok(i) => i,
            Err(e) => {
                let mut c = blank(e.line as u64);
                c.fail(e.cell, format!("{}: {}", e.column, e.message));
                rows.push(c);
                continue;
            }
        };
        let mut c = read_one(app, &access, &input, &col);
        if c.email_ok {
            if let Some(first) = seen.get(&c.rec.email) {
                let reason = format!("the same address as row {first}: each person once");
                // The address is the row's first problem, whatever else it has.
                c.rec.outcome = Outcome::Create;
                c.fail(col(Column::Email, c.rec.line), reason);
            } else {
                seen.insert(c.rec.email.clone(), c.rec.line);
            }
        }
        rows.push(c);
    }
    compare_with_members(change, &access, &mut rows, mode, &col).await?;
    check_seats(app, change, &mut rows, &col).await?;
    let mut counts = Counts::default();
    let records: Vec<ImportRowRecord> = rows
        .into_iter()
        .map(|c| {
            counts.add(c.rec.outcome);
            c.rec
        })
        .collect();
    let total = records.len() as u64;
    store::replace_rows(&mut change.tx, org, id, &records).await?;
    let mapping_json =
        serde_json::Value::from(mapping.columns.iter().map(|c| c.map(|c| c.as_str().to_string())).collect::<Vec<_>>())
            .to_string();
    store::set_plan(&mut change.tx, org, id, ImportStatus::Preview, &mapping_json, total, counts).await?;
    Ok(counts)
}

fn blank(line: u64) -> Checking {
    Checking {
        rec: ImportRowRecord {
            line,
            email: String::new(),
            first_name: String::new(),
            last_name: String::new(),
            roles: None,
            products: None,
            password_hash: None,
            outcome: Outcome::Create,
            reason: String::new(),
            cell: String::new(),
            user_id: None,
            result: None,
        },
        name: None,
        roles: None,
        products: None,
        email_ok: false,
    }
}

/// Checks what a row says by itself.
fn read_one(app: &App, access: &OrgAccess, input: &RowInput, col: &impl Fn(Column, u64) -> String) -> Checking {
    let line = input.line as u64;
    let mut c = blank(line);
    c.rec.first_name = input.first_name.clone();
    c.rec.last_name = input.last_name.clone();
    c.rec.roles = join_list(&input.roles);
    c.rec.products = join_list(&input.products);
    c.rec.email = input.email.trim().to_lowercase();
    match Email::parse(&input.email) {
        Ok(e) => {
            c.rec.email = e.as_str().to_string();
            c.email_ok = true;
        }
        Err(e) => {
            let why = e.errors.first().map(|f| f.message.clone()).unwrap_or_else(|| "is not valid".into());
            c.fail(col(Column::Email, line), format!("'{}' is not an email address: {why}", input.email));
        }
    }
    let names_given = !input.first_name.trim().is_empty() || !input.last_name.trim().is_empty();
    if names_given {
        match parse_names(&input.first_name, &input.last_name) {
            Ok((f, l)) => c.name = Some(display_name(&f, &l)),
            Err(e) => {
                let f = e.errors.first();
                let column =
                    if f.is_some_and(|f| f.field == "last_name") { Column::LastName } else { Column::FirstName };
                let why = f.map(|f| f.message.clone()).unwrap_or_else(|| "is not valid".into());
                let label = if column == Column::LastName { "last name" } else { "first name" };
                c.fail(col(column, line), format!("the {label} {why}"));
            }
        }
    }
    if let Some(wanted) = &input.roles {
        let mut names = Vec::new();
        for w in wanted {
            match find_role(access, w) {
                None => {
                    let known: Vec<&str> = access.policy.roles.iter().map(|r| r.name.as_str()).collect();
                    c.fail(col(Column::Roles, line), format!("'{w}' is not a role here (roles: {})", known.join(", ")));
                }
                Some(r) => {
                    if let Err(e) = within_own_grants(access, &r.grants, &format!("giving '{}'", r.name)) {
                        c.fail(col(Column::Roles, line), e.to_string());
                    }
                    if !names.contains(&r.name) {
                        names.push(r.name.clone());
                    }
                }
            }
        }
        c.rec.roles = Some(names.join("; "));
        c.roles = Some(names);
    }
    if let Some(wanted) = &input.products {
        if !access.can(Permission::LICENSES_UPDATE) {
            c.fail(col(Column::Products, line), "you may not assign product licenses (licenses:update)");
        }
        let mut keys: Vec<ProductKey> = Vec::new();
        for w in wanted {
            match find_product(app, w) {
                Some(k) if !keys.contains(&k) => keys.push(k),
                Some(_) => {}
                None => c.fail(col(Column::Products, line), format!("'{w}' is not a product")),
            }
        }
        c.rec.products = Some(keys.iter().map(|k| k.as_str()).collect::<Vec<_>>().join("; "));
        c.products = Some(keys);
    }
    if let Some(hash) = input.password_hash.as_deref().filter(|h| !h.is_empty()) {
        match check_password_hash(hash) {
            Ok(()) if crate::hashing::scheme_of(hash).is_none() => c.fail(
                col(Column::PasswordHash, line),
                "the password hash's parameters are beyond what Roster verifies (its cost is too high, or it cannot be read)",
            ),
            Ok(()) => c.rec.password_hash = Some(hash.to_string()),
            Err(why) => c.fail(col(Column::PasswordHash, line), why),
        }
    }
    c
}

/// Compares each good row with the member its address names: a new
/// member is created; a member is updated, or unchanged, or (creating
/// only, or archived) the row is an error.
async fn compare_with_members(
    change: &mut Change<'_>,
    access: &OrgAccess,
    rows: &mut [Checking],
    mode: ImportMode,
    col: &impl Fn(Column, u64) -> String,
) -> Result<()> {
    let org = access.org.id;
    let emails: Vec<String> =
        rows.iter().filter(|c| c.rec.outcome != Outcome::Error).map(|c| c.rec.email.clone()).collect();
    let members = store::members_by_email(&mut change.tx, org, &emails).await?;
    let ids: Vec<UserId> = members.iter().map(|m| m.user_id).collect();
    let mut roles: BTreeMap<UserId, Vec<String>> = BTreeMap::new();
    for (u, r) in roster_store::roles::roles_of_members(&mut change.tx, org, &ids).await? {
        if let Some(role) = access.policy.role(r) {
            roles.entry(u).or_default().push(role.name.clone());
        }
    }
    let mut products: BTreeMap<UserId, Vec<String>> = BTreeMap::new();
    for (u, p) in roster_store::products::licenses_of_members(&mut change.tx, org, &ids).await? {
        products.entry(u).or_default().push(p.as_str().to_string());
    }
    let by_email: HashMap<&str, &roster_store::imports::MemberMatch> =
        members.iter().map(|m| (m.email.as_str(), m)).collect();
    for c in rows.iter_mut().filter(|c| c.rec.outcome != Outcome::Error) {
        let line = c.rec.line;
        let Some(m) = by_email.get(c.rec.email.as_str()) else {
            if c.name.is_none() {
                c.fail(col(Column::FirstName, line), "the first name is empty: a new member needs one");
            }
            continue;
        };
        c.rec.user_id = Some(m.user_id);
        if m.status == MemberStatus::Archived {
            c.fail(col(Column::Email, line), format!("{} is archived: restore them on the Users tab first", m.email));
            continue;
        }
        let held = Holding {
            name: m.name.clone(),
            roles: roles.get(&m.user_id).cloned().unwrap_or_default(),
            products: products.get(&m.user_id).cloned().unwrap_or_default(),
        };
        let wanted = Wanted {
            name: c.name.clone(),
            roles: c.roles.clone(),
            products: c.products.as_ref().map(|p| p.iter().map(|k| k.as_str().to_string()).collect()),
        };
        let note = if c.rec.password_hash.take().is_some() {
            "the password hash is ignored: an existing account keeps its password"
        } else {
            ""
        };
        if !changes(&held, &wanted) {
            c.rec.outcome = Outcome::Unchanged;
            c.rec.reason = note.into();
        } else if mode == ImportMode::Create {
            c.fail(
                col(Column::Email, line),
                format!("{} is a member already ({}): choose 'create and update' to change them", m.email, m.status),
            );
        } else {
            c.rec.outcome = Outcome::Update;
            c.rec.reason = note.into();
            // Only the products a member gains take seats.
            if let (Some(p), Some(h)) = (&mut c.products, products.get(&m.user_id)) {
                p.retain(|k| !h.iter().any(|x| x == k.as_str()));
            }
        }
    }
    Ok(())
}

/// Checks, in file order, that each product's free seats suffice for the
/// rows that take one.
async fn check_seats(
    app: &App,
    change: &mut Change<'_>,
    rows: &mut [Checking],
    col: &impl Fn(Column, u64) -> String,
) -> Result<()> {
    if !rows.iter().any(|c| c.products.as_ref().is_some_and(|p| !p.is_empty())) {
        return Ok(());
    }
    let org = change.access.org.id;
    let subs = roster_store::products::list_subscriptions(&mut change.tx, org).await?;
    let mut taken: BTreeMap<ProductKey, i64> = BTreeMap::new();
    for c in rows.iter_mut().filter(|c| c.rec.outcome.writes()) {
        let wanted = c.products.clone().unwrap_or_default();
        let mut refused = None;
        for k in &wanted {
            let name = app.config.catalogue.get(k.as_str()).map(|p| p.name.clone()).unwrap_or_else(|| k.to_string());
            let Some(s) = subs.iter().find(|s| &s.product == k) else {
                refused = Some(format!("the organization does not subscribe to {name}"));
                break;
            };
            if s.status == SubscriptionStatus::Canceled {
                refused = Some(format!("the subscription to {name} is canceled"));
                break;
            }
            let before = taken.get(k).copied().unwrap_or(0);
            if before + 1 > s.free() {
                refused = Some(format!(
                    "no free seat of {name}: {} free of {}, taken by the rows above",
                    s.free(),
                    s.license_count
                ));
                break;
            }
        }
        match refused {
            Some(why) => {
                let cell = col(Column::Products, c.rec.line);
                c.fail(cell, why);
            }
            None => {
                for k in wanted {
                    *taken.entry(k).or_default() += 1;
                }
            }
        }
    }
    Ok(())
}
