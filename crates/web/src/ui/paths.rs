//! Every page route, declared once: the router registers these patterns,
//! and handlers and templates build their links from them through
//! [`OrgLinks`], so a path cannot be spelled two ways.

/// The home page: the first organization's Users tab.
pub const HOME: &str = "/";
/// The sign-in page.
pub const LOGIN: &str = "/login";
/// Signing out (a POST).
pub const LOGOUT: &str = "/logout";
/// The page of a one-time link that sets a password (a new owner's link, a reset link).
pub const SET_PASSWORD: &str = "/set-password";
/// "Forgot password?": asking for a reset link.
pub const FORGOT_PASSWORD: &str = "/forgot-password";
/// The Users tab.
pub const USERS: &str = "/orgs/{org}/settings/users";
/// The confirm step and the submit of a bulk change.
pub const USERS_BULK: &str = "/orgs/{org}/settings/users/bulk";
/// The Users tab's export (CSV or XLSX) with the tab's filters: a download.
pub const USERS_EXPORT: &str = "/orgs/{org}/settings/users/export";
/// A member's edit form.
pub const USER_EDIT: &str = "/orgs/{org}/settings/users/{id}/edit";
/// Where a partner member's roles apply (a POST from the edit form).
pub const USER_SCOPES: &str = "/orgs/{org}/settings/users/{id}/scopes";
/// A row action on a member: a status change (`enable`, `disable`,
/// `archive`, `restore`) or an action on their account (`send-reset-link`,
/// `unlock`).
pub const USER_ACTION: &str = "/orgs/{org}/settings/users/{id}/{action}";
/// The Products tab: the organization's products and the catalogue's others.
pub const PRODUCTS: &str = "/orgs/{org}/settings/products";
/// The "Manage Users & Products" workspace: members × products.
pub const WORKSPACE: &str = "/orgs/{org}/settings/products/workspace";
/// The workspace's preview of the cells changed (a POST: the grid's form).
pub const WORKSPACE_REVIEW: &str = "/orgs/{org}/settings/products/workspace/review";
/// Applying the cells reviewed (a POST).
pub const WORKSPACE_APPLY: &str = "/orgs/{org}/settings/products/workspace/apply";
/// "Assign / Remove a product for every member matching this filter": its
/// preview (GET) and the change (POST).
pub const WORKSPACE_FILTER: &str = "/orgs/{org}/settings/products/workspace/filter";
/// One of the organization's products.
pub const PRODUCT: &str = "/orgs/{org}/settings/products/{key}";
/// Subscribing to a product with a seat count, or changing its seats (a POST).
pub const PRODUCT_SEATS: &str = "/orgs/{org}/settings/products/{key}/seats";
/// Starting a trial (a POST).
pub const PRODUCT_TRIAL: &str = "/orgs/{org}/settings/products/{key}/trial";
/// Converting a trial to paid (a POST).
pub const PRODUCT_CONVERT: &str = "/orgs/{org}/settings/products/{key}/convert";
/// The product's settings form (a POST).
pub const PRODUCT_SETTINGS: &str = "/orgs/{org}/settings/products/{key}/settings";
/// Canceling or reactivating a subscription (`{action}`: `cancel`,
/// `reactivate`): the confirm step (GET) and the change (POST).
pub const PRODUCT_STATUS: &str = "/orgs/{org}/settings/products/{key}/status/{action}";
/// "Reclaim N seats" held by disabled members: the confirm step (GET) and
/// the change (POST).
pub const PRODUCT_RECLAIM: &str = "/orgs/{org}/settings/products/{key}/reclaim";
/// The Roles tab.
pub const ROLES: &str = "/orgs/{org}/settings/roles";
/// Roles side by side.
pub const ROLES_COMPARE: &str = "/orgs/{org}/settings/roles/compare";
/// A new custom role.
pub const ROLE_NEW: &str = "/orgs/{org}/settings/roles/new";
/// The role editor.
pub const ROLE_EDIT: &str = "/orgs/{org}/settings/roles/{id}/edit";
/// Copying a role.
pub const ROLE_COPY: &str = "/orgs/{org}/settings/roles/{id}/copy";
/// Deleting a custom role.
pub const ROLE_DELETE: &str = "/orgs/{org}/settings/roles/{id}/delete";
/// The Service Accounts tab.
pub const SERVICE_ACCOUNTS: &str = "/orgs/{org}/settings/service-accounts";
/// A SCIM provisioning token: made (POST) and shown once.
pub const SCIM_TOKEN: &str = "/orgs/{org}/settings/service-accounts/scim-token";
/// A SCIM group name bound to a role (POST, from the Provisioning card).
pub const SCIM_GROUP_MAPPINGS: &str = "/orgs/{org}/settings/scim-group-mappings";
/// Removing such a binding (POST).
pub const SCIM_GROUP_MAPPING_REMOVE: &str = "/orgs/{org}/settings/scim-group-mappings/{id}/remove";
/// A new service account: its form (GET) and the create (POST).
pub const SERVICE_ACCOUNT_NEW: &str = "/orgs/{org}/settings/service-accounts/new";
/// One service account's page: its details and tokens.
pub const SERVICE_ACCOUNT: &str = "/orgs/{org}/settings/service-accounts/{id}";
/// A service account's edit form (GET) and the edit (POST).
pub const SERVICE_ACCOUNT_EDIT: &str = "/orgs/{org}/settings/service-accounts/{id}/edit";
/// Disabling, enabling or deleting a service account (`{action}`:
/// `disable`, `enable`, `delete`): the confirm step (GET) and the change (POST).
pub const SERVICE_ACCOUNT_ACTION: &str = "/orgs/{org}/settings/service-accounts/{id}/{action}";
/// A new token of a service account: its form (GET) and the token, shown once (POST).
pub const SERVICE_ACCOUNT_TOKEN_NEW: &str = "/orgs/{org}/settings/service-accounts/{id}/tokens/new";
/// Revoking or rotating a token (`{action}`: `revoke`, `rotate`): the
/// confirm step (GET) and the change (POST; a rotation shows the new token once).
pub const SERVICE_ACCOUNT_TOKEN_ACTION: &str = "/orgs/{org}/settings/service-accounts/{id}/tokens/{tid}/{action}";
/// The Import tab (seed 004): the templates, the upload form ("Read
/// file", a multipart POST) and the organization's past imports.
pub const IMPORTS: &str = "/orgs/{org}/settings/imports";
/// The import template as CSV.
pub const IMPORT_TEMPLATE_CSV: &str = "/orgs/{org}/settings/imports/template.csv";
/// The import template as XLSX.
pub const IMPORT_TEMPLATE_XLSX: &str = "/orgs/{org}/settings/imports/template.xlsx";
/// One import: its mapping step, preview, progress or outcome.
pub const IMPORT: &str = "/orgs/{org}/settings/imports/{id}";
/// The progress part of an import's page, which htmx polls while it commits.
pub const IMPORT_PROGRESS: &str = "/orgs/{org}/settings/imports/{id}/progress";
/// Answering the mapping step (a POST).
pub const IMPORT_MAPPING: &str = "/orgs/{org}/settings/imports/{id}/mapping";
/// Committing a previewed import (a POST).
pub const IMPORT_COMMIT: &str = "/orgs/{org}/settings/imports/{id}/commit";
/// Discarding an import not committed (a POST).
pub const IMPORT_DISCARD: &str = "/orgs/{org}/settings/imports/{id}/discard";
/// Every row with its outcome and result, as CSV.
pub const IMPORT_REPORT: &str = "/orgs/{org}/settings/imports/{id}/report.csv";
/// The rows in error, as CSV to fix and upload again.
pub const IMPORT_ERRORS: &str = "/orgs/{org}/settings/imports/{id}/errors.csv";
/// The History tab: the organization's audit log.
pub const HISTORY: &str = "/orgs/{org}/settings/history";
/// The History's export (`?format=csv|jsonl` and the filters).
pub const HISTORY_EXPORT: &str = "/orgs/{org}/settings/history/export";
/// The organization's outbox: the emails Roster wrote for it.
pub const OUTBOX: &str = "/orgs/{org}/settings/outbox";
/// The My Sessions tab: the signed-in user's own sessions and their
/// history (every member sees it; it is about the user, not the organization).
pub const MY_SESSIONS: &str = "/orgs/{org}/settings/my-sessions";
/// Logging out one of the user's own sessions (a POST).
pub const MY_SESSION_LOGOUT: &str = "/orgs/{org}/settings/my-sessions/{id}/logout";
/// "Log out everywhere else" (a POST).
pub const MY_SESSIONS_LOGOUT_OTHERS: &str = "/orgs/{org}/settings/my-sessions/logout-others";
/// The Active Sessions tab: the live sessions of the organization's members.
pub const ACTIVE_SESSIONS: &str = "/orgs/{org}/settings/sessions";
/// The confirm step (GET) and the submit (POST) of logging out one session
/// from the Active Sessions tab.
pub const ORG_SESSION_LOGOUT: &str = "/orgs/{org}/settings/sessions/{id}/logout";
/// The confirm step (GET) and the submit (POST) of "Log out all sessions"
/// of a member (`{id}` is the member's user id).
pub const MEMBER_SESSIONS_LOGOUT: &str = "/orgs/{org}/settings/sessions/users/{id}/logout-all";
/// The Session History tab: the ended sessions of the organization's members.
pub const SESSION_HISTORY: &str = "/orgs/{org}/settings/session-history";
/// Handing ownership on.
pub const OWNER: &str = "/orgs/{org}/settings/owner";
/// The invite form ("+ Invite User").
pub const INVITE: &str = "/orgs/{org}/settings/users/invite";
/// The multi-row invite form.
pub const INVITE_MANY: &str = "/orgs/{org}/settings/users/invite-many";
/// The Invitations tab.
pub const INVITATIONS: &str = "/orgs/{org}/settings/invitations";
/// The confirm step and the submit of a bulk resend or cancel.
pub const INVITATIONS_BULK: &str = "/orgs/{org}/settings/invitations/bulk";
/// The confirm step and the submit of one invitation's `resend` or `cancel`.
pub const INVITATION_ACTION: &str = "/orgs/{org}/settings/invitations/{id}/{action}";
/// The public page of an invitation link.
pub const ACCEPT: &str = "/invite/{token}";
/// The Access Requests tab: pending requests, the recently processed ones
/// and the join link's settings.
pub const ACCESS_REQUESTS: &str = "/orgs/{org}/settings/access-requests";
/// Approving one request: the form (GET) and the decision (POST).
pub const ACCESS_REQUEST_APPROVE: &str = "/orgs/{org}/settings/access-requests/{id}/approve";
/// Denying one request: the form (GET) and the decision (POST).
pub const ACCESS_REQUEST_DENY: &str = "/orgs/{org}/settings/access-requests/{id}/deny";
/// The join link and email domains form (a POST).
pub const JOIN_SETTINGS: &str = "/orgs/{org}/settings/access-requests/settings";
/// "Regenerate link": the confirm step (GET) and the change (POST).
pub const JOIN_LINK_REGENERATE: &str = "/orgs/{org}/settings/access-requests/regenerate";
/// The page of an organization's join link (`?code=…`): asking to join.
pub const JOIN: &str = "/join/{slug}";
/// The signed-in user's access requests and "Join your team" suggestions.
pub const MY_REQUESTS: &str = "/requests";
/// Withdrawing one of the user's pending requests (a POST).
pub const MY_REQUEST_WITHDRAW: &str = "/requests/{id}/withdraw";
/// The sign-up form.
pub const SIGNUP: &str = "/signup";
/// The public page of a sign-up's confirmation link (`?token=…`; the path
/// mailed links are built from).
pub const SIGNUP_CONFIRM: &str = roster_app::signup::CONFIRM_PATH;
/// The signed-in user's profile page (the same path the notice mailed to
/// an old address links to).
pub const PROFILE: &str = roster_app::profile::PROFILE_PATH;
/// The profile page's "Change email" form.
pub const PROFILE_EMAIL: &str = "/profile/email";
/// Canceling the pending email change.
pub const PROFILE_EMAIL_CANCEL: &str = "/profile/email/cancel";
/// Making a personal API token (POST), shown once.
pub const PROFILE_TOKENS: &str = "/profile/tokens";
/// Revoking one of the user's personal API tokens (POST).
pub const PROFILE_TOKEN_REVOKE: &str = "/profile/tokens/{tid}/revoke";
/// The public page of an email change's confirmation link (`?token=…`;
/// the path mailed links are built from).
pub const CONFIRM_EMAIL: &str = roster_app::profile::CONFIRM_PATH;

/// The Customers tab of a partner organization (issue 14).
pub const CUSTOMERS: &str = "/orgs/{org}/settings/customers";
/// A new customer organization: its form (GET) and the create (POST).
pub const CUSTOMER_NEW: &str = "/orgs/{org}/settings/customers/new";
/// "Link an existing organization": the request to its owner (a POST).
pub const CUSTOMER_LINK: &str = "/orgs/{org}/settings/customers/link";
/// Unlinking a customer (`{id}`: its organization id): the confirm step
/// (GET) and the change (POST).
pub const CUSTOMER_UNLINK: &str = "/orgs/{org}/settings/customers/{id}/unlink";
/// The Organization Groups tab (GET) and creating a group (POST).
pub const ORG_GROUPS: &str = "/orgs/{org}/settings/org-groups";
/// One organization group: its customers and members.
pub const ORG_GROUP: &str = "/orgs/{org}/settings/org-groups/{id}";
/// Renaming a group (a POST).
pub const ORG_GROUP_RENAME: &str = "/orgs/{org}/settings/org-groups/{id}/rename";
/// Deleting a group: the confirm step (GET) and the change (POST).
pub const ORG_GROUP_DELETE: &str = "/orgs/{org}/settings/org-groups/{id}/delete";
/// Setting which customers a group holds (a POST).
pub const ORG_GROUP_CUSTOMERS: &str = "/orgs/{org}/settings/org-groups/{id}/customers";
/// Setting which partner members a group is assigned to (a POST).
pub const ORG_GROUP_MEMBERS: &str = "/orgs/{org}/settings/org-groups/{id}/members";
/// A customer's own page about its partner: who of the partner's staff can
/// act here, the link requests waiting.
pub const PARTNER: &str = "/orgs/{org}/settings/partner";
/// "Revoke partner link": the confirm step (GET) and the change (POST).
pub const PARTNER_REVOKE: &str = "/orgs/{org}/settings/partner/revoke";
/// Answering a partner's link request (`{id}`: the partner's id; `{action}`:
/// `accept` or `refuse`; a POST).
pub const PARTNER_REQUEST_ANSWER: &str = "/orgs/{org}/settings/partner/requests/{id}/{action}";

/// Fills a route pattern's `{name}` parameters, percent-encoding each value.
pub fn fill(pattern: &str, params: &[(&str, &str)]) -> String {
    let mut out = pattern.to_string();
    for (name, value) in params {
        out = out.replace(&format!("{{{name}}}"), &segment(value));
    }
    out
}

/// A path segment: unreserved characters as they are, the rest as `%XX`.
fn segment(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The links of one organization's pages, for handlers and templates
/// (`{{ frame.links.user_edit(r.id) }}`).
#[derive(Debug, Clone)]
pub struct OrgLinks {
    slug: String,
}

impl OrgLinks {
    /// The links of the organization with this slug.
    pub fn new(slug: &str) -> Self {
        Self { slug: slug.to_string() }
    }

    fn org(&self, pattern: &str) -> String {
        fill(pattern, &[("org", &self.slug)])
    }

    fn org_id(&self, pattern: &str, id: &str) -> String {
        fill(pattern, &[("org", &self.slug), ("id", id)])
    }

    /// The Users tab.
    pub fn users(&self) -> String {
        self.org(USERS)
    }

    /// The Users tab of another organization (the organization switcher).
    pub fn users_of(&self, slug: &str) -> String {
        fill(USERS, &[("org", slug)])
    }

    /// The bulk change step.
    pub fn users_bulk(&self) -> String {
        self.org(USERS_BULK)
    }

    /// The Users export (add `?format=csv` or `xlsx` and the filters).
    pub fn users_export(&self) -> String {
        self.org(USERS_EXPORT)
    }

    /// A member's edit form.
    pub fn user_edit(&self, id: &str) -> String {
        self.org_id(USER_EDIT, id)
    }

    /// Where a partner member's roles apply (a POST).
    pub fn user_scopes(&self, id: &str) -> String {
        self.org_id(USER_SCOPES, id)
    }

    /// A row action on a member.
    pub fn user_action(&self, id: &str, action: &str) -> String {
        fill(USER_ACTION, &[("org", &self.slug), ("id", id), ("action", action)])
    }

    /// The Users tab filtered to the holders of a product's licenses.
    pub fn users_with_product(&self, key: &str) -> String {
        format!("{}?product={}", self.org(USERS), segment(key))
    }

    /// The Products tab.
    pub fn products(&self) -> String {
        self.org(PRODUCTS)
    }

    /// The "Manage Users & Products" workspace.
    pub fn workspace(&self) -> String {
        self.org(WORKSPACE)
    }

    /// The workspace's preview of changed cells.
    pub fn workspace_review(&self) -> String {
        self.org(WORKSPACE_REVIEW)
    }

    /// Applying reviewed cells.
    pub fn workspace_apply(&self) -> String {
        self.org(WORKSPACE_APPLY)
    }

    /// A product for every member matching a filter (preview and change).
    pub fn workspace_filter(&self) -> String {
        self.org(WORKSPACE_FILTER)
    }

    fn org_key(&self, pattern: &str, key: &str) -> String {
        fill(pattern, &[("org", &self.slug), ("key", key)])
    }

    /// One of the organization's products.
    pub fn product(&self, key: &str) -> String {
        self.org_key(PRODUCT, key)
    }

    /// Subscribing to a product, or changing its seats.
    pub fn product_seats(&self, key: &str) -> String {
        self.org_key(PRODUCT_SEATS, key)
    }

    /// Starting a product's trial.
    pub fn product_trial(&self, key: &str) -> String {
        self.org_key(PRODUCT_TRIAL, key)
    }

    /// Converting a product's trial to paid.
    pub fn product_convert(&self, key: &str) -> String {
        self.org_key(PRODUCT_CONVERT, key)
    }

    /// A product's settings form.
    pub fn product_settings(&self, key: &str) -> String {
        self.org_key(PRODUCT_SETTINGS, key)
    }

    /// Canceling (`cancel`) or reactivating (`reactivate`) a subscription.
    pub fn product_status(&self, key: &str, action: &str) -> String {
        fill(PRODUCT_STATUS, &[("org", &self.slug), ("key", key), ("action", action)])
    }

    /// Reclaiming the seats of a product held by disabled members.
    pub fn product_reclaim(&self, key: &str) -> String {
        self.org_key(PRODUCT_RECLAIM, key)
    }

    /// The Roles tab.
    pub fn roles(&self) -> String {
        self.org(ROLES)
    }

    /// Roles side by side.
    pub fn roles_compare(&self) -> String {
        self.org(ROLES_COMPARE)
    }

    /// A new custom role.
    pub fn role_new(&self) -> String {
        self.org(ROLE_NEW)
    }

    /// The role editor.
    pub fn role_edit(&self, id: &str) -> String {
        self.org_id(ROLE_EDIT, id)
    }

    /// Copying a role.
    pub fn role_copy(&self, id: &str) -> String {
        self.org_id(ROLE_COPY, id)
    }

    /// Deleting a role.
    pub fn role_delete(&self, id: &str) -> String {
        self.org_id(ROLE_DELETE, id)
    }

    /// Handing ownership on.
    pub fn owner(&self) -> String {
        self.org(OWNER)
    }

    /// The Import tab.
    pub fn imports(&self) -> String {
        self.org(IMPORTS)
    }

    /// The import template as CSV.
    pub fn import_template_csv(&self) -> String {
        self.org(IMPORT_TEMPLATE_CSV)
    }

    /// The import template as XLSX.
    pub fn import_template_xlsx(&self) -> String {
        self.org(IMPORT_TEMPLATE_XLSX)
    }

    /// One import's page.
    pub fn import(&self, id: &str) -> String {
        self.org_id(IMPORT, id)
    }

    /// The progress part of an import's page.
    pub fn import_progress(&self, id: &str) -> String {
        self.org_id(IMPORT_PROGRESS, id)
    }

    /// Answering an import's mapping step.
    pub fn import_mapping(&self, id: &str) -> String {
        self.org_id(IMPORT_MAPPING, id)
    }

    /// Committing an import.
    pub fn import_commit(&self, id: &str) -> String {
        self.org_id(IMPORT_COMMIT, id)
    }

    /// Discarding an import.
    pub fn import_discard(&self, id: &str) -> String {
        self.org_id(IMPORT_DISCARD, id)
    }

    /// An import's report (CSV).
    pub fn import_report(&self, id: &str) -> String {
        self.org_id(IMPORT_REPORT, id)
    }

    /// An import's rows in error (CSV).
    pub fn import_errors(&self, id: &str) -> String {
        self.org_id(IMPORT_ERRORS, id)
    }

    /// The History tab.
    pub fn history(&self) -> String {
        self.org(HISTORY)
    }

    /// The History tab showing the events about one object (a member).
    pub fn history_of(&self, target: &str) -> String {
        format!("{}?target={}", self.org(HISTORY), segment(target))
    }

    /// The History's export.
    pub fn history_export(&self) -> String {
        self.org(HISTORY_EXPORT)
    }

    /// The Outbox tab.
    pub fn outbox(&self) -> String {
        self.org(OUTBOX)
    }

    /// The invite form.
    pub fn invite(&self) -> String {
        self.org(INVITE)
    }

    /// The multi-row invite form.
    pub fn invite_many(&self) -> String {
        self.org(INVITE_MANY)
    }

    /// The Invitations tab.
    pub fn invitations(&self) -> String {
        self.org(INVITATIONS)
    }

    /// The bulk resend or cancel step.
    pub fn invitations_bulk(&self) -> String {
        self.org(INVITATIONS_BULK)
    }

    /// The signed-in user's profile page (not the organization's: the
    /// frame links to it from every organization).
    pub fn profile(&self) -> String {
        PROFILE.to_string()
    }

    /// The My Sessions tab.
    pub fn my_sessions(&self) -> String {
        self.org(MY_SESSIONS)
    }

    /// Logging out one of the user's own sessions.
    pub fn my_session_logout(&self, id: &str) -> String {
        fill(MY_SESSION_LOGOUT, &[("org", &self.slug), ("id", id)])
    }

    /// "Log out everywhere else".
    pub fn my_sessions_logout_others(&self) -> String {
        self.org(MY_SESSIONS_LOGOUT_OTHERS)
    }

    /// The Active Sessions tab.
    pub fn active_sessions(&self) -> String {
        self.org(ACTIVE_SESSIONS)
    }

    /// Logging out one session from the Active Sessions tab (its confirm step and submit).
    pub fn org_session_logout(&self, id: &str) -> String {
        self.org_id(ORG_SESSION_LOGOUT, id)
    }

    /// "Log out all sessions" of a member (its confirm step and submit).
    pub fn member_sessions_logout(&self, user_id: &str) -> String {
        self.org_id(MEMBER_SESSIONS_LOGOUT, user_id)
    }

    /// The Session History tab.
    pub fn session_history(&self) -> String {
        self.org(SESSION_HISTORY)
    }

    /// The Service Accounts tab.
    pub fn service_accounts(&self) -> String {
        self.org(SERVICE_ACCOUNTS)
    }

    /// Making a SCIM provisioning token.
    pub fn scim_token(&self) -> String {
        self.org(SCIM_TOKEN)
    }

    /// Binding a SCIM group name to a role.
    pub fn scim_group_mappings(&self) -> String {
        self.org(SCIM_GROUP_MAPPINGS)
    }

    /// Removing a SCIM group binding.
    pub fn scim_group_mapping_remove(&self, id: &str) -> String {
        self.org_id(SCIM_GROUP_MAPPING_REMOVE, id)
    }

    /// The History tab showing what one actor (by label) did.
    pub fn history_by(&self, actor: &str) -> String {
        format!("{}?actor={}", self.org(HISTORY), segment(actor))
    }

    /// A new service account's form.
    pub fn service_account_new(&self) -> String {
        self.org(SERVICE_ACCOUNT_NEW)
    }

    /// One service account's page.
    pub fn service_account(&self, id: &str) -> String {
        self.org_id(SERVICE_ACCOUNT, id)
    }

    /// A service account's edit form.
    pub fn service_account_edit(&self, id: &str) -> String {
        self.org_id(SERVICE_ACCOUNT_EDIT, id)
    }

    /// Disabling, enabling or deleting a service account.
    pub fn service_account_action(&self, id: &str, action: &str) -> String {
        fill(SERVICE_ACCOUNT_ACTION, &[("org", &self.slug), ("id", id), ("action", action)])
    }

    /// A new token of a service account.
    pub fn service_account_token_new(&self, id: &str) -> String {
        self.org_id(SERVICE_ACCOUNT_TOKEN_NEW, id)
    }

    /// Revoking or rotating one of a service account's tokens.
    pub fn service_account_token_action(&self, id: &str, tid: &str, action: &str) -> String {
        fill(SERVICE_ACCOUNT_TOKEN_ACTION, &[("org", &self.slug), ("id", id), ("tid", tid), ("action", action)])
    }

    /// The Access Requests tab.
    pub fn access_requests(&self) -> String {
        self.org(ACCESS_REQUESTS)
    }

    /// Approving one request.
    pub fn access_request_approve(&self, id: &str) -> String {
        self.org_id(ACCESS_REQUEST_APPROVE, id)
    }

    /// Denying one request.
    pub fn access_request_deny(&self, id: &str) -> String {
        self.org_id(ACCESS_REQUEST_DENY, id)
    }

    /// The join link and email domains form.
    pub fn join_settings(&self) -> String {
        self.org(JOIN_SETTINGS)
    }

    /// "Regenerate link" (its confirm step and submit).
    pub fn join_link_regenerate(&self) -> String {
        self.org(JOIN_LINK_REGENERATE)
    }

    /// The signed-in user's access requests (not the organization's: the
    /// frame links to it from every organization).
    pub fn my_requests(&self) -> String {
        MY_REQUESTS.to_string()
    }

    /// The Customers tab.
    pub fn customers(&self) -> String {
        self.org(CUSTOMERS)
    }

    /// The Customers tab of another organization (the partner's, from the
    /// banner shown inside a customer).
    pub fn customers_of(&self, slug: &str) -> String {
        fill(CUSTOMERS, &[("org", slug)])
    }

    /// The new customer form.
    pub fn customer_new(&self) -> String {
        self.org(CUSTOMER_NEW)
    }

    /// "Link an existing organization".
    pub fn customer_link(&self) -> String {
        self.org(CUSTOMER_LINK)
    }

    /// Unlinking a customer (its confirm step and submit).
    pub fn customer_unlink(&self, id: &str) -> String {
        self.org_id(CUSTOMER_UNLINK, id)
    }

    /// The Organization Groups tab.
    pub fn org_groups(&self) -> String {
        self.org(ORG_GROUPS)
    }

    /// The Organization Groups tab showing one partner member's groups.
    pub fn org_groups_of_member(&self, user_id: &str) -> String {
        format!("{}?member={}", self.org(ORG_GROUPS), segment(user_id))
    }

    /// One organization group.
    pub fn org_group(&self, id: &str) -> String {
        self.org_id(ORG_GROUP, id)
    }

    /// Renaming a group.
    pub fn org_group_rename(&self, id: &str) -> String {
        self.org_id(ORG_GROUP_RENAME, id)
    }

    /// Deleting a group (its confirm step and submit).
    pub fn org_group_delete(&self, id: &str) -> String {
        self.org_id(ORG_GROUP_DELETE, id)
    }

    /// Setting a group's customers.
    pub fn org_group_customers(&self, id: &str) -> String {
        self.org_id(ORG_GROUP_CUSTOMERS, id)
    }

    /// Setting a group's members.
    pub fn org_group_members(&self, id: &str) -> String {
        self.org_id(ORG_GROUP_MEMBERS, id)
    }

    /// The organization's partner page.
    pub fn partner(&self) -> String {
        self.org(PARTNER)
    }

    /// "Revoke partner link" (its confirm step and submit).
    pub fn partner_revoke(&self) -> String {
        self.org(PARTNER_REVOKE)
    }

    /// Accepting or refusing a partner's link request.
    pub fn partner_request_answer(&self, partner_id: &str, action: &str) -> String {
        fill(PARTNER_REQUEST_ANSWER, &[("org", &self.slug), ("id", partner_id), ("action", action)])
    }

    /// One invitation's resend or cancel step.
    pub fn invitation_action(&self, id: &str, action: &str) -> String {
        fill(INVITATION_ACTION, &[("org", &self.slug), ("id", id), ("action", action)])
    }
}

/// The public page of an invitation link.
pub fn accept(token: &str) -> String {
    fill(ACCEPT, &[("token", token)])
}

/// The join page of an organization, with the join link's code when there is one.
pub fn join(slug: &str, code: Option<&str>) -> String {
    let path = fill(JOIN, &[("slug", slug)]);
    match code.filter(|c| !c.is_empty()) {
        Some(c) => format!("{path}?{}", serde_urlencoded::to_string([("code", c)]).unwrap_or_default()),
        None => path,
    }
}

/// Withdrawing one of the signed-in user's requests.
pub fn my_request_withdraw(id: &str) -> String {
    fill(MY_REQUEST_WITHDRAW, &[("id", id)])
}

/// The sign-up form, going on to `next` once the account is confirmed.
pub fn signup(next: &str) -> String {
    if next.is_empty() || next == HOME {
        SIGNUP.to_string()
    } else {
        format!("{SIGNUP}?{}", serde_urlencoded::to_string([("next", next)]).unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_fill_the_declared_patterns() {
        let l = OrgLinks::new("acme");
        assert_eq!(l.users(), "/orgs/acme/settings/users");
        assert_eq!(l.user_action("u1", "disable"), "/orgs/acme/settings/users/u1/disable");
        assert_eq!(l.role_edit("r 1"), "/orgs/acme/settings/roles/r%201/edit");
        assert!(!l.owner().contains('{'));
    }
}
