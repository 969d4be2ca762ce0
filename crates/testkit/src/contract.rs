//! The API contract check: every answer a test app gives on a path of the
//! OpenAPI document (or under `/api`) is held to that document. The status
//! must be listed for the operation, the `Content-Type` must be the listed
//! media type, the declared headers must be present, and the JSON body must
//! validate against the listed schema, `$ref`s resolved (a text body, such as
//! a CSV export, as one string). A request the
//! document calls invalid (a query parameter or a JSON body that fails its
//! schema) must be refused with a 4xx.
//!
//! The check runs as a middleware around the app that [`crate::spawn_app`]
//! starts, so it sees every answer whichever client asked; what it finds is
//! kept on the [`crate::TestApp`] and fails the test (see [`Violations`]).

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use serde_json::{Value, json};

/// What the contract check found so far, shared by a test app and its sessions.
#[derive(Clone, Default)]
pub struct Violations(Arc<Mutex<Vec<String>>>);

impl Violations {
    fn push(&self, v: String) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push(v);
    }

    /// Fails the test if any answer so far broke the contract.
    pub fn assert_none(&self) {
        let found = std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()));
        assert!(found.is_empty(), "answers that openapi.json does not describe:\n{}", found.join("\n\n"));
    }
}

/// The document, loaded once per test binary.
pub static DOCUMENT: LazyLock<Contract> = LazyLock::new(|| Contract::new(&roster_web::openapi_json()));

/// The OpenAPI document, ready to check answers against.
pub struct Contract {
    doc: Value,
    validators: Mutex<HashMap<String, Arc<jsonschema::Validator>>>,
}

/// One exchange, as the contract check sees it.
pub struct Exchange<'a> {
    /// The request's method.
    pub method: &'a Method,
    /// The request's path (no query).
    pub path: &'a str,
    /// The request's query string, if any.
    pub query: Option<&'a str>,
    /// The request's body.
    pub request_body: &'a [u8],
    /// The answer's status.
    pub status: StatusCode,
    /// The answer's headers.
    pub headers: &'a HeaderMap,
    /// The answer's body.
    pub body: &'a [u8],
}

impl Contract {
    /// Reads a document.
    pub fn new(json: &str) -> Self {
        Self { doc: serde_json::from_str(json).expect("the OpenAPI document is JSON"), validators: Mutex::default() }
    }

    /// The document.
    pub fn document(&self) -> &Value {
        &self.doc
    }

    /// Whether answers on this path are held to the document: the API's
    /// paths and anything under `/api`, except the served document and its viewer.
    pub fn covers(&self, path: &str) -> bool {
        let docs = path == "/api/openapi.json" || path == "/api/docs" || path.starts_with("/api/docs/");
        !docs && (path.starts_with("/api/") || self.find_path(path).is_some())
    }

    /// The document's path template that a concrete path matches; a literal
    /// segment beats a parameter (`/users/bulk` before `/users/{id}`).
    pub fn find_path(&self, path: &str) -> Option<&str> {
        let segments: Vec<&str> = path.split('/').collect();
        self.doc["paths"]
            .as_object()?
            .keys()
            .filter_map(|template| {
                let parts: Vec<&str> = template.split('/').collect();
                if parts.len() != segments.len() {
                    return None;
                }
                let mut literal = 0;
                for (t, s) in parts.iter().zip(&segments) {
                    if t.starts_with('{') && t.ends_with('}') {
                        if s.is_empty() {
                            return None;
                        }
                    } else if t == s {
                        literal += 1;
                    } else {
                        return None;
                    }
                }
                Some((literal, template.as_str()))
            })
            .max_by_key(|(literal, _)| *literal)
            .map(|(_, t)| t)
    }

    /// Checks one exchange; answers every way it departs from the document.
    pub fn check(&self, x: &Exchange<'_>) -> Vec<String> {
        let mut errors = Vec::new();
        let Some(template) = self.find_path(x.path) else {
            self.check_response(&json!({"$ref": "#/components/responses/NotFound"}), x, &mut errors);
            if x.status != StatusCode::NOT_FOUND {
                errors.push(format!("a path the document does not have answered {}, not 404", x.status));
            }
            return errors;
        };
        let item = &self.doc["paths"][template];
        let method = if x.method == Method::HEAD { "get".to_string() } else { x.method.as_str().to_lowercase() };
        let Some(op) = item.get(&method) else {
            self.check_response(&json!({"$ref": "#/components/responses/MethodNotAllowed"}), x, &mut errors);
            if x.status != StatusCode::METHOD_NOT_ALLOWED {
                errors.push(format!("{template} has no {method} operation, but answered {}, not 405", x.status));
            }
            return errors;
        };
        let code = x.status.as_u16().to_string();
        let range = format!("{}XX", code.chars().next().unwrap_or('0'));
        let responses = &op["responses"];
        match responses.get(&code).or_else(|| responses.get(&range)).or_else(|| responses.get("default")) {
            Some(response) => self.check_response(response, x, &mut errors),
            None => errors.push(format!(
                "status {} is not listed for {method} {template} (listed: {})",
                x.status,
                op["responses"]
                    .as_object()
                    .map(|r| r.keys().cloned().collect::<Vec<_>>().join(", "))
                    .unwrap_or_default()
            )),
        }
        if x.status.is_success() {
            for problem in self.request_problems(template, op, x) {
                errors.push(format!("the document calls this request invalid ({problem}), but it was accepted"));
            }
        }
        errors
    }

    /// Follows `$ref`s within the document.
    fn resolve<'a>(&'a self, mut v: &'a Value) -> &'a Value {
        while let Some(r) = v.get("$ref").and_then(Value::as_str) {
            match r.strip_prefix('#').and_then(|p| self.doc.pointer(p)) {
                Some(target) => v = target,
                None => panic!("openapi.json: {r} does not resolve"),
            }
        }
        v
    }

    fn check_response(&self, response: &Value, x: &Exchange<'_>, errors: &mut Vec<String>) {
        let response = self.resolve(response);
        if let Some(headers) = response["headers"].as_object() {
            for name in headers.keys() {
                if !x.headers.contains_key(name.as_str()) {
                    errors.push(format!("the {name} header is missing"));
                }
            }
        }
        let content = response["content"].as_object().filter(|c| !c.is_empty());
        let media_type = x
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(';').next().unwrap_or("").trim().to_string());
        let Some(content) = content else {
            if !x.body.is_empty() {
                errors.push(format!("the document lists no body, but one came ({media_type:?})"));
            }
            return;
        };
        if x.method == Method::HEAD {
            return;
        }
        let Some(media_type) = media_type else {
            errors.push(format!("no Content-Type; the document lists {:?}", content.keys().collect::<Vec<_>>()));
            return;
        };
        let Some(listed) = content.get(&media_type) else {
            errors.push(format!(
                "Content-Type {media_type} is not listed; the document lists {:?}",
                content.keys().collect::<Vec<_>>()
            ));
            return;
        };
        let Some(schema) = listed.get("schema") else { return };
        // A text file (a CSV or JSON Lines export) is held to its schema as one string.
        if !(media_type == "application/json" || media_type.ends_with("+json")) {
            let text = Value::String(String::from_utf8_lossy(x.body).into_owned());
            errors.extend(self.validate(schema, &text).into_iter().map(|e| format!("body: {e}")));
            return;
        }
        match serde_json::from_slice::<Value>(x.body) {
            Ok(body) => {
                errors.extend(self.validate(schema, &body).into_iter().map(|e| format!("body: {e}; body was {body}")))
            }
            Err(e) => errors.push(format!("the body is not JSON ({e}): {}", String::from_utf8_lossy(x.body))),
        }
    }

    /// Validates a value against a schema of the document; answers the errors.
    pub fn validate(&self, schema: &Value, value: &Value) -> Vec<String> {
        let validator = self.validator(schema);
        validator.iter_errors(value).map(|e| format!("{} at {}", e, e.instance_path())).collect()
    }

    /// A compiled validator for a schema, whose `#/components/…` references
    /// resolve against the document's components.
    fn validator(&self, schema: &Value) -> Arc<jsonschema::Validator> {
        let key = schema.to_string();
        let mut cache = self.validators.lock().unwrap_or_else(|e| e.into_inner());
        cache
            .entry(key)
            .or_insert_with(|| {
                let root = json!({
                    "$schema": "https://json-schema.org/draft/2020-12/schema",
                    "components": self.doc["components"],
                    "$defs": {"target": schema},
                    "$ref": "#/$defs/target",
                });
                let v = jsonschema::draft202012::options()
                    .should_validate_formats(true)
                    .build(&root)
                    .unwrap_or_else(|e| panic!("openapi.json: a schema does not compile ({e}): {schema}"));
                Arc::new(v)
            })
            .clone()
    }

    /// How a request departs from the operation's parameters and body schema.
    fn request_problems(&self, template: &str, op: &Value, x: &Exchange<'_>) -> Vec<String> {
        let mut problems = Vec::new();
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(x.query.unwrap_or("")).unwrap_or_default();
        let concrete: Vec<&str> = x.path.split('/').collect();
        for param in op["parameters"].as_array().into_iter().flatten() {
            let param = self.resolve(param);
            let (Some(name), Some(schema)) = (param["name"].as_str(), param.get("schema")) else { continue };
            let value = match param["in"].as_str() {
                Some("path") => {
                    let at = template.split('/').position(|t| t == format!("{{{name}}}"));
                    at.and_then(|i| concrete.get(i)).map(|v| coerce(self.resolve(schema), &[v.to_string()]))
                }
                Some("query") => {
                    let values: Vec<String> = pairs.iter().filter(|(k, _)| k == name).map(|(_, v)| v.clone()).collect();
                    (!values.is_empty()).then(|| coerce(self.resolve(schema), &values))
                }
                _ => None,
            };
            if let Some(value) = value {
                for e in self.validate(schema, &value) {
                    problems.push(format!("{name}={value}: {e}"));
                }
            }
        }
        let body_schema = self.resolve(&op["requestBody"])["content"]["application/json"].get("schema");
        if let (Some(schema), Ok(body)) = (body_schema, serde_json::from_slice::<Value>(x.request_body)) {
            problems.extend(self.validate(schema, &body).into_iter().map(|e| format!("body: {e}")));
        }
        problems
    }
}

/// A parameter's text as the JSON value its schema describes (numbers for
/// integers, an array for repeated values).
fn coerce(schema: &Value, values: &[String]) -> Value {
    let one = |s: &Value, v: &str| match s["type"].as_str() {
        Some("integer") => v.parse::<i64>().map(Value::from).unwrap_or_else(|_| Value::from(v)),
        Some("boolean") => v.parse::<bool>().map(Value::from).unwrap_or_else(|_| Value::from(v)),
        _ => Value::from(v),
    };
    if schema["type"] == "array" {
        Value::Array(values.iter().map(|v| one(&schema["items"], v)).collect())
    } else {
        one(schema, values.last().map(String::as_str).unwrap_or(""))
    }
}

/// The middleware: passes the exchange on unchanged and records how it
/// departs from the document.
pub async fn check_exchange(State(violations): State<Violations>, req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let query = req.uri().query().map(str::to_string);
    if !DOCUMENT.covers(&path) {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let request_body = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
    let res = next.run(Request::from_parts(parts, Body::from(request_body.clone()))).await;
    let (parts, body) = res.into_parts();
    let bytes: Bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
    let errors = DOCUMENT.check(&Exchange {
        method: &method,
        path: &path,
        query: query.as_deref(),
        request_body: &request_body,
        status: parts.status,
        headers: &parts.headers,
        body: &bytes,
    });
    if !errors.is_empty() {
        let q = query.map(|q| format!("?{q}")).unwrap_or_default();
        violations.push(format!("{method} {path}{q} → {}:\n  {}", parts.status, errors.join("\n  ")));
    }
    Response::from_parts(parts, Body::from(bytes))
}
