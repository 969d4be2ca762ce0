//! Reading submitted forms whose fields repeat or are named per resource.

/// A form as ordered (name, value) pairs: the forms here have one field per
/// resource and repeated checkboxes, which a fixed struct cannot name.
pub(crate) type Pairs = Vec<(String, String)>;

/// The first value of a field, or "".
pub(crate) fn field<'a>(pairs: &'a Pairs, name: &str) -> &'a str {
    pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or("")
}

/// Every value of a repeated field.
pub(crate) fn fields<'a>(pairs: &'a Pairs, name: &str) -> Vec<&'a str> {
    pairs.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str()).collect()
}

/// A role's checkbox on a form that gives roles (invite, approve a
/// request, a service account): the offer, ticked when chosen, disabled
/// with the reason when the actor cannot give it.
pub struct RoleBox {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) description: String,
    pub(crate) checked: bool,
    pub(crate) disabled: bool,
    /// Why it cannot be given here.
    pub(crate) hint: String,
}

/// The checkboxes of `offers`, ticking those `chosen` names (by id or key).
pub(crate) fn role_boxes(offers: &[roster_app::invitations::RoleOffer], chosen: &[String]) -> Vec<RoleBox> {
    offers
        .iter()
        .map(|o| {
            let id = o.role.id.to_string();
            RoleBox {
                checked: chosen.iter().any(|x| *x == id || *x == o.role.key),
                id,
                name: o.role.name.clone(),
                description: o.role.description.clone(),
                disabled: o.refusal.is_some(),
                hint: o.refusal.clone().unwrap_or_default(),
            }
        })
        .collect()
}
