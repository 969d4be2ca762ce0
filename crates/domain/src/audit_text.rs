//! An audit event's details in words, for the History tab and the exports:
//! "Role changed from User to Billing Manager", "Status changed from Active
//! to Disabled (bulk change)", never the stored JSON.
//!
//! The details are what the use cases wrote (`before`/`after` of the changed
//! fields, plus a few keys of their own, such as `bulk` or `expires_at`).
//! Each known key has its words here; an unknown key is still written as
//! words ("Flag: yes"), so an event written by a later version reads too.

use serde_json::{Map, Value};

use crate::MemberStatus;
use crate::audit::AuditAction;

/// A sentence per fact, joined by ". ": what changed first, then the
/// action's own details. An event without details says what the action is.
pub fn summary(action: AuditAction, details: &Value) -> String {
    let empty = Map::new();
    let d = details.as_object().unwrap_or(&empty);
    let mut parts: Vec<String> = Vec::new();
    let mut used: Vec<&str> = vec!["before", "after"];
    match action {
        AuditAction::MemberAdded => {
            if let Some(a) = d.get("after").and_then(Value::as_object) {
                let mut s = String::from("Added");
                if let Some(e) = a.get("email") {
                    s += &format!(" {}", words(e));
                }
                if let Some(st) = a.get("status") {
                    s += &format!(" as {}", status(st));
                }
                if let Some(r) = a.get("roles").filter(|r| !is_empty(r)) {
                    s += &format!(" with the {} {}", plural(r, "role", "roles"), words(r));
                }
                parts.push(s);
                if a.get("owner").and_then(Value::as_bool) == Some(true) {
                    parts.push("Owner of the organization".into());
                }
            }
        }
        AuditAction::MemberSeeded => {
            used.extend(["count", "seed"]);
            let count = match d.get("count") {
                Some(Value::Number(n)) if n.is_u64() => group_digits(n.as_u64().unwrap_or_default()),
                Some(other) => words(other),
                None => "some".into(),
            };
            let seed = d.get("seed").map(|s| format!(" (seed {})", words(s))).unwrap_or_default();
            parts.push(format!("Generated {count} members{seed}"));
        }
        AuditAction::MemberRolesChanged => {
            used.extend(["added", "removed", "reason"]);
            match (d.get("before").and_then(|b| b.get("roles")), d.get("after").and_then(|a| a.get("roles"))) {
                (Some(b), Some(a)) => parts.push(roles_change(b, a)),
                _ => {
                    // A role deleted with its members moved to another: only what moved.
                    if let (Some(r), Some(a)) = (d.get("removed"), d.get("added")) {
                        parts.push(roles_change(r, a));
                    }
                }
            }
            if let Some(r) = d.get("reason") {
                parts.push(format!("Because the {}", reason(r)));
            }
        }
        AuditAction::MemberGrantsChanged => {
            if let (Some(b), Some(a)) =
                (d.get("before").and_then(|b| b.get("grants")), d.get("after").and_then(|a| a.get("grants")))
            {
                parts.push(format!("Own permissions changed from {} to {}", grants(b), grants(a)));
            }
        }
        AuditAction::UserPasswordSet => {
            used.extend(["via", "sessions_ended"]);
            let via = d.get("via").map(|v| format!(" through a {}", words(v))).unwrap_or_default();
            parts.push(format!("Password set{via}"));
            if let Some(n) = d.get("sessions_ended").and_then(Value::as_u64) {
                parts.push(count_sentence(n, "session ended", "sessions ended"));
            }
        }
        AuditAction::RoleCreated => {
            used.extend(["copied_from"]);
            if let Some(a) = d.get("after").and_then(Value::as_object) {
                let name = a.get("name").map(quoted).unwrap_or_default();
                parts.push(format!(
                    "Role {name} created with the permissions {}",
                    a.get("grants").map(grants).unwrap_or_else(|| "none".into())
                ));
                if let Some(desc) = a.get("description").filter(|v| !is_empty(v)) {
                    parts.push(format!("Description: {}", quoted(desc)));
                }
            }
            if let Some(c) = d.get("copied_from") {
                parts.push(format!("A copy of {}", words(c)));
            }
        }
        AuditAction::RoleUpdated => parts.extend(changes(d)),
        AuditAction::RoleDeleted => {
            used.extend(["reassigned_to", "members_moved"]);
            if let Some(b) = d.get("before").and_then(Value::as_object) {
                let name = b.get("name").map(quoted).unwrap_or_default();
                parts.push(format!(
                    "Role {name} deleted; it granted {}",
                    b.get("grants").map(grants).unwrap_or_else(|| "none".into())
                ));
            }
            let moved = d.get("members_moved").and_then(Value::as_u64).unwrap_or(0);
            match d.get("reassigned_to").filter(|v| !v.is_null()) {
                Some(t) => parts.push(format!("{} moved to {}", count_sentence(moved, "member", "members"), quoted(t))),
                None if moved > 0 => parts.push(count_sentence(moved, "member lost it", "members lost it")),
                None => {}
            }
        }
        AuditAction::OrganizationCreated => {
            if let Some(a) = d.get("after").and_then(Value::as_object) {
                let name = a.get("name").map(quoted).unwrap_or_default();
                let slug = a.get("slug").map(|s| format!(" ({})", words(s))).unwrap_or_default();
                parts.push(format!("Organization {name}{slug} created"));
                if let Some(p) = a.get("preset") {
                    parts.push(format!("Role preset {}", words(p)));
                }
                if let Some(o) = a.get("owner") {
                    parts.push(format!("Owner {}", words(o)));
                }
            }
        }
        AuditAction::OrganizationPresetInstalled => {
            if let Some(p) = d.get("after").and_then(|a| a.get("preset")) {
                parts.push(format!("Role preset {} installed", words(p)));
            }
        }
        AuditAction::InvitationSent => {
            used.extend(["invitation", "roles", "grants", "email_sent", "expires_at"]);
            let email = d.get("after").and_then(|a| a.get("email")).map(words).unwrap_or_default();
            let mut s = format!("Invited {email}").trim_end().to_string();
            if let Some(r) = d.get("roles").filter(|r| !is_empty(r)) {
                s += &format!(" with the {} {}", plural(r, "role", "roles"), words(r));
            }
            parts.push(s);
            if let Some(g) = d.get("grants").filter(|g| !is_empty(g)) {
                parts.push(format!("Own permissions {}", grants(g)));
            }
            parts.extend(email_sent(d));
            parts.extend(expires(d, "expires_at", "Link expires"));
        }
        AuditAction::InvitationResent => {
            used.extend(["invitation", "email", "resend_count", "expires_at"]);
            let email = d.get("email").map(|e| format!(" to {}", words(e))).unwrap_or_default();
            let times = d
                .get("resend_count")
                .and_then(Value::as_u64)
                .map(|n| format!(" ({})", times_sent_again(n)))
                .unwrap_or_default();
            parts.push(format!("Invitation{email} sent again with a new link{times}"));
            parts.extend(expires(d, "expires_at", "Link expires"));
        }
        AuditAction::InvitationCanceled => {
            used.extend(["invitation", "email"]);
            let email = d.get("email").map(|e| format!(" to {}", words(e))).unwrap_or_default();
            parts.push(format!("Invitation{email} canceled; its link no longer works"));
        }
        AuditAction::InvitationAccepted => {
            used.extend(["invitation", "new_account"]);
            parts.extend(changes(d));
            match d.get("new_account").and_then(Value::as_bool) {
                Some(true) => parts.push("Accepted with a new account".into()),
                Some(false) => parts.push("Accepted with an existing account".into()),
                None => {}
            }
        }
        AuditAction::InvitationExpired => {
            used.extend(["invitation", "email", "expired_at"]);
            let email = d.get("email").map(|e| format!(" to {}", words(e))).unwrap_or_default();
            let when =
                d.get("expired_at").and_then(Value::as_i64).map(|t| format!(" on {}", date(t))).unwrap_or_default();
            parts.push(format!("Invitation{email} expired{when} without being accepted"));
        }
        AuditAction::AccessRequestCreated => {
            used.extend(["request", "email", "message", "via"]);
            let email = d.get("email").map(|e| format!(" {}", words(e))).unwrap_or_default();
            let via = match d.get("via").and_then(Value::as_str) {
                Some("join_link") => " through the join link".to_string(),
                Some("email_domain") => " as a member of the organization's email domain".to_string(),
                Some(other) => format!(" ({other})"),
                None => String::new(),
            };
            parts.push(format!("Access requested by{email}{via}"));
            if let Some(m) = d.get("message").and_then(Value::as_str).filter(|m| !m.is_empty()) {
                parts.push(format!("Message “{}”", m.replace('\n', " ")));
            }
        }
        AuditAction::AccessRequestApproved => {
            used.extend(["request", "email", "roles", "products"]);
            let email = d.get("email").map(|e| format!(" of {}", words(e))).unwrap_or_default();
            let mut s = format!("Access request{email} approved");
            if let Some(r) = d.get("roles").filter(|r| !is_empty(r)) {
                s += &format!(" with the {} {}", plural(r, "role", "roles"), words(r));
            }
            parts.push(s);
            if let Some(p) = d.get("products").filter(|p| !is_empty(p)) {
                parts.push(format!("Product licenses {}", words(p)));
            }
            parts.extend(changes(d));
        }
        AuditAction::AccessRequestDenied => {
            used.extend(["request", "email", "reason"]);
            let email = d.get("email").map(|e| format!(" of {}", words(e))).unwrap_or_default();
            parts.push(format!("Access request{email} denied"));
            if let Some(r) = d.get("reason").and_then(Value::as_str).filter(|r| !r.is_empty()) {
                parts.push(format!("Reason “{}”", r.replace('\n', " ")));
            }
        }
        AuditAction::AccessRequestWithdrawn => {
            used.extend(["request", "email"]);
            let email = d.get("email").map(|e| format!(" of {}", words(e))).unwrap_or_default();
            parts.push(format!("Access request{email} withdrawn by the requester"));
        }
        AuditAction::AccessRequestExpired => {
            used.extend(["request", "email", "expired_at"]);
            let email = d.get("email").map(|e| format!(" of {}", words(e))).unwrap_or_default();
            let when =
                d.get("expired_at").and_then(Value::as_i64).map(|t| format!(" on {}", date(t))).unwrap_or_default();
            parts.push(format!("Access request{email} expired{when} without a decision"));
        }
        AuditAction::OrganizationSettingsChanged => {
            used.push("join_link_regenerated");
            parts.extend(changes(d));
            if d.get("join_link_regenerated").and_then(Value::as_bool) == Some(true) {
                parts.push("New join link; the old one no longer works".into());
            }
        }
        AuditAction::ServiceAccountCreated => {
            used.extend(["roles", "grants"]);
            let name = d.get("after").and_then(|a| a.get("name")).map(quoted).unwrap_or_default();
            let mut s = format!("Service account {name} created").replace("  ", " ");
            if let Some(r) = d.get("roles").filter(|r| !is_empty(r)) {
                s += &format!(" with the {} {}", plural(r, "role", "roles"), words(r));
            }
            parts.push(s);
            if let Some(g) = d.get("grants").filter(|g| !is_empty(g)) {
                parts.push(format!("Own permissions {}", grants(g)));
            }
        }
        AuditAction::ServiceAccountDeleted => {
            used.push("credentials_revoked");
            parts.extend(changes(d));
            if let Some(n) = d.get("credentials_revoked").and_then(Value::as_u64) {
                parts.push(format!("{} revoked", count_sentence(n, "token", "tokens")));
            }
        }
        AuditAction::ApiTokenCreated
        | AuditAction::ApiTokenRevoked
        | AuditAction::ApiTokenRotated
        | AuditAction::PersonalTokenCreated
        | AuditAction::PersonalTokenRevoked => {
            used.extend(["credential", "name", "prefix", "expires_at", "overlap_until", "replaced"]);
            let name = d.get("name").map(|n| format!(" {}", quoted(n))).unwrap_or_default();
            let prefix = d.get("prefix").map(|p| format!(" ({}…)", words(p))).unwrap_or_default();
            parts.push(match action {
                AuditAction::ApiTokenCreated => format!("Token{name}{prefix} made"),
                AuditAction::PersonalTokenCreated => {
                    format!("Personal token{name}{prefix} made; it acts as the member, within their permissions")
                }
                AuditAction::ApiTokenRevoked => format!("Token{name}{prefix} revoked; it no longer works"),
                AuditAction::PersonalTokenRevoked => {
                    format!("Personal token{name}{prefix} revoked; it no longer works")
                }
                _ => format!("Token{name}{prefix} rotated: a new token replaces it"),
            });
            match d.get("expires_at") {
                Some(Value::Null) => parts.push("Never expires".into()),
                Some(_) => parts.extend(expires(d, "expires_at", "Expires")),
                None => {}
            }
            parts.extend(expires(d, "overlap_until", "The old token works until"));
        }
        AuditAction::UserPasswordResetRequested => {
            used.push("by");
            parts.push(match d.get("by").and_then(Value::as_str) {
                Some("administrator") => "An administrator sent a password reset link".into(),
                Some("themselves") => "The user asked for a password reset link".into(),
                Some(other) => format!("Password reset link asked for by {other}"),
                None => "Password reset link sent".into(),
            });
        }
        AuditAction::UserLocked => {
            used.extend(["failed_sign_ins", "email"]);
            let email = d.get("email").map(|e| format!(" of {}", words(e))).unwrap_or_default();
            let n = d
                .get("failed_sign_ins")
                .and_then(Value::as_u64)
                .map(|n| format!(" after {n} failed sign-ins in a row"))
                .unwrap_or_default();
            parts.push(format!("Account{email} locked{n}; a password reset or an administrator unlocks it"));
        }
        AuditAction::UserUnlocked => {
            used.push("via");
            parts.push(match d.get("via").and_then(Value::as_str) {
                Some("administrator") => "Account unlocked by an administrator".into(),
                Some("password reset") => "Account unlocked by a password reset".into(),
                Some(other) => format!("Account unlocked by {other}"),
                None => "Account unlocked".into(),
            });
        }
        AuditAction::UserPasswordUpgraded => {
            used.push("via");
            let scheme = |k: &str| d.get(k).and_then(|v| v.get("scheme")).and_then(Value::as_str);
            let via = match d.get("via").and_then(Value::as_str) {
                Some("sign-in") => " at sign-in".to_string(),
                Some("re-authentication") => " when the password was asked again".to_string(),
                Some(other) => format!(" through {other}"),
                None => String::new(),
            };
            parts.push(match (scheme("before"), scheme("after")) {
                (Some(b), Some(a)) if b != a => format!("Password hash upgraded from {b} to {a}{via}"),
                (_, Some(a)) => format!("Password hash upgraded to Roster's {a} parameters{via}"),
                _ => format!("Password hash upgraded{via}"),
            });
        }
        AuditAction::UserEmailChanged => {
            used.push("via");
            parts.extend(changes(d));
            if let Some(v) = d.get("via") {
                parts.push(format!("Confirmed through a {}", words(v)));
            }
        }
        AuditAction::SessionRevoked => {
            used.extend(["sessions", "how"]);
            let ids = d.get("sessions").and_then(Value::as_array).cloned().unwrap_or_default();
            let how = match d.get("how").and_then(Value::as_str) {
                Some("everywhere else") => " (logged out everywhere else)".to_string(),
                Some("one session") | None => String::new(),
                Some(other) => format!(" ({other})"),
            };
            let list = if ids.is_empty() { String::new() } else { format!(": {}", words(&Value::Array(ids.clone()))) };
            parts.push(format!("{} logged out{how}{list}", count_sentence(ids.len() as u64, "session", "sessions")));
        }
        AuditAction::MemberLicensesChanged => {
            used.extend(["added", "removed", "reason"]);
            let side = |k: &str| d.get(k).and_then(|v| v.get("products")).map(list).unwrap_or_default();
            let (b, a) = (side("before"), side("after"));
            let none = |l: &[String]| if l.is_empty() { "none".to_string() } else { l.join(", ") };
            let added: Vec<&String> = a.iter().filter(|p| !b.contains(p)).collect();
            let removed: Vec<&String> = b.iter().filter(|p| !a.contains(p)).collect();
            let mut s = format!("Product licenses changed from {} to {}", none(&b), none(&a));
            let join = |l: &[&String]| l.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ");
            match (added.is_empty(), removed.is_empty()) {
                (false, false) => s += &format!(" (assigned {}; removed {})", join(&added), join(&removed)),
                (false, true) => s += &format!(" (assigned {})", join(&added)),
                (true, false) => s += &format!(" (removed {})", join(&removed)),
                (true, true) => {}
            }
            parts.push(s);
            if let Some(r) = d.get("reason") {
                parts.push(format!("Because the {}", words(r)));
            }
        }
        AuditAction::LicensesBulkChanged => {
            used.extend(["product", "action", "assigned", "removed", "unchanged", "cells", "dry_run"]);
            let n = |k: &str| d.get(k).and_then(Value::as_u64).unwrap_or(0);
            let what = match d.get("product") {
                Some(p) => format!(" of {}", words(p)),
                None => String::new(),
            };
            parts.push(format!(
                "Licenses{what} changed in bulk: {} assigned, {} removed, {} unchanged",
                group_digits(n("assigned")),
                group_digits(n("removed")),
                group_digits(n("unchanged"))
            ));
        }
        AuditAction::SubscriptionTrialStarted => {
            used.extend(["days", "ends_at"]);
            parts.extend(changes(d));
            let days = d.get("days").map(|v| format!("{}-day trial", words(v))).unwrap_or_else(|| "Trial".into());
            match expires(d, "ends_at", "ending") {
                Some(e) => parts.push(format!("{days}, {e}")),
                None => parts.push(days),
            }
        }
        AuditAction::MemberArchived => {
            used.push("licenses_freed");
            parts.extend(changes(d));
            if let Some(l) = d.get("licenses_freed").filter(|l| !is_empty(l)) {
                parts.push(format!("Product licenses freed: {}", words(l)));
            }
        }
        AuditAction::ScimGroupCreated
        | AuditAction::ScimGroupUpdated
        | AuditAction::ScimGroupDeleted
        | AuditAction::ScimGroupMappingCreated
        | AuditAction::ScimGroupMappingDeleted => {
            used.extend([
                "members_added",
                "members_removed",
                "added",
                "removed",
                "created_role",
                "role_deleted",
                "group",
            ]);
            parts.extend(changes(d));
            if d.get("created_role").and_then(Value::as_bool) == Some(true) {
                parts.push("Its role was made for it".into());
            }
            for (key, ids, how) in
                [("members_added", "added", "Role given to"), ("members_removed", "removed", "Role taken from")]
            {
                let n = d.get(key).and_then(Value::as_u64).unwrap_or(0);
                if n == 0 {
                    continue;
                }
                let mut s = format!("{how} {} {}", group_digits(n), if n == 1 { "member" } else { "members" });
                if let Some(l) = d.get(ids).filter(|l| !is_empty(l)) {
                    let shown = list(l);
                    s += &format!(": {}", shown.join(", "));
                    if (shown.len() as u64) < n {
                        s += ", …";
                    }
                }
                parts.push(s);
            }
            if d.get("role_deleted").and_then(Value::as_bool) == Some(true) {
                parts.push("The role made for it was deleted".into());
            }
        }
        AuditAction::ImportUploaded
        | AuditAction::ImportMapped
        | AuditAction::ImportCommitted
        | AuditAction::ImportFinished
        | AuditAction::ImportDiscarded => {
            used.extend([
                "import",
                "file",
                "mode",
                "create",
                "update",
                "unchanged",
                "error",
                "applied",
                "failed",
                "columns",
                "invite",
                "failed_with",
                "row",
            ]);
            if let Some(f) = d.get("file") {
                parts.push(format!("File {}", words(f)));
            }
            if let Some(c) = d.get("columns").filter(|c| !is_empty(c)) {
                parts.push(format!("Columns placed: {}", list(c).join(", ")));
            }
            if d.get("invite").and_then(Value::as_bool) == Some(true) {
                parts.push("New members invited by email".into());
            }
            if let Some(w) = d.get("failed_with") {
                parts.push(format!("Stopped: {}", words(w)));
            }
            if let Some(r) = d.get("row") {
                parts.push(format!("Row {} refused", words(r)));
            }
            if let Some(m) = d.get("mode").and_then(Value::as_str) {
                parts.push(if m == "upsert" {
                    "Creates and updates members".into()
                } else {
                    "Creates new members only".into()
                });
            }
            let n = |k: &str| d.get(k).and_then(Value::as_u64);
            let counted: Vec<String> = [
                ("create", "to create"),
                ("update", "to update"),
                ("unchanged", "unchanged"),
                ("error", "with errors"),
            ]
            .into_iter()
            .filter_map(|(k, w)| n(k).map(|v| format!("{} {w}", group_digits(v))))
            .collect();
            if !counted.is_empty() {
                parts.push(format!("Rows: {}", counted.join(", ")));
            }
            if let Some(a) = n("applied") {
                parts.push(format!("{} rows applied", group_digits(a)));
            }
            if let Some(f) = n("failed").filter(|f| *f > 0) {
                parts.push(format!("{} refused when applied", group_digits(f)));
            }
        }
        AuditAction::CustomerCreated
        | AuditAction::CustomerLinkRequested
        | AuditAction::CustomerLinked
        | AuditAction::CustomerLinkRefused
        | AuditAction::CustomerUnlinked
        | AuditAction::OrgGroupCreated
        | AuditAction::OrgGroupRenamed
        | AuditAction::OrgGroupDeleted
        | AuditAction::OrgGroupCustomersChanged
        | AuditAction::OrgGroupMembersChanged
        | AuditAction::MemberScopesChanged => {
            used.extend(["customer", "partner_org", "group", "added", "removed", "owner"]);
            parts.extend(changes(d));
            for (key, how) in
                [("customer", "Customer"), ("partner_org", "Partner"), ("group", "Group"), ("owner", "Owner")]
            {
                if let Some(v) = d.get(key) {
                    parts.push(format!("{how} {}", words(v)));
                }
            }
            for (key, how) in [("added", "Added"), ("removed", "Removed")] {
                if let Some(l) = d.get(key).filter(|l| !is_empty(l)) {
                    parts.push(format!("{how} {}", list(l).join(", ")));
                }
            }
        }
        AuditAction::ServiceAccountUpdated
        | AuditAction::ServiceAccountDisabled
        | AuditAction::ServiceAccountEnabled
        | AuditAction::MemberUpdated
        | AuditAction::MemberEnabled
        | AuditAction::MemberDisabled
        | AuditAction::MemberRestored
        | AuditAction::SubscriptionCreated
        | AuditAction::SubscriptionChanged
        | AuditAction::SubscriptionConverted
        | AuditAction::OrganizationPartnerChanged
        | AuditAction::OrganizationOwnerTransferred => parts.extend(changes(d)),
    }
    if d.get("bulk").and_then(Value::as_bool) == Some(true) {
        if let Some(last) = parts.last_mut() {
            last.push_str(" (bulk change)");
        } else {
            parts.push("Bulk change".into());
        }
    }
    used.push("bulk");
    // A partner member acting inside a customer (issue 14).
    if let Some(p) = d.get("partner").and_then(|p| p.get("name")) {
        parts.push(format!("Through the partner {}", words(p)));
    }
    used.push("partner");
    // Keys this version has no words for still read as words.
    for (k, v) in d {
        if !used.contains(&k.as_str()) {
            parts.push(format!("{}: {}", label(k), words(v)));
        }
    }
    if parts.is_empty() {
        let w = action.words();
        let mut c = w.chars();
        return c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default();
    }
    parts.join(". ")
}

/// "Role changed from User to Billing Manager" (one role each side), or the
/// lists with what was added and removed.
fn roles_change(before: &Value, after: &Value) -> String {
    let (b, a) = (list(before), list(after));
    if b.len() <= 1 && a.len() <= 1 {
        let one = |l: &[String]| l.first().cloned().unwrap_or_else(|| "no role".into());
        return format!("Role changed from {} to {}", one(&b), one(&a));
    }
    let added: Vec<&String> = a.iter().filter(|r| !b.contains(r)).collect();
    let removed: Vec<&String> = b.iter().filter(|r| !a.contains(r)).collect();
    let mut s = format!("Roles changed from {} to {}", join_or_none(&b), join_or_none(&a));
    if !added.is_empty() {
        s += &format!(" (added {}", added.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "));
        s += &if removed.is_empty() {
            ")".into()
        } else {
            format!("; removed {})", removed.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "))
        };
    } else if !removed.is_empty() {
        s += &format!(" (removed {})", removed.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "));
    }
    s
}

/// One sentence per field that differs between `before` and `after`, in
/// the order the fields were written; a field on one side only is said as
/// set or cleared.
fn changes(d: &Map<String, Value>) -> Vec<String> {
    let empty = Map::new();
    let before = d.get("before").and_then(Value::as_object).unwrap_or(&empty);
    let after = d.get("after").and_then(Value::as_object).unwrap_or(&empty);
    let mut keys: Vec<&String> = before.keys().collect();
    keys.extend(after.keys().filter(|k| !before.contains_key(*k)));
    let mut out = Vec::new();
    for k in keys {
        let (b, a) = (before.get(k), after.get(k));
        if b == a {
            continue;
        }
        let field = label(k);
        out.push(match (b, a) {
            (Some(b), Some(a)) if k == "description" && (long(b) || long(a)) => format!("{field} changed"),
            (Some(b), Some(a)) => format!("{field} changed from {} to {}", field_value(k, b), field_value(k, a)),
            (None, Some(a)) => format!("{field} set to {}", field_value(k, a)),
            (Some(b), None) => format!("{field} {} removed", field_value(k, b)),
            (None, None) => continue,
        });
    }
    out
}

/// A field's value in words: statuses by their label, permissions as
/// "resource: actions", names and descriptions in quotation marks.
fn field_value(key: &str, v: &Value) -> String {
    match key {
        "status" => status(v),
        "grants" => grants(v),
        "name" | "description" => quoted(v),
        "roles" => join_or_none(&list(v)),
        _ => words(v),
    }
}

/// A value in words: text as it is, numbers, yes/no, lists joined by
/// commas, objects as "key: value" pairs; never JSON.
pub fn words(v: &Value) -> String {
    match v {
        Value::Null => "none".into(),
        Value::Bool(true) => "yes".into(),
        Value::Bool(false) => "no".into(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        Value::Array(a) if a.is_empty() => "none".into(),
        Value::Array(a) => a.iter().map(words).collect::<Vec<_>>().join(", "),
        Value::Object(o) if o.is_empty() => "none".into(),
        Value::Object(o) => {
            o.iter().map(|(k, v)| format!("{}: {}", label(k).to_lowercase(), words(v))).collect::<Vec<_>>().join("; ")
        }
    }
}

/// Permissions (`{"members": ["read", "update"]}`) in words:
/// "members: read, update; roles: read", or "none".
fn grants(v: &Value) -> String {
    match v.as_object() {
        Some(o) if !o.is_empty() => o.iter().map(|(r, a)| format!("{r}: {}", words(a))).collect::<Vec<_>>().join("; "),
        _ => "none".into(),
    }
}

fn status(v: &Value) -> String {
    v.as_str()
        .and_then(|s| MemberStatus::ALL.into_iter().find(|m| m.as_str() == s))
        .map(|m| m.label().to_string())
        .unwrap_or_else(|| words(v))
}

fn quoted(v: &Value) -> String {
    match v {
        Value::String(s) => format!("“{s}”"),
        other => words(other),
    }
}

fn long(v: &Value) -> bool {
    v.as_str().is_some_and(|s| s.chars().count() > 80 || s.contains('\n'))
}

fn list(v: &Value) -> Vec<String> {
    match v {
        Value::Array(a) => a.iter().filter(|x| !x.is_null()).map(words).collect(),
        Value::Null => vec![],
        other => vec![words(other)],
    }
}

fn join_or_none(l: &[String]) -> String {
    if l.is_empty() { "no role".into() } else { l.join(", ") }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(a) => a.iter().all(Value::is_null),
        Value::Object(o) => o.is_empty(),
        Value::String(s) => s.is_empty(),
        _ => false,
    }
}

fn plural(v: &Value, one: &str, many: &str) -> String {
    if list(v).len() == 1 { one.into() } else { many.into() }
}

fn count_sentence(n: u64, one: &str, many: &str) -> String {
    let word = if n == 1 { one } else { many };
    let mut s = format!("{} {word}", group_digits(n));
    if let Some(f) = s.get_mut(..1) {
        f.make_ascii_uppercase();
    }
    s
}

fn times_sent_again(n: u64) -> String {
    match n {
        1 => "first resend".into(),
        n => format!("resend number {n}"),
    }
}

fn email_sent(d: &Map<String, Value>) -> Option<String> {
    match d.get("email_sent").and_then(Value::as_bool)? {
        true => Some("Invitation email sent".into()),
        false => Some("No email sent (the link is shared by hand)".into()),
    }
}

fn expires(d: &Map<String, Value>, key: &str, words: &str) -> Option<String> {
    d.get(key).and_then(Value::as_i64).map(|t| format!("{words} {}", date_time(t)))
}

fn reason(v: &Value) -> String {
    match v.as_str() {
        Some("role deleted") => "role they held was deleted".into(),
        _ => format!("reason: {}", words(v)),
    }
}

/// A details key as a label: "failed_sign_ins" → "Failed sign ins".
fn label(key: &str) -> String {
    match key {
        "grants" => "Own permissions".into(),
        "status" => "Status".into(),
        "name" => "Name".into(),
        "email" => "Email".into(),
        "owner" => "Owner".into(),
        "description" => "Description".into(),
        other => {
            let s = other.replace('_', " ");
            let mut c = s.chars();
            c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
        }
    }
}

/// 1234567 → "1,234,567".
fn group_digits(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Milliseconds since the epoch as a UTC date, `2026-11-22`.
pub fn date(ms: i64) -> String {
    let days = ms.div_euclid(86_400_000);
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Milliseconds since the epoch as a UTC date and minute, `2026-11-22 14:05 UTC`.
pub fn date_time(ms: i64) -> String {
    let in_day = ms.rem_euclid(86_400_000) / 60_000;
    format!("{} {:02}:{:02} UTC", date(ms), in_day / 60, in_day % 60)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// The details each action is written with: every `AuditEntry::new` of
    /// `roster-app` (and the events written without one: the preset
    /// installer's, the demo's), one sample or more per action. A new action
    /// without a sample fails [`every_action_reads_as_words`].
    fn samples() -> Vec<(AuditAction, Value)> {
        use AuditAction::*;
        vec![
            (MemberAdded, json!({"after": {"email": "ann@acme.test", "status": "active"}})),
            (
                MemberAdded,
                json!({"after": {"email": "o@acme.test", "status": "active", "owner": true, "roles": ["Account Owner"]}}),
            ),
            (MemberSeeded, json!({"count": 50000, "seed": 1})),
            (MemberUpdated, json!({"before": {"name": "Ann"}, "after": {"name": "Anna"}})),
            (MemberEnabled, json!({"before": {"status": "disabled"}, "after": {"status": "active"}})),
            (MemberDisabled, json!({"before": {"status": "active"}, "after": {"status": "disabled"}})),
            (MemberDisabled, json!({"before": {"status": "active"}, "after": {"status": "disabled"}, "bulk": true})),
            (MemberArchived, json!({"before": {"status": "disabled"}, "after": {"status": "archived"}})),
            (MemberRestored, json!({"before": {"status": "archived"}, "after": {"status": "active"}})),
            (
                MemberRolesChanged,
                json!({"before": {"roles": ["User"]}, "after": {"roles": ["Billing Manager"]}, "added": ["Billing Manager"], "removed": ["User"]}),
            ),
            (MemberRolesChanged, json!({"removed": ["Temp"], "added": ["User"], "reason": "role deleted"})),
            (MemberGrantsChanged, json!({"before": {"grants": {}}, "after": {"grants": {"members": ["read"]}}})),
            (UserPasswordSet, json!({"via": "one-time link", "sessions_ended": 2})),
            (
                RoleCreated,
                json!({"after": {"key": "auditor", "name": "Auditor", "description": "", "grants": {"audit": ["read"]}}, "copied_from": "user"}),
            ),
            (
                RoleUpdated,
                json!({"before": {"name": "A", "description": "d", "grants": {"audit": ["read"]}}, "after": {"name": "B", "description": "d", "grants": {"audit": ["read"], "members": ["read"]}}}),
            ),
            (
                RoleDeleted,
                json!({"before": {"key": "temp", "name": "Temp", "grants": {}}, "reassigned_to": "User", "members_moved": 3}),
            ),
            (
                RoleDeleted,
                json!({"before": {"key": "temp", "name": "Temp", "grants": {}}, "reassigned_to": null, "members_moved": 0}),
            ),
            (
                OrganizationCreated,
                json!({"after": {"name": "Acme", "slug": "acme", "owner": "o@acme.test", "preset": "account-owner"}}),
            ),
            (
                OrganizationOwnerTransferred,
                json!({"before": {"owner": "o@acme.test"}, "after": {"owner": "n@acme.test"}}),
            ),
            (OrganizationPresetInstalled, json!({"after": {"preset": "account-owner"}})),
            (
                InvitationSent,
                json!({"after": {"email": "ann@acme.test", "status": "invited"}, "invitation": "0192", "roles": ["User"], "grants": {}, "email_sent": true, "expires_at": 1_764_000_000_000i64}),
            ),
            (
                InvitationResent,
                json!({"invitation": "0192", "email": "ann@acme.test", "resend_count": 2, "expires_at": 1_764_000_000_000i64}),
            ),
            (
                InvitationCanceled,
                json!({"before": {"status": "invited"}, "invitation": "0192", "email": "ann@acme.test"}),
            ),
            (
                InvitationAccepted,
                json!({"before": {"status": "invited"}, "after": {"status": "active"}, "invitation": "0192", "new_account": true}),
            ),
            (
                InvitationExpired,
                json!({"invitation": "0192", "email": "ann@acme.test", "expired_at": 1_764_000_000_000i64}),
            ),
            (UserPasswordResetRequested, json!({"by": "themselves"})),
            (UserPasswordResetRequested, json!({"by": "administrator"})),
            (UserLocked, json!({"failed_sign_ins": 100, "email": "ann@acme.test"})),
            (UserUnlocked, json!({"via": "administrator"})),
            (UserUnlocked, json!({"via": "password reset"})),
            (
                UserPasswordUpgraded,
                json!({"before": {"scheme": "bcrypt"}, "after": {"scheme": "argon2id"}, "via": "sign-in"}),
            ),
            (
                UserPasswordUpgraded,
                json!({"before": {"scheme": "argon2id"}, "after": {"scheme": "argon2id"}, "via": "re-authentication"}),
            ),
            (
                UserEmailChanged,
                json!({"before": {"email": "a@acme.test"}, "after": {"email": "b@acme.test"}, "via": "confirmation link"}),
            ),
            (SessionRevoked, json!({"sessions": ["1a2b3c4d"], "how": "one session"})),
            (SessionRevoked, json!({"sessions": ["1a2b3c4d", "5e6f7a8b"], "how": "everywhere else"})),
            (SubscriptionCreated, json!({"after": {"status": "active", "license_count": 10}})),
            (
                SubscriptionChanged,
                json!({"before": {"license_count": 10, "settings": {"auto_submit": false}}, "after": {"license_count": 20, "settings": {"auto_submit": true}}}),
            ),
            (
                SubscriptionTrialStarted,
                json!({"after": {"status": "trial", "license_count": 10}, "days": 30, "ends_at": 1_764_000_000_000i64}),
            ),
            (SubscriptionConverted, json!({"before": {"status": "trial"}, "after": {"status": "active"}})),
            (
                MemberLicensesChanged,
                json!({"before": {"products": ["quote"]}, "after": {"products": ["analytics"]}, "added": ["analytics"], "removed": ["quote"]}),
            ),
            (
                MemberLicensesChanged,
                json!({"before": {"products": ["quote"]}, "after": {"products": []}, "reason": "seat reclaimed from a disabled member", "bulk": true}),
            ),
            (
                LicensesBulkChanged,
                json!({"product": "quote", "action": "assign", "assigned": 100_000, "removed": 0, "unchanged": 3, "cells": 0, "dry_run": false}),
            ),
            (
                MemberArchived,
                json!({"before": {"status": "active"}, "after": {"status": "archived"}, "licenses_freed": ["quote", "analytics"]}),
            ),
            (
                AccessRequestCreated,
                json!({"request": "0193", "email": "ann@acme.test", "message": "Please add me", "via": "join_link"}),
            ),
            (
                AccessRequestApproved,
                json!({"request": "0193", "email": "ann@acme.test", "roles": ["User"], "products": ["Quote"], "after": {"status": "active"}}),
            ),
            (AccessRequestDenied, json!({"request": "0193", "email": "ann@acme.test", "reason": "Not an employee"})),
            (AccessRequestWithdrawn, json!({"request": "0193", "email": "ann@acme.test"})),
            (
                AccessRequestExpired,
                json!({"request": "0193", "email": "ann@acme.test", "expired_at": 1_764_000_000_000i64}),
            ),
            (
                ImportUploaded,
                json!({"import": "0193", "file": "people.csv", "mode": "create", "create": 3, "error": 1}),
            ),
            (ImportFinished, json!({"import": "0193", "file": "people.csv", "applied": 100_000, "failed": 2})),
            (
                ImportMapped,
                json!({"file": "hr.csv", "columns": ["Dept → Ignore this column"], "create": 1, "error": 0}),
            ),
            (ImportCommitted, json!({"file": "hr.csv", "mode": "upsert", "invite": true, "create": 1, "update": 2})),
            (ImportDiscarded, json!({"file": "hr.csv"})),
            (
                CustomerCreated,
                json!({"customer": "Acme", "owner": "ann@acme.test", "after": {"preset": "account-owner"}}),
            ),
            (CustomerLinkRequested, json!({"customer": "Acme", "partner_org": "Brokers Inc."})),
            (CustomerLinked, json!({"customer": "Acme", "partner_org": "Brokers Inc."})),
            (CustomerLinkRefused, json!({"customer": "Acme", "partner_org": "Brokers Inc."})),
            (CustomerUnlinked, json!({"customer": "Acme", "partner_org": "Brokers Inc."})),
            (OrgGroupCreated, json!({"after": {"name": "North"}})),
            (OrganizationPartnerChanged, json!({"before": {"partner": false}, "after": {"partner": true}})),
            (OrgGroupRenamed, json!({"before": {"name": "North"}, "after": {"name": "Nordic"}})),
            (OrgGroupDeleted, json!({"before": {"name": "North"}})),
            (OrgGroupCustomersChanged, json!({"group": "North", "added": ["Acme"], "removed": ["Globex"]})),
            (OrgGroupMembersChanged, json!({"group": "North", "added": ["ann@brokers.test"], "removed": []})),
            (
                MemberScopesChanged,
                json!({"added": ["Key Account Manager in North"], "removed": ["Global Admin in all customers"]}),
            ),
            (
                ServiceAccountCreated,
                json!({"after": {"name": "ci-deploy", "description": "Deploys", "status": "active"}, "roles": ["User"], "grants": {"audit": ["read"]}}),
            ),
            (
                ServiceAccountUpdated,
                json!({"before": {"name": "ci", "roles": ["User"]}, "after": {"name": "ci-deploy", "roles": ["Auditor"]}}),
            ),
            (ServiceAccountDisabled, json!({"before": {"status": "active"}, "after": {"status": "disabled"}})),
            (ServiceAccountEnabled, json!({"before": {"status": "disabled"}, "after": {"status": "active"}})),
            (
                ServiceAccountDeleted,
                json!({"before": {"status": "active"}, "after": {"status": "archived"}, "credentials_revoked": 2}),
            ),
            (
                ApiTokenCreated,
                json!({"credential": "0194", "name": "deploy", "prefix": "roster_Ab3dE9", "expires_at": 1_764_000_000_000i64}),
            ),
            (
                ApiTokenCreated,
                json!({"credential": "0194", "name": "forever", "prefix": "roster_Ab3dE9", "expires_at": null}),
            ),
            (ApiTokenRevoked, json!({"credential": "0194", "name": "deploy", "prefix": "roster_Ab3dE9"})),
            (
                PersonalTokenCreated,
                json!({"credential": "0195", "name": "laptop", "prefix": "roster_Zx9yW8", "expires_at": 1_764_000_000_000i64}),
            ),
            (PersonalTokenRevoked, json!({"credential": "0195", "name": "laptop", "prefix": "roster_Zx9yW8"})),
            (
                ApiTokenRotated,
                json!({"credential": "0194", "name": "deploy", "prefix": "roster_Ab3dE9", "replaced": "0193", "overlap_until": 1_764_000_000_000i64, "expires_at": 1_764_000_000_000i64}),
            ),
            (
                ScimGroupCreated,
                json!({"after": {"name": "Engineering", "role": "Engineering", "external_id": "00g1"}, "created_role": true, "members_added": 2, "added": ["0193", "0194"]}),
            ),
            (
                ScimGroupUpdated,
                json!({"before": {"name": "Eng"}, "after": {"name": "Engineering"}, "members_added": 0, "members_removed": 30, "added": [], "removed": ["0193"]}),
            ),
            (ScimGroupUpdated, json!({"group": "Engineering", "members_added": 1, "added": ["0193"]})),
            (
                ScimGroupDeleted,
                json!({"before": {"name": "Engineering", "role": "Engineering"}, "members_removed": 2, "removed": ["0193", "0194"], "role_deleted": true}),
            ),
            (ScimGroupMappingCreated, json!({"after": {"name": "Admins", "role": "Administrator"}})),
            (ScimGroupMappingDeleted, json!({"before": {"name": "Admins", "role": "Administrator"}})),
            (
                OrganizationSettingsChanged,
                json!({"before": {"join_link_enabled": false}, "after": {"join_link_enabled": true}, "join_link_regenerated": true}),
            ),
        ]
    }

    #[test]
    fn every_action_reads_as_words() {
        let samples = samples();
        for a in AuditAction::ALL {
            assert!(
                samples.iter().any(|(s, _)| s == a),
                "no details sample for {a}: add the shape its use case writes"
            );
        }
        for (a, d) in samples {
            let s = summary(a, &d);
            assert!(!s.is_empty(), "{a}");
            for json_mark in ['{', '}', '[', ']', '"'] {
                assert!(!s.contains(json_mark), "{a}: {s}");
            }
            // Every key is used: none is left to the generic "Key: value" words.
            for k in d.as_object().unwrap().keys() {
                if k != "before" && k != "after" {
                    assert!(!s.contains(&format!("{}: ", label(k))), "{a}: key {k} fell back to generic words: {s}");
                }
            }
        }
    }

    #[test]
    fn the_sentences_people_read() {
        use AuditAction::*;
        let s = |a, d: Value| summary(a, &d);
        assert_eq!(
            s(MemberRolesChanged, json!({"before": {"roles": ["User"]}, "after": {"roles": ["Billing Manager"]}})),
            "Role changed from User to Billing Manager"
        );
        assert_eq!(
            s(MemberDisabled, json!({"before": {"status": "active"}, "after": {"status": "disabled"}})),
            "Status changed from Active to Disabled"
        );
        assert_eq!(
            s(MemberDisabled, json!({"before": {"status": "active"}, "after": {"status": "disabled"}, "bulk": true})),
            "Status changed from Active to Disabled (bulk change)"
        );
        assert_eq!(
            s(MemberUpdated, json!({"before": {"name": "Ann"}, "after": {"name": "Anna"}})),
            "Name changed from “Ann” to “Anna”"
        );
        assert_eq!(
            s(MemberRolesChanged, json!({"before": {"roles": ["User", "Auditor"]}, "after": {"roles": ["User"]}})),
            "Roles changed from User, Auditor to User (removed Auditor)"
        );
        assert_eq!(
            s(
                InvitationSent,
                json!({"after": {"email": "ann@acme.test", "status": "invited"}, "roles": ["User"], "email_sent": true, "expires_at": 1_764_000_000_000i64})
            ),
            "Invited ann@acme.test with the role User. Invitation email sent. Link expires 2025-11-24 16:00 UTC"
        );
        assert_eq!(s(MemberSeeded, json!({"count": 1_000_000, "seed": 7})), "Generated 1,000,000 members (seed 7)");
        assert_eq!(s(UserLocked, json!({})), "Account locked; a password reset or an administrator unlocks it");
        assert_eq!(
            s(
                UserPasswordUpgraded,
                json!({"before": {"scheme": "bcrypt"}, "after": {"scheme": "argon2id"}, "via": "sign-in"})
            ),
            "Password hash upgraded from bcrypt to argon2id at sign-in"
        );
        assert_eq!(
            s(UserPasswordUpgraded, json!({"before": {"scheme": "argon2id"}, "after": {"scheme": "argon2id"}})),
            "Password hash upgraded to Roster's argon2id parameters"
        );
        assert_eq!(s(MemberEnabled, json!({})), "Enabled");
        assert_eq!(s(MemberEnabled, json!({"flag": true, "n": [1, 2]})), "Flag: yes. N: 1, 2");
        assert_eq!(
            s(
                RoleDeleted,
                json!({"before": {"name": "Temp", "grants": {}}, "reassigned_to": "User", "members_moved": 1})
            ),
            "Role “Temp” deleted; it granted none. 1 member moved to “User”"
        );
    }

    #[test]
    fn dates_are_utc_calendar_days() {
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date(951_782_400_000), "2000-02-29");
        assert_eq!(date(-1), "1969-12-31");
        assert_eq!(date_time(1_764_000_000_000), "2025-11-24 16:00 UTC");
        assert_eq!(group_digits(1_234_567), "1,234,567");
        assert_eq!(count_sentence(2, "session", "sessions"), "2 sessions");
    }
}
