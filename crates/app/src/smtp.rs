//! Delivery over SMTP with lettre (rustls): `smtp://host:port` (STARTTLS,
//! see [`SmtpMailer::from_url`]) or `smtps://host:port` (TLS from the first
//! byte), with credentials in the URL's user-info
//! (`smtps://user:pass@mail.example:465`).

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::outbox::{Mailer, Outgoing, SendFuture};

/// Sends through one SMTP server.
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

/// Why an SMTP configuration was refused.
#[derive(Debug, thiserror::Error)]
pub enum SmtpConfigError {
    /// The URL cannot be read.
    #[error("the SMTP URL is not valid: {0}")]
    Url(String),
    /// The sender address cannot be read.
    #[error("the sender address (--smtp-from) is not valid: {0}")]
    From(String),
}

impl SmtpMailer {
    /// A mailer for `url` sending as `from` (`Roster <roster@example.com>`).
    ///
    /// `smtps://` uses TLS from the first byte (port 465 by default);
    /// `smtp://` uses STARTTLS, required, unless the URL says
    /// `?tls=none` (a local relay or a test server on 127.0.0.1) or
    /// `?tls=opportunistic`; its default port is 587.
    pub fn from_url(url: &str, from: &str) -> Result<Self, SmtpConfigError> {
        let from: Mailbox =
            from.parse().map_err(|e: lettre::address::AddressError| SmtpConfigError::From(e.to_string()))?;
        let (scheme, rest) =
            url.split_once("://").ok_or_else(|| SmtpConfigError::Url("missing smtp:// or smtps://".into()))?;
        let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
        let (userinfo, hostport) = match rest.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, rest),
        };
        let hostport = hostport.trim_end_matches('/');
        let (host, port) = match hostport.rsplit_once(':') {
            Some((h, p)) => (h, Some(p.parse::<u16>().map_err(|_| SmtpConfigError::Url(format!("bad port '{p}'")))?)),
            None => (hostport, None),
        };
        if host.is_empty() {
            return Err(SmtpConfigError::Url("no host".into()));
        }
        let tls_mode = query.split('&').find_map(|kv| kv.strip_prefix("tls=")).unwrap_or("required");
        let tls_params = || TlsParameters::new(host.to_string()).map_err(|e| SmtpConfigError::Url(e.to_string()));
        let (tls, default_port) = match (scheme, tls_mode) {
            ("smtps", _) => (Tls::Wrapper(tls_params()?), 465),
            ("smtp", "none") => (Tls::None, 25),
            ("smtp", "opportunistic") => (Tls::Opportunistic(tls_params()?), 587),
            ("smtp", "required") => (Tls::Required(tls_params()?), 587),
            ("smtp", other) => {
                return Err(SmtpConfigError::Url(format!("unknown tls={other}; use required, opportunistic or none")));
            }
            (other, _) => {
                return Err(SmtpConfigError::Url(format!("unknown scheme '{other}'; use smtp:// or smtps://")));
            }
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            .port(port.unwrap_or(default_port))
            .tls(tls)
            .timeout(Some(std::time::Duration::from_secs(30)));
        if let Some(userinfo) = userinfo {
            let (user, pass) = userinfo.split_once(':').unwrap_or((userinfo, ""));
            builder = builder.credentials(Credentials::new(percent_decode(user), percent_decode(pass)));
        }
        Ok(Self { transport: builder.build(), from })
    }
}

/// Decodes `%XX` escapes in a URL's user-info.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%' && i + 3 <= bytes.len())
            .then(|| std::str::from_utf8(&bytes[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok()))
            .flatten();
        if let Some(b) = escaped {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl Mailer for SmtpMailer {
    fn send<'a>(&'a self, m: &'a Outgoing) -> SendFuture<'a> {
        Box::pin(async move {
            let to: Mailbox = m.to.parse().map_err(|e: lettre::address::AddressError| format!("recipient: {e}"))?;
            let domain = self.from.email.domain().to_string();
            let message = Message::builder()
                .from(self.from.clone())
                .to(to)
                .subject(m.subject.clone())
                .message_id(Some(format!("<{}@{domain}>", m.id)))
                .multipart(MultiPart::alternative_plain_html(m.text.clone(), m.html.clone()))
                .map_err(|e| format!("building the message: {e}"))?;
            self.transport.send(message).await.map(|_| ()).map_err(|e| e.to_string())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // lettre's connection pool spawns a task when it is dropped, so the
    // mailers built here must be dropped inside a runtime.
    #[tokio::test]
    async fn urls_are_read_or_refused_with_a_reason() {
        assert!(SmtpMailer::from_url("smtp://127.0.0.1:2525?tls=none", "Roster <r@example.com>").is_ok());
        assert!(SmtpMailer::from_url("smtps://user:p%40ss@mail.example.com", "r@example.com").is_ok());
        assert!(SmtpMailer::from_url("smtp://mail.example.com:587", "r@example.com").is_ok());
        assert!(matches!(SmtpMailer::from_url("http://x", "r@example.com"), Err(SmtpConfigError::Url(_))));
        assert!(matches!(SmtpMailer::from_url("smtp://x:notaport", "r@example.com"), Err(SmtpConfigError::Url(_))));
        assert!(matches!(SmtpMailer::from_url("smtp://x", "not an address"), Err(SmtpConfigError::From(_))));
    }

    #[test]
    fn user_info_is_percent_decoded() {
        assert_eq!(percent_decode("p%40ss%3Aword"), "p@ss:word");
        assert_eq!(percent_decode("plain"), "plain");
        assert_eq!(percent_decode("100%"), "100%");
    }
}
