//! Downloads, shared by the API and the pages (neither imports the other):
//! the History and Users exports streamed a batch at a time, and whole
//! files (the import templates and reports).

use std::future::Future;

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use roster_app::AppError;

/// An export read a part at a time.
trait Chunked: Send + 'static {
    /// A part of the file.
    type Chunk: Into<Bytes>;
    /// The next part, or `None` at the file's end.
    fn next(&mut self) -> impl Future<Output = Result<Option<Self::Chunk>, AppError>> + Send;
}

impl Chunked for roster_app::history::Export {
    type Chunk = String;
    fn next(&mut self) -> impl Future<Output = Result<Option<String>, AppError>> + Send {
        self.next_chunk()
    }
}

impl Chunked for roster_app::members::MemberExport {
    type Chunk = Vec<u8>;
    fn next(&mut self) -> impl Future<Output = Result<Option<Vec<u8>>, AppError>> + Send {
        self.next_chunk()
    }
}

/// An export as an attachment, streamed: one part in memory at a time,
/// whatever the file's size. A failure after the first part ends the
/// download early (the status is sent already), and the log says why.
fn attachment<E: Chunked>(media_type: &str, file_name: String, what: &'static str, export: E) -> Response {
    let disposition = format!("attachment; filename=\"{file_name}\"");
    let stream = futures::stream::try_unfold(export, move |mut export| async move {
        match export.next().await {
            Ok(Some(chunk)) => Ok(Some((chunk.into(), export))),
            Ok(None) => Ok(None),
            Err(e) => {
                tracing::error!(error = %e, "{what} export failed");
                Err(std::io::Error::other("the export failed"))
            }
        }
    });
    (
        [(header::CONTENT_TYPE, media_type.to_string()), (header::CONTENT_DISPOSITION, disposition)],
        Body::from_stream::<_>(stream),
    )
        .into_response()
}

/// A History export as an attachment, streamed a batch of events at a time.
pub fn history_export(export: roster_app::history::Export) -> Response {
    let (media_type, name) = (export.media_type(), export.file_name());
    attachment(media_type, name, "audit", export)
}

/// A Users export as an attachment, streamed: one batch of members (CSV) or
/// one block of the finished workbook (XLSX) in memory at a time.
pub fn member_export(export: roster_app::members::MemberExport) -> Response {
    let (media_type, name) = (export.media_type(), export.file_name());
    attachment(media_type, name, "users", export)
}

/// The media type of CSV files.
pub const CSV: &str = "text/csv; charset=utf-8";

/// The media type of XLSX files.
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// A whole file as an attachment named `name` (quotes, backslashes and
/// line breaks in it replaced).
pub fn file(media_type: &str, name: &str, bytes: Vec<u8>) -> Response {
    let disposition = format!("attachment; filename=\"{}\"", name.replace(['"', '\\', '\r', '\n'], "_"));
    let mut res = bytes.into_response();
    let headers = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(media_type) {
        headers.insert(header::CONTENT_TYPE, v);
    }
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    res
}
