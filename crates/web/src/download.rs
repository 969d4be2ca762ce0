//! Streamed downloads, shared by the API and the pages (neither imports
//! the other): the History and Users exports are written a batch at a time.

use axum::body::Body;
use axum::http::header;
use axum::response::{IntoResponse, Response};

/// A History export as an attachment, streamed: one batch of events in
/// memory at a time, whatever the file's size.
pub fn history_export(export: roster_app::history::Export) -> Response {
    let media_type = export.media_type();
    let disposition = format!("attachment; filename=\"{}\"", export.file_name());
    let stream = futures::stream::try_unfold(export, |mut export| async move {
        match export.next_chunk().await {
            Ok(Some(chunk)) => Ok(Some((chunk, export))),
            Ok(None) => Ok(None),
            Err(e) => {
                // The status is sent already: the download ends early, and the log says why.
                tracing::error!(error = %e, "audit export failed");
                Err(std::io::Error::other("the export failed"))
            }
        }
    });
    (
        [(header::CONTENT_TYPE, media_type.to_string()), (header::CONTENT_DISPOSITION, disposition)],
        Body::from_stream(stream),
    )
        .into_response()
}

/// A Users export as an attachment, streamed: one batch of members (CSV) or
/// one block of the finished workbook (XLSX) in memory at a time.
pub fn member_export(export: roster_app::members::MemberExport) -> Response {
    let media_type = export.media_type();
    let disposition = format!("attachment; filename=\"{}\"", export.file_name());
    let stream = futures::stream::try_unfold(export, |mut export| async move {
        match export.next_chunk().await {
            Ok(Some(chunk)) => Ok(Some((chunk, export))),
            Ok(None) => Ok(None),
            Err(e) => {
                // The status is sent already: the download ends early, and the log says why.
                tracing::error!(error = %e, "users export failed");
                Err(std::io::Error::other("the export failed"))
            }
        }
    });
    (
        [(header::CONTENT_TYPE, media_type.to_string()), (header::CONTENT_DISPOSITION, disposition)],
        Body::from_stream(stream),
    )
        .into_response()
}
