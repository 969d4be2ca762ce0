//! An import as a job: its status, its mode, each row's planned outcome and
//! what the commit did with it, and the counts the pages and the API show.

use serde::{Deserialize, Serialize};

use crate::ValidationError;

macro_rules! word_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident => $word:literal),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vm])* $variant),* }

        impl $name {
            /// Every value, in order.
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            /// The stored and API word.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $word),* }
            }

            /// Reads the stored and API word.
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($word => Some($name::$variant),)* _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

word_enum! {
    /// Where an import stands.
    ImportStatus {
        /// Some headers could not be placed: the mapping step asks where they go.
        Mapping => "mapping",
        /// Every row is checked: the preview waits for a commit.
        Preview => "preview",
        /// The commit is being applied (in batches; resumed after a crash).
        Committing => "committing",
        /// The commit is applied.
        Done => "done",
        /// The commit stopped on an error that was not a row's.
        Failed => "failed",
        /// Put aside without a commit.
        Discarded => "discarded",
    }
}

impl ImportStatus {
    /// Whether the import will not change any more.
    pub fn is_final(self) -> bool {
        matches!(self, ImportStatus::Done | ImportStatus::Failed | ImportStatus::Discarded)
    }
}

word_enum! {
    /// What an import does with people who are members already.
    ImportMode {
        /// Only new members; a row about a member is an error (unless it changes nothing).
        Create => "create",
        /// New members are created, members are updated to the row.
        Upsert => "upsert",
    }
}

impl ImportMode {
    /// Reads a mode as forms, the API and the CLI give it (`create`,
    /// `create-only`, `upsert`, `update`, `create-and-update`).
    pub fn parse_loose(s: &str) -> Result<Self, ValidationError> {
        match s.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "create" | "create-only" => Ok(ImportMode::Create),
            "upsert" | "update" | "create-and-update" => Ok(ImportMode::Upsert),
            _ => Err(ValidationError::field("mode", "must be create or upsert")),
        }
    }

    /// In words, for pages.
    pub fn label(self) -> &'static str {
        match self {
            ImportMode::Create => "Create new members only",
            ImportMode::Upsert => "Create new members and update existing ones",
        }
    }
}

word_enum! {
    /// What checking a row planned for it.
    Outcome {
        /// A new member.
        Create => "create",
        /// A member whose name, roles or products change.
        Update => "update",
        /// A member the row describes as they are.
        Unchanged => "unchanged",
        /// A row that cannot be applied (the reason and the cell say why).
        Error => "error",
    }
}

impl Outcome {
    /// In words, for pages and reports.
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Create => "Create",
            Outcome::Update => "Update",
            Outcome::Unchanged => "Unchanged",
            Outcome::Error => "Error",
        }
    }

    /// Whether committing the row writes something.
    pub fn writes(self) -> bool {
        matches!(self, Outcome::Create | Outcome::Update)
    }
}

word_enum! {
    /// What the commit did with a row.
    RowResult {
        /// The member was created.
        Created => "created",
        /// The member was updated.
        Updated => "updated",
        /// Nothing needed doing.
        Unchanged => "unchanged",
        /// The row had an error and the import skips bad rows.
        Skipped => "skipped",
        /// The row was refused when applied (the reason says why).
        Failed => "failed",
    }
}

/// Rows per planned outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Counts {
    /// New members.
    pub create: u64,
    /// Members to update.
    pub update: u64,
    /// Members as they are.
    pub unchanged: u64,
    /// Rows with an error.
    pub error: u64,
}

impl Counts {
    /// Counts one more row of `outcome`.
    pub fn add(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Create => self.create += 1,
            Outcome::Update => self.update += 1,
            Outcome::Unchanged => self.unchanged += 1,
            Outcome::Error => self.error += 1,
        }
    }

    /// Every row.
    pub fn total(&self) -> u64 {
        self.create + self.update + self.unchanged + self.error
    }

    /// Rows a commit writes.
    pub fn to_apply(&self) -> u64 {
        self.create + self.update
    }
}

/// A member as a row is compared with: their name and what they hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holding {
    /// Display name.
    pub name: String,
    /// Role names held (any order).
    pub roles: Vec<String>,
    /// Product keys held (any order).
    pub products: Vec<String>,
}

/// What a row wants a member to be: `None` leaves that part as it is.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Wanted {
    /// Display name, when the row gives one.
    pub name: Option<String>,
    /// Role names, when the row gives any.
    pub roles: Option<Vec<String>>,
    /// Product keys, when the row gives any.
    pub products: Option<Vec<String>>,
}

/// Whether a row changes a member: a part the row gives that differs from
/// what the member has (lists compared as sets, names exactly).
pub fn changes(held: &Holding, wanted: &Wanted) -> bool {
    let same_set = |a: &[String], b: &[String]| {
        let mut a: Vec<&String> = a.iter().collect();
        let mut b: Vec<&String> = b.iter().collect();
        a.sort();
        a.dedup();
        b.sort();
        b.dedup();
        a == b
    };
    wanted.name.as_ref().is_some_and(|n| *n != held.name)
        || wanted.roles.as_ref().is_some_and(|r| !same_set(r, &held.roles))
        || wanted.products.as_ref().is_some_and(|p| !same_set(p, &held.products))
}

/// A list cell as stored in a row (`None`: the row leaves it as it is).
pub fn join_list(items: &Option<Vec<String>>) -> Option<String> {
    items.as_ref().map(|l| l.join("; "))
}

/// A stored list cell read back.
pub fn split_list(stored: &Option<String>) -> Option<Vec<String>> {
    stored.as_ref().map(|s| s.split("; ").filter(|i| !i.is_empty()).map(str::to_string).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn held() -> Holding {
        Holding { name: "Ann Smith".into(), roles: vec!["Viewer".into(), "Editor".into()], products: vec![] }
    }

    #[test]
    fn words_round_trip() {
        for s in ImportStatus::ALL {
            assert_eq!(ImportStatus::parse(s.as_str()), Some(*s));
        }
        for o in Outcome::ALL {
            assert_eq!(Outcome::parse(o.as_str()), Some(*o));
        }
        assert_eq!(ImportMode::parse_loose("Create-and-update").unwrap(), ImportMode::Upsert);
        assert!(ImportMode::parse_loose("merge").is_err());
    }

    #[test]
    fn a_row_changes_only_what_it_gives() {
        assert!(!changes(&held(), &Wanted::default()));
        let same = Wanted {
            name: Some("Ann Smith".into()),
            roles: Some(vec!["Editor".into(), "Viewer".into()]),
            products: Some(vec![]),
        };
        assert!(!changes(&held(), &same));
        assert!(changes(&held(), &Wanted { name: Some("Ann Smyth".into()), ..Default::default() }));
        assert!(changes(&held(), &Wanted { roles: Some(vec!["Viewer".into()]), ..Default::default() }));
        assert!(changes(&held(), &Wanted { products: Some(vec!["crm".into()]), ..Default::default() }));
    }

    #[test]
    fn lists_round_trip_through_storage() {
        let l = Some(vec!["A".to_string(), "B c".to_string()]);
        assert_eq!(split_list(&join_list(&l)), l);
        assert_eq!(split_list(&None), None);
        let counts = {
            let mut c = Counts::default();
            c.add(Outcome::Create);
            c.add(Outcome::Error);
            c
        };
        assert_eq!((counts.total(), counts.to_apply()), (2, 1));
    }
}
