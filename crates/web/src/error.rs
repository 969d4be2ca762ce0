//! The one place where service errors become HTTP answers: RFC 9457
//! `application/problem+json` for the API. Internal messages never reach a
//! client; they go to the log.

use axum::Json;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use roster_app::{AppError, ConflictKind};
use roster_domain::{FieldError, ValidationError};
use serde::Serialize;
use utoipa::ToSchema;

/// An RFC 9457 problem document.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI reference naming the kind of problem; stable per kind
    /// (`/problems/validation`, `/problems/last-administrator`, …).
    #[serde(rename = "type")]
    pub type_: String,
    /// A short summary of the kind.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What happened here, in words a person can act on.
    pub detail: String,
    /// For validation problems: each bad field and what is wrong with it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// For `/problems/no-seats`: the product and its seats.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seats: Option<Box<Seats>>,
}

/// A product's seats, as a `/problems/no-seats` answer reports them.
#[derive(Debug, Serialize, ToSchema)]
pub struct Seats {
    /// The product's key.
    pub product: String,
    /// Seats in all.
    pub license_count: i64,
    /// Seats free now.
    pub free: i64,
    /// Licenses the refused change needed.
    pub needed: i64,
}

impl Problem {
    /// A problem of a kind.
    pub fn new(status: StatusCode, kind: &str, title: &str, detail: impl Into<String>) -> Self {
        Self {
            type_: format!("/problems/{kind}"),
            title: title.into(),
            status: status.as_u16(),
            detail: detail.into(),
            errors: vec![],
            seats: None,
        }
    }

    /// A 422 naming each bad field.
    pub fn validation(e: &ValidationError) -> Self {
        Self {
            errors: e.errors.clone(),
            ..Self::new(StatusCode::UNPROCESSABLE_ENTITY, "validation", "Invalid input", e.to_string())
        }
    }

    /// A 400 for input that could not be read at all.
    pub fn malformed(field: Option<&str>, detail: impl Into<String>) -> Self {
        let detail = detail.into();
        Self {
            errors: field.map(|f| vec![FieldError { field: f.into(), message: detail.clone() }]).unwrap_or_default(),
            ..Self::new(StatusCode::BAD_REQUEST, "malformed-request", "Malformed request", detail)
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut res = (status, Json(self)).into_response();
        res.headers_mut().insert(header::CONTENT_TYPE, "application/problem+json".parse().expect("static header"));
        res
    }
}

/// A service error on its way to an API client.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        Self(e)
    }
}

impl From<ValidationError> for ApiError {
    fn from(e: ValidationError) -> Self {
        Self(AppError::Validation(e))
    }
}

/// Maps a service error to its problem document.
pub fn problem_for(e: &AppError) -> Problem {
    match e {
        AppError::Validation(v) => Problem::validation(v),
        AppError::NotFound(what) => Problem::new(
            StatusCode::NOT_FOUND,
            "not-found",
            "Not found",
            format!("No such {what}, or you cannot see it."),
        ),
        AppError::Forbidden(why) => Problem::new(StatusCode::FORBIDDEN, "forbidden", "Forbidden", why.clone()),
        AppError::Escalation(why) => {
            Problem::new(StatusCode::FORBIDDEN, "escalation", "Beyond your own permissions", why.clone())
        }
        AppError::Conflict { kind, detail } => {
            Problem::new(StatusCode::CONFLICT, kind.slug(), conflict_title(*kind), detail.clone())
        }
        AppError::NoSeats { product, needed, free, license_count, .. } => Problem {
            seats: Some(Box::new(Seats {
                product: product.clone(),
                license_count: *license_count,
                free: *free,
                needed: *needed,
            })),
            ..Problem::new(StatusCode::CONFLICT, "no-seats", "No seats free", e.to_string())
        },
        AppError::Unauthenticated => Problem::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "Sign-in required",
            "Sign in first: this needs a valid session.",
        ),
        AppError::InvalidCredentials => Problem::new(
            StatusCode::UNAUTHORIZED,
            "invalid-credentials",
            "Invalid credentials",
            "The email or password is wrong.",
        ),
        AppError::TooManyAttempts { retry_after_s } => Problem::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too-many-attempts",
            "Too many attempts",
            format!("Too many failed sign-ins. Try again in {} minutes.", (retry_after_s + 59) / 60),
        ),
        AppError::RateLimited { what, retry_after_s } => Problem::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate-limited",
            "Too many requests",
            format!("Too many {what} lately. Try again in {} minutes.", (retry_after_s + 59) / 60),
        ),
        AppError::Busy { .. } => Problem::new(
            StatusCode::TOO_MANY_REQUESTS,
            "busy",
            "Busy",
            "Too many passwords are being checked at this moment. Try again in a second.",
        ),
        AppError::AccountLocked => Problem::new(
            StatusCode::FORBIDDEN,
            "account-locked",
            "Account locked",
            "This account is locked after too many failed sign-ins. Choose a new password with \"Forgot password?\" \
             (the link unlocks it), or ask an administrator to unlock it.",
        ),
        AppError::InvalidToken => Problem::new(
            StatusCode::BAD_REQUEST,
            "invalid-token",
            "Invalid link",
            "This link is invalid, used or expired; ask for a new one.",
        ),
        AppError::Store(_) | AppError::Internal(_) => {
            tracing::error!(error = %e, "request failed");
            Problem::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Internal error",
                "Something failed on our side; try again, and tell the operator if it persists.",
            )
        }
    }
}

fn conflict_title(kind: ConflictKind) -> &'static str {
    match kind {
        ConflictKind::OwnerProtected => "The owner is protected",
        ConflictKind::LastAdministrator => "Last administrator",
        ConflictKind::StatusTransition => "Status does not allow this",
        ConflictKind::EmailTaken => "Email taken",
        ConflictKind::SlugTaken => "Slug taken",
        ConflictKind::RoleNameTaken => "Role name taken",
        ConflictKind::RoleLocked => "The owner's role is locked",
        ConflictKind::BuiltinRole => "Built-in role",
        ConflictKind::RoleInUse => "Role in use",
        ConflictKind::TransferDisabled => "Ownership transfer is off",
        ConflictKind::SelfChange => "Not on yourself",
        ConflictKind::AlreadyMember => "Already a member",
        ConflictKind::AlreadyInvited => "Already invited",
        ConflictKind::InvitationClosed => "Invitation no longer pending",
        ConflictKind::NotLocked => "Not locked",
        ConflictKind::SeatsInUse => "Seats in use",
        ConflictKind::SubscriptionState => "Subscription state does not allow this",
        ConflictKind::RequestPending => "Request pending already",
        ConflictKind::RequestClosed => "Request no longer pending",
        ConflictKind::RequestCooldown => "Too soon to ask again",
        ConflictKind::ImportState => "The import cannot do this now",
        ConflictKind::CustomerLink => "The organization cannot be linked or unlinked",
        ConflictKind::GroupNameTaken => "An organization group has that name",
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        with_retry_after(&self.0, problem_for(&self.0).into_response())
    }
}

/// Adds `Retry-After` (seconds) to the answer of a refusal that passes with
/// time (too many attempts, a busy hashing pool).
pub fn with_retry_after(e: &AppError, mut res: Response) -> Response {
    if let Some(s) = e.retry_after_s() {
        res.headers_mut().insert(header::RETRY_AFTER, s.into());
    }
    res
}

/// Shorthand for API handler results.
pub type ApiResult<T> = Result<T, ApiError>;
