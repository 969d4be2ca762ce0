//! A harness for end-to-end tests of Roster's web UI in Debian's Chromium.
//!
//! [`Browser::start`] launches `chromedriver` on a free port, opens a
//! headless Chromium session over WebDriver (fantoccini) with a fresh
//! profile, and answers a [`Browser`] whose helpers poll for elements, text
//! and URLs instead of sleeping, so a test passes whether a click reloads the
//! page or htmx swaps part of it. [`Browser::screenshot`] saves full-page PNGs
//! to `artifacts/screenshots/` at the workspace root, for a person to look at.
//!
//! Nothing is downloaded: the browser and its driver come from Debian's
//! `chromium` and `chromium-driver` packages. When they are missing the test
//! is skipped with a notice, except under `CI=true`, where that is a failure.
#![forbid(unsafe_code)]

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::str::FromStr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use fantoccini::elements::Element;
use fantoccini::wd::{Capabilities, WebDriverCompatibleCommand};
use fantoccini::{Client, ClientBuilder, Locator};
use reqwest::{Method, Url};
use serde_json::{Value, json};

/// Where Debian installs chromedriver; `ROSTER_CHROMEDRIVER` overrides it.
pub const DEFAULT_CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// Where Debian installs Chromium; `ROSTER_CHROMIUM` overrides it.
pub const DEFAULT_CHROMIUM: &str = "/usr/bin/chromium";

/// How long a wait for an element, a text or a URL may take before the test fails.
pub const TIMEOUT: Duration = Duration::from_secs(15);

/// How often a wait looks again.
const POLL: Duration = Duration::from_millis(50);

/// The tallest page a full-page screenshot captures, in CSS pixels.
const MAX_SHOT_HEIGHT: u32 = 6000;

/// The size of the area a page is laid out in, in CSS pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Viewport {
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
    /// Whether the browser behaves as a phone's (the viewport meta tag applies).
    pub mobile: bool,
}

impl Viewport {
    /// A laptop: 1280 × 900.
    pub const LAPTOP: Viewport = Viewport { width: 1280, height: 900, mobile: false };
    /// A phone: 390 × 844, as an iPhone 12–15.
    pub const PHONE: Viewport = Viewport { width: 390, height: 844, mobile: true };
}

/// How the browser is set up.
#[derive(Debug, Clone)]
pub struct Options {
    /// Whether pages may run JavaScript. With `false`, htmx and `roster.js`
    /// do not run, which proves the pages work as plain HTML.
    pub javascript: bool,
    /// Whether [`Browser::screenshot`] saves files; when `false` it does nothing.
    pub screenshots: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self { javascript: true, screenshots: true }
    }
}

/// A headless Chromium session and the chromedriver process behind it.
pub struct Browser {
    client: Option<Client>,
    driver: Child,
    work_dir: PathBuf,
    shots_dir: PathBuf,
    options: Options,
    viewport: Viewport,
    base_url: String,
}

/// Reads a path from the environment, or the default.
fn binary(var: &str, default: &str) -> PathBuf {
    std::env::var_os(var).map(PathBuf::from).unwrap_or_else(|| PathBuf::from(default))
}

/// A port nobody listens on right now.
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("local address").port()
}

/// A new, empty directory under the system's temporary directory.
fn fresh_dir(label: &str) -> PathBuf {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or_default();
    let dir = std::env::temp_dir().join(format!(
        "roster-{label}-{}-{nanos}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).expect("create a temporary directory");
    dir
}

/// The workspace's `artifacts/screenshots/`, created if missing.
pub fn screenshots_dir() -> PathBuf {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = crate_dir.parent().and_then(Path::parent).unwrap_or(crate_dir);
    let dir = root.join("artifacts").join("screenshots");
    std::fs::create_dir_all(&dir).expect("create artifacts/screenshots");
    dir
}

/// A Chrome DevTools Protocol command, sent through chromedriver's
/// `goog/cdp/execute` endpoint of the current session.
#[derive(Debug)]
struct Cdp {
    method: &'static str,
    params: Value,
}

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(&self, base_url: &Url, session_id: Option<&str>) -> Result<Url, <Url as FromStr>::Err> {
        base_url.join(&format!("session/{}/goog/cdp/execute", session_id.unwrap_or_default()))
    }

    fn method_and_body(&self, _request_url: &Url) -> (Method, Option<String>) {
        (Method::POST, Some(json!({ "cmd": self.method, "params": self.params }).to_string()))
    }
}

impl Browser {
    /// Starts chromedriver and a headless Chromium session that will visit
    /// `base_url`. Answers `None` (after printing why) when the browser or
    /// its driver is not installed, unless `CI=true`, where it panics.
    pub async fn start(base_url: &str, options: Options) -> Option<Browser> {
        let driver_bin = binary("ROSTER_CHROMEDRIVER", DEFAULT_CHROMEDRIVER);
        let chromium_bin = binary("ROSTER_CHROMIUM", DEFAULT_CHROMIUM);
        let missing: Vec<String> =
            [&driver_bin, &chromium_bin].into_iter().filter(|p| !p.exists()).map(|p| p.display().to_string()).collect();
        if !missing.is_empty() {
            let why = format!(
                "the browser tests need {} (Debian packages `chromium` and `chromium-driver`, \
                 or set ROSTER_CHROMIUM and ROSTER_CHROMEDRIVER)",
                missing.join(" and ")
            );
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("{why}; CI=true, so a missing browser fails the run instead of skipping it");
            }
            eprintln!("SKIPPED: {why}.");
            return None;
        }

        let work_dir = fresh_dir("browser");
        let profile = work_dir.join("profile");
        let log_path = work_dir.join("chromedriver.log");
        let port = free_port();
        // Its own process group, so that Drop can end chromedriver and every
        // Chromium process it started with one signal, even after a panic.
        let mut driver = Command::new(&driver_bin)
            .arg(format!("--port={port}"))
            .arg(format!("--log-path={}", log_path.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("could not start {}: {e}", driver_bin.display()));
        let driver_url = format!("http://127.0.0.1:{port}");
        wait_until_ready(&mut driver, &driver_url, &log_path).await;

        let mut args = vec![
            "--headless=new".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--no-first-run".into(),
            "--disable-quic".into(),
            "--window-size=1280,900".into(),
            format!("--user-data-dir={}", profile.display()),
        ];
        if !options.javascript {
            // Scripts off for every site; WebDriver's own scripts still run.
            args.push("--blink-settings=scriptEnabled=false".into());
        }
        let mut capabilities = Capabilities::new();
        capabilities
            .insert("goog:chromeOptions".into(), json!({ "binary": chromium_bin.display().to_string(), "args": args }));
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = match ClientBuilder::new(connector).capabilities(capabilities).connect(&driver_url).await {
            Ok(c) => c,
            Err(e) => {
                let log = tail(&log_path);
                let _ = driver.kill();
                panic!("chromedriver could not open a Chromium session: {e}\nchromedriver.log ends with:\n{log}");
            }
        };
        let mut browser = Browser {
            client: Some(client),
            driver,
            work_dir,
            shots_dir: screenshots_dir(),
            options,
            viewport: Viewport::LAPTOP,
            base_url: base_url.trim_end_matches('/').to_string(),
        };
        browser.set_viewport(Viewport::LAPTOP).await;
        Some(browser)
    }

    /// The WebDriver client, for anything the helpers do not cover.
    pub fn client(&self) -> &Client {
        self.client.as_ref().expect("the session is open until finish()")
    }

    /// Whether pages run JavaScript in this session.
    pub fn has_javascript(&self) -> bool {
        self.options.javascript
    }

    /// Sends a Chrome DevTools Protocol command and answers its result.
    pub async fn cdp(&self, method: &'static str, params: Value) -> Value {
        self.client()
            .issue_cmd(Cdp { method, params })
            .await
            .unwrap_or_else(|e| panic!("DevTools command {method} failed: {e}"))
    }

    /// Lays pages out in a viewport of this size, as a phone or a laptop would.
    pub async fn set_viewport(&mut self, viewport: Viewport) {
        self.apply_viewport(viewport, viewport.height).await;
        self.viewport = viewport;
    }

    async fn apply_viewport(&self, viewport: Viewport, height: u32) {
        self.cdp(
            "Emulation.setDeviceMetricsOverride",
            json!({
                "width": viewport.width,
                "height": height,
                "deviceScaleFactor": 1,
                "mobile": viewport.mobile,
            }),
        )
        .await;
    }

    /// Opens a path of the app, such as `/login`.
    pub async fn goto(&self, path: &str) {
        let url = format!("{}{path}", self.base_url);
        self.client().goto(&url).await.unwrap_or_else(|e| panic!("could not open {url}: {e}"));
    }

    /// The current URL's path and query, such as `/orgs/acme/settings/users?q=x`.
    pub async fn path(&self) -> String {
        match self.client().current_url().await {
            Ok(u) => match u.query() {
                Some(q) => format!("{}?{q}", u.path()),
                None => u.path().to_string(),
            },
            Err(_) => String::new(),
        }
    }

    /// Polls `check` until it answers `Some`, and answers that; fails the
    /// test after [`TIMEOUT`], naming `what` was awaited.
    pub async fn wait_for<T>(&self, what: &str, check: impl AsyncFnMut() -> Option<T>) -> T {
        match self.poll_until(check).await {
            Some(v) => v,
            None => {
                let path = self.path().await;
                panic!("timed out after {TIMEOUT:?} waiting for {what} (the browser is at {path})");
            }
        }
    }

    /// Polls `check` until it answers `Some`, and answers that; answers
    /// `None` after [`TIMEOUT`], so the caller can say what it saw last.
    pub async fn poll_until<T>(&self, mut check: impl AsyncFnMut() -> Option<T>) -> Option<T> {
        let start = Instant::now();
        loop {
            if let Some(v) = check().await {
                return Some(v);
            }
            if start.elapsed() > TIMEOUT {
                return None;
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Waits until an element matching `css` is on the page, and answers it.
    pub async fn find(&self, css: &str) -> Element {
        self.wait_for(&format!("an element matching `{css}`"), async || {
            self.client().find(Locator::Css(css)).await.ok()
        })
        .await
    }

    /// Whether an element matching `css` is on the page now.
    pub async fn exists(&self, css: &str) -> bool {
        self.client().find_all(Locator::Css(css)).await.is_ok_and(|v| !v.is_empty())
    }

    /// Clicks the element matching `css`, waiting for it to appear first.
    /// Retries when the page replaced the element between finding and clicking.
    pub async fn click(&self, css: &str) {
        self.wait_for(&format!("a clickable `{css}`"), async || {
            let el = self.client().find(Locator::Css(css)).await.ok()?;
            el.click().await.ok()
        })
        .await;
    }

    /// Replaces the text of the input matching `css` with `value`.
    pub async fn fill(&self, css: &str, value: &str) {
        self.wait_for(&format!("an input `{css}` to type into"), async || {
            let el = self.client().find(Locator::Css(css)).await.ok()?;
            el.clear().await.ok()?;
            el.send_keys(value).await.ok()
        })
        .await;
    }

    /// Chooses the option with `value` in the select matching `css`.
    pub async fn select(&self, css: &str, value: &str) {
        self.wait_for(&format!("option `{value}` of `{css}`"), async || {
            let el = self.client().find(Locator::Css(css)).await.ok()?;
            el.select_by_value(value).await.ok()
        })
        .await;
    }

    /// The text of the element matching `css` now, if there is one.
    pub async fn text(&self, css: &str) -> Option<String> {
        let el = self.client().find(Locator::Css(css)).await.ok()?;
        el.text().await.ok()
    }

    /// Waits until the text of the element matching `css` satisfies `ok`, and answers it.
    pub async fn wait_text(&self, css: &str, what: &str, ok: impl Fn(&str) -> bool) -> String {
        self.wait_for(&format!("`{css}` to show {what}"), async || self.text(css).await.filter(|t| ok(t))).await
    }

    /// Waits until the current path and query satisfy `ok`, and answers them.
    pub async fn wait_path(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        self.wait_for(&format!("the URL to be {what}"), async || Some(self.path().await).filter(|p| ok(p))).await
    }

    /// Runs a script in the page and answers what it returns. WebDriver runs
    /// it even when the page's own JavaScript is off.
    pub async fn eval(&self, script: &str) -> Value {
        self.client().execute(script, vec![]).await.unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// Saves a PNG of the whole page (not only the visible part) as
    /// `artifacts/screenshots/{name}.png`, unless screenshots are off.
    pub async fn screenshot(&self, name: &str) {
        if !self.options.screenshots {
            return;
        }
        let metrics = self.cdp("Page.getLayoutMetrics", json!({})).await;
        let content_height = metrics["cssContentSize"]["height"].as_f64().unwrap_or(0.0).ceil() as u32;
        let height = content_height.clamp(self.viewport.height, MAX_SHOT_HEIGHT);
        if height != self.viewport.height {
            self.apply_viewport(self.viewport, height).await;
        }
        self.save_screenshot(name).await;
        if height != self.viewport.height {
            self.apply_viewport(self.viewport, self.viewport.height).await;
        }
    }

    /// Saves a PNG of what fits in the viewport, as a person first sees the
    /// page, to `artifacts/screenshots/{name}.png`, unless screenshots are off.
    pub async fn screenshot_visible(&self, name: &str) {
        if self.options.screenshots {
            self.save_screenshot(name).await;
        }
    }

    async fn save_screenshot(&self, name: &str) {
        let png = self.client().screenshot().await.unwrap_or_else(|e| panic!("screenshot {name} failed: {e}"));
        let path = self.shots_dir.join(format!("{name}.png"));
        std::fs::write(&path, png).unwrap_or_else(|e| panic!("could not write {}: {e}", path.display()));
        println!("  screenshot {}", path.display());
    }

    /// Ends the session (Chromium quits), stops chromedriver and removes
    /// the profile. Dropping a `Browser` does the same, more bluntly.
    pub async fn finish(mut self) {
        if let Some(client) = self.client.take() {
            let _ = client.close().await;
        }
        // Drop stops chromedriver and removes the temporary directory.
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Signal the whole process group first, so that Chromium's processes
        // do not outlive a test that panicked before `finish`.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.driver.id())])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.work_dir);
    }
}

/// Waits until chromedriver answers `/status` with `ready: true`.
async fn wait_until_ready(driver: &mut Child, url: &str, log: &Path) {
    let http = reqwest::Client::new();
    let start = Instant::now();
    loop {
        if let Ok(Some(status)) = driver.try_wait() {
            panic!("chromedriver exited at start ({status}); its log ends with:\n{}", tail(log));
        }
        if let Ok(r) = http.get(format!("{url}/status")).timeout(Duration::from_secs(2)).send().await
            && let Ok(body) = r.json::<Value>().await
            && body["value"]["ready"] == json!(true)
        {
            return;
        }
        if start.elapsed() > Duration::from_secs(20) {
            let _ = driver.kill();
            panic!("chromedriver did not answer on {url} within 20 s; its log ends with:\n{}", tail(log));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The last lines of a log file, for a failure message.
fn tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}
