//! The presets against the product documents' own tables.

use super::*;

fn level(p: &Preset, role: &str, resource: &str) -> Level {
    p.role(role).unwrap_or_else(|| panic!("{} has no role {role}", p.key)).grants.on(resource).level()
}

#[test]
fn every_preset_parses_with_the_expected_keys() {
    let keys: Vec<String> = presets().into_iter().map(|p| p.key).collect();
    assert_eq!(keys, ["account-owner", "super-user", "owner-admin-user", "payments", "broker"]);
    for p in presets() {
        assert!(!p.roles.is_empty());
        let owner = p.role(&p.owner_role).unwrap();
        // The owner's role covers every other role of its preset.
        for r in &p.roles {
            assert!(r.grants.missing_from(&owner.grants).is_empty(), "{}: owner lacks {}'s grants", p.key, r.key);
        }
    }
}

/// Seed 004's matrix, as the document prints it.
const BROKER_MATRIX: &str = "\
Permission / Role | Super Admin | Global Admin | Global View Only Admin | Global Support Admin | Global Billing Admin | Key Account Manager | Key Account View Only Manager | Limited Key Account Manager | Sales Agent |
Broker settings | ✍️ | 🧐 | 🧐 | ❌ | ❌ | ❌ | ❌ | ❌ | ❌ |
Broker users | ✍️ | ✍️ | 🧐 | ❌ | ❌ | ❌ | ❌ | ❌ | ❌ |
Broker pricing | ✍️ | ✍️ | 🧐 | 🧐 | ✍️ | ❌ | ❌ | ❌ | ❌ |
Broker billing | ✍️ | ✍️ | 🧐 | ❌ | ✍️ | 🧐 | 🧐 | 🧐 | 🧐 |
Organization approvals | ✍️ | ✍️ | 🧐 | ✍️ | ❌ | ✍️ | 🧐 | 🧐 | 🧐 |
Organization subscriptions | ✍️ | ✍️ | 🧐 | ✍️ | ❌ | ✍️ | 🧐 | ✍️ | ✍️ |
Organization pricing | ✍️ | ✍️ | 🧐 | ✍️ | ❌ | ✍️ | 🧐 | ✍️ | 🧐 |
Organization billing | ✍️ | ✍️ | 🧐 | ✍️ | ❌ | 🧐 | 🧐 | 🧐 | 🧐 |";

#[test]
fn broker_preset_renders_seed_004s_matrix_cell_by_cell() {
    let p = preset("broker").unwrap();
    let mut lines = BROKER_MATRIX.lines();
    let header: Vec<&str> = lines.next().unwrap().split('|').map(str::trim).filter(|s| !s.is_empty()).skip(1).collect();
    assert_eq!(header.len(), 9);
    let mut cells = 0;
    for line in lines {
        let cols: Vec<&str> = line.split('|').map(str::trim).filter(|s| !s.is_empty()).collect();
        // "Broker users" is Roster's own members resource; the rest carry the seed's wording as labels.
        let resource = if cols[0] == "Broker users" {
            "members".to_string()
        } else {
            p.resources
                .iter()
                .find(|r| r.label == cols[0])
                .unwrap_or_else(|| panic!("no resource labelled {}", cols[0]))
                .key
                .clone()
        };
        for (role_name, mark) in header.iter().zip(&cols[1..]) {
            let role = p.roles.iter().find(|r| r.name == *role_name).unwrap_or_else(|| panic!("no role {role_name}"));
            let expected = match *mark {
                "✍️" => Level::Edit,
                "🧐" => Level::View,
                "❌" => Level::None,
                other => panic!("unknown mark {other}"),
            };
            assert_eq!(role.grants.on(&resource).level(), expected, "{role_name} on {}", cols[0]);
            cells += 1;
        }
    }
    assert_eq!(cells, 8 * 9);
}

/// Seed 000's comparison, as the document prints it (✅ / ❌ for User, Billing Manager, Account Owner).
const ACCOUNT_OWNER_TABLE: [(&str, [bool; 3]); 7] = [
    ("Access assigned products", [true, true, true]),
    ("Create new users", [false, true, true]),
    ("Change user roles", [false, true, true]),
    ("Assign or remove product licenses", [false, true, true]),
    ("Manage billing & subscriptions", [false, true, true]),
    ("Update credit card on file", [false, true, true]),
    ("Full organization access", [false, false, true]),
];

/// What each of seed 000's capabilities means in grants.
fn capability(g: &Grants, row: &str) -> bool {
    use Action::*;
    match row {
        "Access assigned products" => g.allows("products", Read),
        "Create new users" => g.allows("members", Create) && g.allows("invitations", Create),
        "Change user roles" => g.allows("members", Update) && g.allows("roles", Read),
        "Assign or remove product licenses" => g.allows("licenses", Create) && g.allows("licenses", Delete),
        "Manage billing & subscriptions" => g.on("billing") == Actions::EDIT && g.on("subscriptions") == Actions::EDIT,
        "Update credit card on file" => g.allows("payment_method", Update),
        "Full organization access" => ROSTER_RESOURCES[..10].iter().all(|(r, _, _)| g.on(r) == Actions::EDIT),
        other => panic!("unknown capability {other}"),
    }
}

#[test]
fn account_owner_preset_renders_seed_000s_comparison_cell_by_cell() {
    let p = preset("account-owner").unwrap();
    let names: Vec<&str> = p.roles.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["User", "Billing Manager", "Account Owner"]);
    for (row, expected) in ACCOUNT_OWNER_TABLE {
        for (role, want) in p.roles.iter().zip(expected) {
            assert_eq!(capability(&role.grants, row), want, "{} / {row}", role.name);
        }
    }
}

#[test]
fn super_user_preset_follows_seed_001() {
    let p = preset("super-user").unwrap();
    // User management is for administrators only.
    assert_eq!(level(&p, "user", "members"), Level::None);
    assert_eq!(level(&p, "administrator", "members"), Level::Edit);
    assert_eq!(level(&p, "administrator", "service_accounts"), Level::Edit);
    for r in ["profiles", "environments", "templates", "agents", "platform_administration"] {
        assert_eq!(level(&p, "super_user", r), Level::Edit, "{r}");
    }
    assert_eq!(level(&p, "user", "profiles"), Level::View);
    // The administrator cannot hand out Super User: it lacks grants Super User has.
    let admin = &p.role("administrator").unwrap().grants;
    assert!(!p.role("super_user").unwrap().grants.missing_from(admin).is_empty());
}

#[test]
fn owner_admin_user_preset_follows_seed_002() {
    let p = preset("owner-admin-user").unwrap();
    assert!(!p.owner_transfer, "002: the owner cannot transfer ownership");
    // Admins can't access Sub-Accounts or Subscriptions; nor can Users.
    for role in ["admin", "user"] {
        assert_eq!(level(&p, role, "sub_accounts"), Level::None, "{role}");
        assert_eq!(level(&p, role, "subscriptions"), Level::None, "{role}");
    }
    // Admins create Admins and Users; Users manage nobody.
    assert_eq!(level(&p, "admin", "members"), Level::Edit);
    assert_eq!(level(&p, "user", "members"), Level::None);
    // An Admin cannot give permissions it does not have: the Owner's exceed it.
    let admin = &p.role("admin").unwrap().grants;
    let lacking = p.role("owner").unwrap().grants.missing_from(admin);
    assert!(lacking.iter().any(|(r, _)| r == "sub_accounts"), "{lacking:?}");
    // By default users get full permission on every application.
    for r in ["dashboard", "contacts", "conversations", "reporting"] {
        assert_eq!(level(&p, "user", r), Level::Edit, "{r}");
    }
}

#[test]
fn payments_preset_follows_seed_003() {
    let p = preset("payments").unwrap();
    let names: Vec<&str> = p.roles.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["Owner", "Admin", "System Integrator", "Payment Management", "Reporting"]);
    let modules =
        ["transactions", "recovery_profiles", "analytics_reports", "api_integrations", "payments", "customer_support"];
    for m in modules {
        assert_eq!(level(&p, "owner", m), Level::Edit, "owner: full access to all modules ({m})");
        let admin = p.role("admin").unwrap().grants.on(m);
        assert!(
            admin.contains(Action::Read) && admin.contains(Action::Create) && admin.contains(Action::Update),
            "admin on {m}"
        );
    }
    assert_eq!(level(&p, "system_integrator", "api_integrations"), Level::Edit);
    assert_eq!(level(&p, "payment_management", "payments"), Level::Edit);
    assert_eq!(level(&p, "payment_management", "customer_support"), Level::Edit);
    let reporting = p.role("reporting").unwrap().grants.on("analytics_reports");
    assert!(
        reporting.contains(Action::Read) && reporting.contains(Action::Create),
        "view analytics and generate reports"
    );
    assert_eq!(level(&p, "reporting", "members"), Level::None);
}

#[test]
fn grants_algebra() {
    let mut a = Grants::default();
    a.grant("members", Actions::VIEW);
    let mut b = Grants::default();
    b.grant("members", [Action::Update].into_iter().collect());
    b.grant("roles", Actions::EDIT);
    let u = a.union(&b);
    assert!(u.allows("members", Action::Read) && u.allows("members", Action::Update));
    assert_eq!(u.on("members").level(), Level::Custom);
    assert_eq!(u.on("roles").level(), Level::Edit);
    assert_eq!(u.on("audit").level(), Level::None);
    assert!(a.missing_from(&u).is_empty());
    let missing = u.missing_from(&a);
    assert_eq!(missing.len(), 2);
    assert_eq!(u.to_string(), "members:read+update, roles:read+create+update+delete");
    assert!(parse_preset(r#"{"key":"x","name":"x","description":"","roles":[{"key":"r","name":"R","description":"","grants":{"nope":"edit"}}],"owner_role":"r","owner_transfer":true}"#).is_err());
}
