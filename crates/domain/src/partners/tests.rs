use super::*;
use crate::permissions::{Action, preset};

fn g(pairs: &[(&str, Actions)]) -> Grants {
    let mut out = Grants::default();
    for (r, a) in pairs {
        out.grant(r, *a);
    }
    out
}

#[test]
fn scope_reads_and_writes_the_contracts_three_forms() {
    let id = OrgGroupId::new();
    assert_eq!(serde_json::from_str::<Scope>("\"partner\"").unwrap(), Scope::Partner);
    assert_eq!(serde_json::from_str::<Scope>("\"all_customers\"").unwrap(), Scope::AllCustomers);
    let groups = serde_json::from_str::<Scope>(&format!("{{\"groups\":[\"{id}\"]}}")).unwrap();
    assert_eq!(groups, Scope::Groups(vec![id]));
    assert_eq!(serde_json::to_value(&groups).unwrap(), serde_json::json!({"groups": [id.to_string()]}));
    let name = |_| "North".to_string();
    assert_eq!(groups.words(name), "Groups: North");
    assert_eq!(Scope::AllCustomers.words(name), "All customers");
    let err = serde_json::from_str::<Scope>("\"everywhere\"").unwrap_err().to_string();
    assert!(err.contains("unknown scope 'everywhere'"), "{err}");
    assert!(serde_json::from_str::<Scope>("{\"groups\":[\"x\"]}").is_err());
}

#[test]
fn a_roles_customer_part_is_user_management_by_its_customers_grant_and_the_carried_resources() {
    let carried = vec!["org_billing".to_string()];
    let kam = g(&[("customers", Actions::EDIT), ("org_billing", Actions::VIEW), ("broker_billing", Actions::VIEW)]);
    let part = customer_grants(&kam, &carried, &[]);
    assert_eq!(part.on("members"), Actions::EDIT);
    assert_eq!(part.on("audit"), Actions::EDIT);
    assert_eq!(part.on("org_billing"), Actions::VIEW);
    assert_eq!(part.on("broker_billing"), Actions::NONE, "a broker row never applies inside a customer");
    assert_eq!(part.on("customers"), Actions::NONE);
    let viewer = customer_grants(&g(&[("customers", Actions::VIEW)]), &carried, &[]);
    assert_eq!(viewer.on("members"), Actions::VIEW);
    assert!(customer_grants(&g(&[("broker_pricing", Actions::EDIT)]), &carried, &[]).is_empty());
}

#[test]
fn coverage_is_the_union_of_the_assignments_that_cover_a_customer() {
    let (a, b) = (OrgGroupId::new(), OrgGroupId::new());
    let mut c = Coverage::default();
    c.add(Some(a), &g(&[("members", Actions::VIEW)]));
    c.add(Some(b), &g(&[("members", Actions::EDIT)]));
    assert!(!c.covers_all());
    assert_eq!(c.in_customer(&[a]).on("members"), Actions::VIEW);
    assert_eq!(c.in_customer(&[a, b]).on("members"), Actions::EDIT);
    assert!(c.in_customer(&[OrgGroupId::new()]).is_empty(), "a customer outside my groups");
    c.add(None, &g(&[("audit", Actions::VIEW)]));
    assert!(c.covers_all());
    assert_eq!(c.in_customer(&[]).on("audit"), Actions::VIEW);
}

#[test]
fn nobody_hands_out_a_scope_wider_than_their_own_or_a_role_beyond_theirs_in_it() {
    let (mine, other) = (OrgGroupId::new(), OrgGroupId::new());
    let name = |id: OrgGroupId| if id == mine { "North".to_string() } else { "South".to_string() };
    let mut kam = Coverage::default();
    kam.add(Some(mine), &g(&[("members", Actions::EDIT)]));
    let view = g(&[("members", Actions::VIEW)]);
    let edit_roles = g(&[("roles", Actions::EDIT)]);
    assert_eq!(kam.lacks(&Scope::Groups(vec![mine]), &view, name), None);
    assert!(kam.lacks(&Scope::AllCustomers, &view, name).unwrap().contains("wider than yours"));
    assert_eq!(kam.lacks(&Scope::Groups(vec![other]), &view, name).unwrap(), "the group South is outside your scope");
    assert!(
        kam.lacks(&Scope::Groups(vec![mine]), &edit_roles, name).unwrap().contains("inside the group North: roles")
    );
    let mut global = Coverage::default();
    global.add(None, &g(&[("members", Actions::EDIT), ("roles", Actions::EDIT)]));
    assert_eq!(global.lacks(&Scope::Groups(vec![other]), &edit_roles, name), None);
    assert_eq!(global.lacks(&Scope::AllCustomers, &edit_roles, name), None);
    assert_eq!(
        global.lacks(&Scope::Partner, &edit_roles, name),
        None,
        "the partner scope is judged by the organization"
    );
}

#[test]
fn the_broker_preset_reaches_customers_as_seed_004_says() {
    let p = preset("broker").unwrap();
    assert_eq!(p.customer_resources, ["org_approvals", "org_subscriptions", "org_pricing", "org_billing"]);
    for r in &p.roles {
        let expected = if r.name.starts_with("Global") || r.name == "Super Admin" {
            CustomerReach::All
        } else {
            CustomerReach::Groups
        };
        assert_eq!(r.customers, expected, "{}", r.name);
    }
    let sales = p.role("sales_agent").unwrap();
    let inside = customer_grants(&sales.grants, &p.customer_resources, &[]);
    assert!(inside.allows("org_subscriptions", Action::Update));
    assert!(!inside.allows("org_pricing", Action::Update));
    assert!(inside.allows("org_pricing", Action::Read));
    assert!(!inside.allows("broker_billing", Action::Read));
}

#[test]
fn customer_statuses_and_group_names_parse() {
    for s in CustomerStatus::ALL {
        assert_eq!(s.as_str().parse::<CustomerStatus>().unwrap(), s);
    }
    assert!("gone".parse::<CustomerStatus>().is_err());
    assert_eq!(parse_group_name("  North  ").unwrap(), "North");
    assert!(parse_group_name(" ").is_err());
    assert!(parse_group_name(&"x".repeat(101)).is_err());
}
