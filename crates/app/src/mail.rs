//! Composing emails: every message Roster sends is a [`Letter`] (a greeting,
//! paragraphs, at most one action link and a footer), rendered to plain text
//! and HTML by the same two templates, so that every email looks alike.
//!
//! Links are built from the configured public base URL
//! ([`Config::link`](crate::Config::link)), never from a request's `Host`
//! header, so that a forged header cannot send someone a link to another
//! site.

use askama::Template;

/// What a message is for; stored with it (`outbox.kind`) and shown on the
/// Outbox page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailKind {
    /// An invitation to join an organization.
    Invitation,
    /// A link to choose a new password (self-service or sent by an administrator).
    PasswordReset,
    /// A link to confirm a new email address, sent to that address.
    EmailChangeConfirm,
    /// A notice to the old address that the email is being changed.
    EmailChangeNotice,
    /// A notice that an account was locked after too many failed sign-ins.
    AccountLocked,
    /// A sign-up's confirmation link.
    SignupConfirm,
    /// Someone signed up with an address that has an account already.
    SignupExisting,
    /// An access request was approved.
    AccessApproved,
    /// An access request was denied.
    AccessDenied,
}

impl MailKind {
    /// The stable name stored in the outbox.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Invitation => "invitation",
            Self::PasswordReset => "password_reset",
            Self::EmailChangeConfirm => "email_change_confirm",
            Self::EmailChangeNotice => "email_change_notice",
            Self::AccountLocked => "account_locked",
            Self::SignupConfirm => "signup_confirm",
            Self::SignupExisting => "signup_existing",
            Self::AccessApproved => "access_approved",
            Self::AccessDenied => "access_denied",
        }
    }

    /// Words for the Outbox page.
    pub fn label(kind: &str) -> &'static str {
        match kind {
            "invitation" => "Invitation",
            "password_reset" => "Password reset",
            "email_change_confirm" => "Email change: confirmation",
            "email_change_notice" => "Email change: notice",
            "account_locked" => "Account locked",
            "signup_confirm" => "Sign-up: confirmation",
            "signup_existing" => "Sign-up: account exists",
            "access_approved" => "Access request approved",
            "access_denied" => "Access request denied",
            _ => "Message",
        }
    }
}

/// One email's content before rendering.
#[derive(Debug, Clone)]
pub struct Letter {
    /// The subject line.
    pub subject: String,
    /// The first line ("Hello Ann,").
    pub greeting: String,
    /// The body, one paragraph per item (plain text; escaped in HTML).
    pub paragraphs: Vec<String>,
    /// The one button: its label and absolute URL.
    pub action: Option<(String, String)>,
    /// The small print under the body ("This link works for 7 days…").
    pub footer: Vec<String>,
}

/// A rendered email, ready for the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The subject line.
    pub subject: String,
    /// The plain-text body.
    pub text: String,
    /// The HTML body.
    pub html: String,
}

#[derive(Template)]
#[template(path = "mail/letter.txt", escape = "none")]
struct TextLetter<'a> {
    letter: &'a Letter,
}

#[derive(Template)]
#[template(path = "mail/letter.html")]
struct HtmlLetter<'a> {
    letter: &'a Letter,
}

impl Letter {
    /// Renders the letter to text and HTML.
    pub fn render(&self) -> Rendered {
        // The templates only print fields, so rendering cannot fail; an
        // error would be a bug in a template, caught by the tests below.
        let text = TextLetter { letter: self }.render().unwrap_or_default();
        let html = HtmlLetter { letter: self }.render().unwrap_or_default();
        Rendered { subject: self.subject.clone(), text, html }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn letter() -> Letter {
        Letter {
            subject: "Join Acme <Corp>".into(),
            greeting: "Hello Ann,".into(),
            paragraphs: vec!["Bob invited you to <Acme>.".into()],
            action: Some(("Accept the invitation".into(), "https://roster.example/invite/abc?x=1&y=2".into())),
            footer: vec!["The link works for 7 days.".into()],
        }
    }

    #[test]
    fn text_has_every_part_and_the_link_verbatim() {
        let r = letter().render();
        assert_eq!(r.subject, "Join Acme <Corp>");
        for part in ["Hello Ann,", "Bob invited you to <Acme>.", "https://roster.example/invite/abc?x=1&y=2", "7 days"]
        {
            assert!(r.text.contains(part), "{part} missing from {}", r.text);
        }
    }

    #[test]
    fn html_escapes_text_and_keeps_the_link_working() {
        let r = letter().render();
        assert!(
            r.html.contains("Bob invited you to &#60;Acme&#62;.")
                || r.html.contains("Bob invited you to &lt;Acme&gt;.")
        );
        assert!(!r.html.contains("<Acme>"));
        assert!(
            r.html.contains("href=\"https://roster.example/invite/abc?x=1&#38;y=2\"")
                || r.html.contains("href=\"https://roster.example/invite/abc?x=1&amp;y=2\""),
            "{}",
            r.html
        );
    }
}
