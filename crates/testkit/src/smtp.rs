//! A real SMTP server for tests: Debian's `python3-aiosmtpd`, started on
//! 127.0.0.1 with its Maildir handler, so that a test sends through the same
//! lettre transport as production and reads what arrived.
//!
//! With `CI=true` a missing aiosmtpd fails the test; elsewhere
//! [`SmtpServer::start`] answers `None` and the test says it skipped.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// One message the server received.
#[derive(Debug, Clone)]
pub struct ReceivedMail {
    /// The `To` header.
    pub to: String,
    /// The `From` header.
    pub from: String,
    /// The decoded `Subject`.
    pub subject: String,
    /// The decoded plain-text part.
    pub text: String,
    /// The decoded HTML part.
    pub html: String,
}

impl ReceivedMail {
    /// The first `http(s)://` link in the text part.
    pub fn first_link(&self) -> Option<String> {
        self.text.split_whitespace().find(|w| w.starts_with("http://") || w.starts_with("https://")).map(String::from)
    }
}

/// A running aiosmtpd writing every message to a Maildir.
pub struct SmtpServer {
    child: Child,
    port: u16,
    maildir: PathBuf,
}

/// The Python that has Debian's aiosmtpd (not a pyenv or venv one).
const PYTHON: &str = "/usr/bin/python3";

impl SmtpServer {
    /// Starts a server on a free port of 127.0.0.1 and waits until it
    /// accepts connections. `None` when aiosmtpd is not installed (a
    /// failure under `CI=true`).
    pub fn start() -> Option<Self> {
        let installed = Command::new(PYTHON)
            .args(["-c", "import aiosmtpd"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !installed {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "CI=true: python3-aiosmtpd is required (apt-get install python3-aiosmtpd)"
            );
            eprintln!("skipped: python3-aiosmtpd is not installed");
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port();
        let maildir = std::env::temp_dir().join(format!("roster-smtp-{}", uuid::Uuid::now_v7().simple()));
        for sub in ["new", "cur", "tmp"] {
            std::fs::create_dir_all(maildir.join(sub)).expect("maildir");
        }
        let child = Command::new(PYTHON)
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start aiosmtpd");
        let server = Self { child, port, maildir };
        let deadline = Instant::now() + Duration::from_secs(15);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "aiosmtpd did not start on port {port}");
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(server)
    }

    /// The URL Roster's SMTP mailer takes (plain SMTP: the server is local).
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}?tls=none", self.port)
    }

    /// Every message received so far.
    pub fn received(&self) -> Vec<ReceivedMail> {
        let mut files: Vec<PathBuf> = ["new", "cur"]
            .iter()
            .filter_map(|d| std::fs::read_dir(self.maildir.join(d)).ok())
            .flatten()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        files.sort();
        files.iter().filter_map(|f| std::fs::read(f).ok()).filter_map(|raw| parse(&raw)).collect()
    }

    /// Waits (up to 20 s) for a message to `to` and answers the latest.
    pub async fn wait_for(&self, to: &str) -> ReceivedMail {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(m) = self.received().into_iter().rev().find(|m| m.to.contains(to)) {
                return m;
            }
            assert!(Instant::now() < deadline, "no message to {to} reached the SMTP server");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

fn parse(raw: &[u8]) -> Option<ReceivedMail> {
    let mail = mailparse::parse_mail(raw).ok()?;
    let header =
        |name: &str| mail.headers.iter().find(|h| h.get_key().eq_ignore_ascii_case(name)).map(|h| h.get_value());
    let mut text = String::new();
    let mut html = String::new();
    let mut parts = vec![&mail];
    while let Some(p) = parts.pop() {
        match p.ctype.mimetype.as_str() {
            "text/plain" if text.is_empty() => text = p.get_body().unwrap_or_default(),
            "text/html" if html.is_empty() => html = p.get_body().unwrap_or_default(),
            _ => parts.extend(p.subparts.iter()),
        }
    }
    Some(ReceivedMail {
        to: header("To").unwrap_or_default(),
        from: header("From").unwrap_or_default(),
        subject: header("Subject").unwrap_or_default(),
        text,
        html,
    })
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.maildir);
    }
}
