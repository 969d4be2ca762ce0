//! Validation errors that name the field at fault.

use std::fmt;

/// One field's problem, in words a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct FieldError {
    /// The input field, as the client named it (`email`, `per_page`, …).
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

/// Input that failed validation: one entry per bad field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ValidationError {
    /// Every problem found, not only the first.
    pub errors: Vec<FieldError>,
}

impl ValidationError {
    /// A validation error about one field.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { errors: vec![FieldError { field: field.into(), message: message.into() }] }
    }

    /// Adds every problem of `other` to this one.
    pub fn merge(&mut self, other: ValidationError) {
        self.errors.extend(other.errors);
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect();
        f.write_str(&parts.join("; "))
    }
}
