//! Reading a multipart upload (the import's file and its fields), shared by
//! the API and the pages: the file is read a chunk at a time and refused as
//! soon as it passes the configured size, so a large upload never sits in
//! memory whole.

use std::collections::BTreeMap;

use axum::extract::{FromRequest, Multipart, Request};
use roster_app::AppError;
use roster_domain::ValidationError;

use crate::AppState;

/// The most any upload route reads before refusing (the configured import
/// size, checked while reading, is lower).
pub const UPLOAD_CEILING: usize = 256 * 1024 * 1024;

/// An uploaded file and the form's other fields.
#[derive(Debug, Default)]
pub struct Upload {
    /// The file's name as the browser sent it ("" when none).
    pub file_name: String,
    /// The file's bytes (empty when no file was chosen).
    pub bytes: Vec<u8>,
    /// The other fields, by name (the last value of a repeated one).
    pub fields: BTreeMap<String, String>,
}

fn bad(field: &str, message: impl Into<String>) -> AppError {
    ValidationError::field(field, message).into()
}

/// Reads a `multipart/form-data` body: the part named `file` into
/// [`Upload::bytes`] (at most `max_bytes`), the others as text fields (at
/// most 64 KiB each, at most 100 of them).
pub async fn read_upload(req: Request, state: &AppState, max_bytes: usize) -> Result<Upload, AppError> {
    let mut upload = Upload::default();
    read_into(req, state, max_bytes, &mut upload).await?;
    Ok(upload)
}

/// [`read_upload`] for a page: on a refusal it answers what was read
/// before it too (the fields before the file), so that the form can be
/// shown again as it was filled in.
pub async fn read_upload_form(req: Request, state: &AppState, max_bytes: usize) -> (Upload, Option<AppError>) {
    let mut upload = Upload::default();
    let refusal = read_into(req, state, max_bytes, &mut upload).await.err();
    (upload, refusal)
}

async fn read_into(req: Request, state: &AppState, max_bytes: usize, upload: &mut Upload) -> Result<(), AppError> {
    let mut form = Multipart::from_request(req, state)
        .await
        .map_err(|e| bad("file", format!("send the file as multipart/form-data ({})", e.body_text())))?;
    let mut parts = 0;
    loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return Err(bad("file", format!("the upload could not be read: {}", e.body_text()))),
        };
        parts += 1;
        if parts > 100 {
            return Err(bad("file", "the form has too many parts"));
        }
        let name = field.name().unwrap_or_default().to_string();
        if name == "file" {
            upload.file_name = field.file_name().unwrap_or_default().to_string();
            let mut field = field;
            loop {
                match field.chunk().await {
                    Ok(Some(chunk)) => {
                        if upload.bytes.len() + chunk.len() > max_bytes {
                            return Err(bad("file", too_large(max_bytes)));
                        }
                        upload.bytes.extend_from_slice(&chunk);
                    }
                    Ok(None) => break,
                    Err(_) => return Err(bad("file", too_large(max_bytes))),
                }
            }
        } else {
            let text = field.text().await.map_err(|e| bad(&name, format!("could not be read: {}", e.body_text())))?;
            if text.len() > 64 * 1024 {
                return Err(bad(&name, "is too long"));
            }
            upload.fields.insert(name, text);
        }
    }
    Ok(())
}

/// "the file is larger than 20 MB".
fn too_large(max: usize) -> String {
    format!(
        "the file is larger than {} MB: split it, or ask the operator to raise import_max_bytes",
        max / (1024 * 1024)
    )
}

/// A checkbox or boolean field: `true`, `on`, `1`, `yes` are true; absent is false.
pub fn flag(fields: &BTreeMap<String, String>, name: &str) -> Result<bool, AppError> {
    match fields.get(name).map(|v| v.trim().to_ascii_lowercase()) {
        None => Ok(false),
        Some(v) if matches!(v.as_str(), "true" | "on" | "1" | "yes") => Ok(true),
        Some(v) if matches!(v.as_str(), "false" | "off" | "0" | "no" | "") => Ok(false),
        Some(_) => Err(bad(name, "must be true or false")),
    }
}
