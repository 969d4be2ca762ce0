//! A long change's progress, as a page streamed while the change runs.
//!
//! The answer to the form's POST is an HTML page sent in pieces: its head
//! at once, then a line per step of the work (a `<progress>` bar and its
//! words; the stylesheet shows only the newest), then the outcome with a
//! link back. It needs no JavaScript, no polling and no job table, and it
//! works behind any load balancer, since the one request that does the work
//! also reports on it. The work runs in its own task: a visitor who leaves
//! the page does not cancel a change half way (it commits or rolls back as
//! one transaction either way).

use std::future::Future;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use tokio::sync::mpsc;

/// A step of the work: `done` of `total` (0: not known yet), in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// Units done.
    pub done: u64,
    /// Units in all (0 while unknown).
    pub total: u64,
    /// What is being done ("Writing licenses").
    pub words: String,
}

/// How the work ended: what the page says, and where its button leads.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Whether it succeeded (shown as a success or an error).
    pub ok: bool,
    /// The sentence to show.
    pub message: String,
    /// The page to go back to (a same-origin path).
    pub back: String,
    /// The button's words.
    pub back_label: String,
}

/// Where the work reports its steps. Reports closer together than a fifth
/// of a second are dropped (but the last one is kept for the end).
#[derive(Clone)]
pub struct Reporter {
    tx: mpsc::UnboundedSender<Step>,
}

impl Reporter {
    /// Reports a step.
    pub fn report(&self, step: Step) {
        let _ = self.tx.send(step);
    }
}

/// The least time between two lines of the page.
const EVERY: Duration = Duration::from_millis(200);

/// Runs `work` in its own task and answers the streamed page titled
/// `title` that follows it.
pub fn streamed<W, F>(title: &str, work: W) -> Response
where
    W: FnOnce(Reporter) -> F,
    F: Future<Output = Outcome> + Send + 'static,
{
    let (tx, rx) = mpsc::unbounded_channel();
    let job = tokio::spawn(work(Reporter { tx }));
    let head = head(title);
    enum State<F> {
        Head(String, mpsc::UnboundedReceiver<Step>, F),
        Steps(mpsc::UnboundedReceiver<Step>, F, Instant),
        Done,
    }
    let stream = futures::stream::unfold(State::Head(head, rx, job), |state| async move {
        match state {
            State::Head(head, rx, job) => {
                Some((Ok::<_, std::io::Error>(head), State::Steps(rx, job, Instant::now() - EVERY)))
            }
            State::Steps(mut rx, job, last) => {
                // The newest step after at least EVERY; the channel closes when the work ends.
                let mut newest = None;
                loop {
                    let wait = EVERY.saturating_sub(last.elapsed());
                    match tokio::time::timeout(wait.max(Duration::from_millis(1)), rx.recv()).await {
                        Ok(Some(step)) => {
                            newest = Some(step);
                            if last.elapsed() >= EVERY {
                                break;
                            }
                        }
                        Ok(None) => break,
                        Err(_) if newest.is_some() => break,
                        Err(_) => {}
                    }
                }
                match newest {
                    Some(step) => Some((Ok(step_html(&step)), State::Steps(rx, job, Instant::now()))),
                    None => {
                        let outcome = match job.await {
                            Ok(o) => o,
                            Err(e) => {
                                tracing::error!(error = %e, "streamed work failed");
                                Outcome {
                                    ok: false,
                                    message: "Something failed on our side; nothing was changed.".into(),
                                    back: "/".into(),
                                    back_label: "Back".into(),
                                }
                            }
                        };
                        Some((Ok(tail(&outcome)), State::Done))
                    }
                }
            }
            State::Done => None,
        }
    });
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
            // Proxies that buffer (nginx) pass the page on as it comes.
            (header::HeaderName::from_static("x-accel-buffering"), "no"),
        ],
        Body::from_stream(stream),
    )
        .into_response()
}

/// Text for HTML.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A count with thousands separators: 100,000.
pub fn grouped(n: u64) -> String {
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

fn head(title: &str) -> String {
    // Browsers start rendering after the first kilobyte or so: the comment pads the head.
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{t} · Roster</title>\n<link rel=\"stylesheet\" href=\"/assets/roster.css\">\n</head>\n\
         <body>\n<main class=\"auth\">\n<div class=\"auth-card stream\" role=\"status\" aria-live=\"polite\">\n\
         <div class=\"brand brand-lg\"><span class=\"brand-mark\" aria-hidden=\"true\">R</span> Roster</div>\n\
         <h1>{t}</h1>\n<!--{pad}-->\n",
        t = esc(title),
        pad = " ".repeat(1024)
    )
}

fn step_html(s: &Step) -> String {
    let words = esc(&s.words);
    if let Some(pct) = (s.done.min(s.total) * 100).checked_div(s.total) {
        format!(
            "<div class=\"stream-step\"><progress max=\"{}\" value=\"{}\">{pct}%</progress>\
             <p>{words}: {} of {} ({pct}%)</p></div>\n",
            s.total,
            s.done.min(s.total),
            grouped(s.done.min(s.total)),
            grouped(s.total)
        )
    } else {
        format!("<div class=\"stream-step\"><progress></progress><p>{words}: {}</p></div>\n", grouped(s.done))
    }
}

fn tail(o: &Outcome) -> String {
    let class = if o.ok { "flash flash-ok" } else { "flash flash-error" };
    format!(
        "<div class=\"stream-step stream-end\"><div class=\"{class}\" role=\"alert\">{}</div>\
         <div class=\"form-actions\"><a class=\"btn btn-primary\" href=\"{}\" autofocus>{}</a></div></div>\n\
         </div>\n</main>\n</body>\n</html>\n",
        esc(&o.message),
        esc(&o.back),
        esc(&o.back_label)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_read_as_words() {
        let s = Step { done: 45_000, total: 100_000, words: "Writing licenses".into() };
        let h = step_html(&s);
        assert!(h.contains("Writing licenses: 45,000 of 100,000 (45%)"), "{h}");
        assert!(h.contains("value=\"45000\""));
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1_000), "1,000");
        assert_eq!(grouped(1_234_567), "1,234,567");
        let t =
            tail(&Outcome { ok: false, message: "<b>".into(), back: "/x?a=1&b=2".into(), back_label: "Back".into() });
        assert!(t.contains("&lt;b&gt;") && t.contains("/x?a=1&amp;b=2"), "{t}");
    }

    #[tokio::test]
    async fn the_page_follows_the_work_to_its_end() {
        let res = streamed("Applying", |r: Reporter| async move {
            for i in 1..=3u64 {
                r.report(Step { done: i, total: 3, words: "Writing".into() });
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            Outcome {
                ok: true,
                message: "3 licenses assigned.".into(),
                back: "/back".into(),
                back_label: "Back".into(),
            }
        });
        let body = axum::body::to_bytes(res.into_body(), 1 << 20).await.unwrap();
        let html = String::from_utf8(body.to_vec()).unwrap();
        assert!(html.starts_with("<!doctype html>"));
        assert!(html.contains("Writing: 1 of 3") && html.contains("Writing: 3 of 3"), "{html}");
        assert!(html.trim_end().ends_with("</html>"));
        assert!(html.contains("3 licenses assigned."));
    }
}
