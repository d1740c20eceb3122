//! The object forms, read from a urlencoded body or a multipart upload (a secret from a
//! file): every field is size-checked while it is read, before anything else happens.

use axum::extract::{FromRequest, Multipart, Request};
use axum::http::header;
use axum::{Form, RequestExt};
use serde::Deserialize;

use crate::AppState;
use crate::docker::objects::MAX_DATA;
use crate::error::AppError;

/// Longest short field (names, labels, subnets, options).
pub const MAX_FIELD: usize = 64 * 1024;

/// Every field any object form sends (each form reads those it knows).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ObjectForm {
    pub name: String,
    /// a secret's or config's value typed in
    pub value: String,
    pub labels: String,
    pub attachable: String,
    pub encrypted: String,
    pub internal: String,
    pub subnet: String,
    pub gateway: String,
    pub driver: String,
    pub options: String,
    /// the node a volume is created on or removed from (its id; empty: berth's own)
    pub node: String,
    /// an uploaded file's bytes (multipart only)
    #[serde(skip)]
    pub file: Vec<u8>,
}

impl ObjectForm {
    /// The data: the uploaded file when one was chosen, else the typed value.
    pub fn data(&self) -> &[u8] {
        if self.file.is_empty() {
            self.value.as_bytes()
        } else {
            &self.file
        }
    }

    pub fn flag(v: &str) -> bool {
        matches!(v, "on" | "yes" | "true" | "1")
    }
}

fn too_large(what: &str, max: usize) -> AppError {
    AppError::BadRequest(format!(
        "The {what} is too large (at most {} KiB).",
        max / 1024
    ))
}

impl FromRequest<AppState> for ObjectForm {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let multipart = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("multipart/form-data"));
        if !multipart {
            let Form(f) = Form::<ObjectForm>::from_request(req, state)
                .await
                .map_err(|e| AppError::BadRequest(format!("The form could not be read: {e}")))?;
            if f.value.len() > MAX_DATA {
                return Err(too_large("value", MAX_DATA));
            }
            let short = [
                &f.name,
                &f.labels,
                &f.attachable,
                &f.encrypted,
                &f.internal,
                &f.subnet,
                &f.gateway,
                &f.driver,
                &f.options,
                &f.node,
            ];
            if short.iter().any(|v| v.len() > MAX_FIELD) {
                return Err(too_large("field", MAX_FIELD));
            }
            return Ok(f);
        }
        let read_err = |e: axum::extract::multipart::MultipartError| {
            AppError::BadRequest(format!("The upload could not be read: {e}"))
        };
        let mut mp: Multipart = req
            .extract()
            .await
            .map_err(|e| AppError::BadRequest(format!("The upload could not be read: {e}")))?;
        let mut f = ObjectForm::default();
        while let Some(mut field) = mp.next_field().await.map_err(read_err)? {
            let name = field.name().unwrap_or_default().to_string();
            let max = match name.as_str() {
                "value" | "file" => MAX_DATA,
                _ => MAX_FIELD,
            };
            let mut data = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(read_err)? {
                if data.len() + chunk.len() > max {
                    return Err(too_large(&name, max));
                }
                data.extend_from_slice(&chunk);
            }
            if name == "file" {
                f.file = data;
                continue;
            }
            let text = String::from_utf8(data).map_err(|_| {
                AppError::BadRequest(format!("The field {name} is not UTF-8 text."))
            })?;
            match name.as_str() {
                "name" => f.name = text,
                "value" => f.value = text,
                "labels" => f.labels = text,
                "attachable" => f.attachable = text,
                "encrypted" => f.encrypted = text,
                "internal" => f.internal = text,
                "subnet" => f.subnet = text,
                "gateway" => f.gateway = text,
                "driver" => f.driver = text,
                "options" => f.options = text,
                "node" => f.node = text,
                _ => {}
            }
        }
        Ok(f)
    }
}
