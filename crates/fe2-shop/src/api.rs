//! The Shop API's routes (docs/shop-api.openapi.yaml) and their handlers. The router is built from
//! [`ROUTES`], which the OpenAPI test compares with `docs/shop-api.openapi.yaml`.

use crate::auth::parse_basic;
use crate::db;
use crate::error::{error_body, error_for_status, ApiError, ApiResult};
use crate::idempotency::KeyLocks;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Path, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, MethodRouter};
use axum::{Json, Router};
use chrono::{DateTime, Months, Utc};
use ed25519_dalek::SigningKey;
use fe2_license::model::{
    package_sku, Catalog, Kind, License, Order, OrderStatus, OrderType, Status, Ticket,
};
use fe2_license::{eligibility, email, license_file, pricing, reference, Clock, Error};
use rand::distributions::Alphanumeric;
use rand::Rng;
use rusqlite::{Connection, Transaction, TransactionBehavior};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::timeout::TimeoutLayer;

/// Where the API lives below the shop's URL (the WordPress plugin namespace).
pub const BASE_PATH: &str = "/wp-json/fe2/v1";
/// Largest accepted request body.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// How long an idempotency key's answer is kept (real clock).
const IDEMPOTENCY_WINDOW: Duration = Duration::from_secs(24 * 60 * 60);
/// Longest accepted `Idempotency-Key`.
const MAX_KEY_LEN: usize = 255;
/// Length of a generated application password.
const APP_PASSWORD_LEN: usize = 24;

/// Everything a request handler needs.
pub struct AppState {
    /// The one connection; holding its lock across a transaction serialises writers.
    pub db: Arc<Mutex<Connection>>,
    /// The shop's clock (`--now` freezes it).
    pub clock: Arc<dyn Clock>,
    /// Credential checking and throttle.
    pub auth: crate::auth::Auth,
    /// Locks of idempotency keys in use.
    pub locks: KeyLocks,
    /// Products and price lists (fixed while running).
    pub catalog: Catalog,
    /// Signs license files.
    pub signing_key: SigningKey,
    /// Id of the signing key.
    pub kid: String,
}

/// Shared state of the router.
type Shared = Arc<AppState>;

/// One route of the API: method, path below [`BASE_PATH`], and its handler.
pub struct Route {
    /// HTTP method.
    pub method: &'static str,
    /// Path below [`BASE_PATH`], with `{param}` placeholders as in OpenAPI.
    pub path: &'static str,
    handler: fn() -> MethodRouter<Shared>,
}

/// Every route of the Shop API; the router is built from this table.
pub static ROUTES: &[Route] = &[
    Route {
        method: "GET",
        path: "/me",
        handler: || get(me),
    },
    Route {
        method: "GET",
        path: "/license",
        handler: || get(license),
    },
    Route {
        method: "GET",
        path: "/license/orders",
        handler: || get(orders),
    },
    Route {
        method: "GET",
        path: "/catalog",
        handler: || get(catalog),
    },
    Route {
        method: "POST",
        path: "/license/switch/preview",
        handler: || post(preview),
    },
    Route {
        method: "POST",
        path: "/license/switch",
        handler: || post(switch),
    },
    Route {
        method: "DELETE",
        path: "/license/scheduled-changes/{id}",
        handler: || delete(cancel_scheduled_change),
    },
    Route {
        method: "GET",
        path: "/license/file",
        handler: || get(license_file),
    },
    Route {
        method: "GET",
        path: "/keys",
        handler: || get(keys),
    },
    Route {
        method: "GET",
        path: "/tickets",
        handler: || get(tickets),
    },
    Route {
        method: "POST",
        path: "/tickets",
        handler: || post(create_ticket),
    },
    Route {
        method: "POST",
        path: "/checkout",
        handler: || post(checkout),
    },
];

/// The complete application: routes, JSON errors for everything, body limit, panic guard,
/// a time limit per request (408), and the `Date` header from the shop's clock.
pub fn router(state: Shared, request_timeout: Duration) -> Router {
    let mut routes = Router::new();
    for route in ROUTES {
        routes = routes.route(&format!("{BASE_PATH}{}", route.path), (route.handler)());
    }
    with_layers(routes, state, request_timeout)
}

/// The layers every answer passes through (see [`router`]).
fn with_layers(routes: Router<Shared>, state: Shared, request_timeout: Duration) -> Router {
    routes
        .fallback(|| async { ApiError(Error::NotFound) })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            request_timeout,
        ))
        .layer(CatchPanicLayer::custom(|_| {
            ApiError(Error::Internal(
                "the request failed unexpectedly".to_string(),
            ))
            .into_response()
        }))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            finish_response,
        ))
        .with_state(state)
}

/// Turns any non-JSON error (axum's own 404/405/413 and the like) into the Shop API's JSON,
/// and sets `Date` from the shop's clock.
async fn finish_response(State(state): State<Shared>, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if (status.is_client_error() || status.is_server_error()) && !is_json {
        let allow = response.headers().get(header::ALLOW).cloned();
        let error = error_for_status(status);
        let mut body = error_body(&error);
        // The core has no error for every status (408, 415, …); the status stays the real one.
        body["data"]["status"] = json!(status.as_u16());
        let mut replaced = (status, Json(body)).into_response();
        if let Some(allow) = allow {
            replaced.headers_mut().insert(header::ALLOW, allow);
        }
        response = replaced;
    }
    let date = state
        .clock
        .now()
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string();
    if let Ok(value) = HeaderValue::from_str(&date) {
        response.headers_mut().insert(header::DATE, value);
    }
    response
}

/// Runs `work` in one immediate (write-locking) transaction on a blocking thread; commits
/// when it succeeds.
async fn in_transaction<T, F>(state: &Shared, work: F) -> ApiResult<T>
where
    T: Send + 'static,
    F: FnOnce(&Transaction<'_>, &AppState) -> ApiResult<T> + Send + 'static,
{
    let state = state.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = state.db.lock().unwrap_or_else(|p| p.into_inner());
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let value = work(&tx, &state)?;
        tx.commit()?;
        Ok(value)
    })
    .await
    .map_err(|_| {
        ApiError(Error::Internal(
            "the request failed unexpectedly".to_string(),
        ))
    })?
}

/// Checks HTTP Basic credentials (an attempt is reserved in the throttle first); returns the
/// normalised e-mail.
async fn authenticate(state: &Shared, headers: &HeaderMap) -> ApiResult<String> {
    let credentials = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(parse_basic)
        .ok_or(ApiError(Error::InvalidCredentials))?;
    let email = email::normalize(&credentials.email)
        .unwrap_or_else(|_| credentials.email.trim().to_lowercase());
    let attempt = state
        .auth
        .reserve(&email)
        .await
        .map_err(|retry_after_secs| ApiError(Error::TooManyAttempts { retry_after_secs }))?;
    let mac = state.auth.mac(&credentials.password);
    if state.auth.is_cached(&email, &mac) {
        attempt.succeeded();
        return Ok(email);
    }
    let lookup = email.clone();
    let stored = in_transaction(state, move |tx, _| db::customer(tx, &lookup)).await;
    match stored {
        Ok(Some((_, stored_mac))) if crate::auth::Auth::matches(&stored_mac, &mac) => {
            attempt.succeeded();
            state.auth.remember(&email, mac);
            Ok(email)
        }
        // Dropping the attempt counts the failure.
        Ok(_) => Err(ApiError(Error::InvalidCredentials)),
        Err(error) => {
            // A failure of the shop is not the caller's wrong guess.
            attempt.void();
            Err(error)
        }
    }
}

/// The license of an e-mail with paid renewals and due scheduled changes applied and derived
/// fields filled.
fn current_license(tx: &Connection, state: &AppState, email: &str) -> ApiResult<License> {
    let id = db::license_id_of(tx, email)?.ok_or(ApiError(Error::NotFound))?;
    let mut license = db::load_license(tx, id)?.ok_or(ApiError(Error::NotFound))?;
    let now = state.clock.now();
    // A paid renewal starts the next period (there is no payment route: the orders say it).
    let rolled = pricing::apply_paid_renewals(&mut license, &db::orders_of(tx, id)?);
    if pricing::apply_due_changes(&mut license, now) || rolled {
        db::save_license(tx, &license)?;
    }
    db::finish_license(&mut license, &state.catalog, now);
    Ok(license)
}

/// Serialises a value for an answer.
fn to_json<T: serde::Serialize>(value: &T) -> ApiResult<Value> {
    Ok(serde_json::to_value(value)?)
}

/// Parses a request body; anything but JSON is `bad_request`.
fn parse_json(body: &Bytes) -> ApiResult<Value> {
    serde_json::from_slice(body)
        .map_err(|_| ApiError(Error::BadRequest("the body is not JSON".to_string())))
}

/// `GET /me`.
async fn me(State(state): State<Shared>, headers: HeaderMap) -> ApiResult<Json<Value>> {
    let email = authenticate(&state, &headers).await?;
    let name = in_transaction(&state, move |tx, _| {
        Ok(db::customer(tx, &email)?.map(|(name, _)| (email, name)))
    })
    .await?
    .ok_or(ApiError(Error::NotFound))?;
    Ok(Json(json!({ "email": name.0, "name": name.1 })))
}

/// `GET /license`.
async fn license(State(state): State<Shared>, headers: HeaderMap) -> ApiResult<Json<Value>> {
    let email = authenticate(&state, &headers).await?;
    let license =
        in_transaction(&state, move |tx, state| current_license(tx, state, &email)).await?;
    Ok(Json(to_json(&license)?))
}

/// `GET /license/orders`.
async fn orders(State(state): State<Shared>, headers: HeaderMap) -> ApiResult<Json<Value>> {
    let email = authenticate(&state, &headers).await?;
    let orders = in_transaction(&state, move |tx, _| {
        let id = db::license_id_of(tx, &email)?.ok_or(ApiError(Error::NotFound))?;
        db::orders_of(tx, id)
    })
    .await?;
    Ok(Json(to_json(&orders)?))
}

/// `GET /catalog`.
async fn catalog(State(state): State<Shared>, headers: HeaderMap) -> ApiResult<Json<Value>> {
    authenticate(&state, &headers).await?;
    Ok(Json(to_json(&state.catalog)?))
}

/// `POST /license/switch/preview`.
async fn preview(
    State(state): State<Shared>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let email = authenticate(&state, &headers).await?;
    let body = parse_json(&body)?;
    let items = eligibility::parse_items(body.get("items").unwrap_or(&Value::Null))?;
    let quote = in_transaction(&state, move |tx, state| {
        let license = current_license(tx, state, &email)?;
        Ok(pricing::quote(
            &license,
            &state.catalog,
            &items,
            state.clock.now(),
        )?)
    })
    .await?;
    Ok(Json(to_json(&quote)?))
}

/// The checked body of a switch request.
struct SwitchRequest {
    items: Vec<fe2_license::model::RequestedItem>,
    expected_gross: Option<rust_decimal::Decimal>,
    reference: Option<String>,
}

/// Structure checks of a switch body (`bad_request`).
fn parse_switch(body: Option<Value>) -> ApiResult<SwitchRequest> {
    let bad = |why: &str| ApiError(Error::BadRequest(why.to_string()));
    let body = body.ok_or_else(|| bad("the body is not JSON"))?;
    let items = eligibility::parse_items(body.get("items").unwrap_or(&Value::Null))?;
    let expected_gross = match body.get("expected_gross") {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) if is_money_text(text) => Some(
            fe2_license::money::parse(text)
                .ok_or_else(|| bad("expected_gross must be a decimal string"))?,
        ),
        Some(_) => {
            return Err(bad(
                "expected_gross must be a decimal string with two places",
            ))
        }
    };
    let reference = match body.get("reference") {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) if text.chars().count() <= reference::MAX_REFERENCE_CHARS => {
            Some(text.clone())
        }
        Some(_) => return Err(bad("reference must be a string of at most 64 characters")),
    };
    Ok(SwitchRequest {
        items,
        expected_gross,
        reference,
    })
}

/// True for the Shop API's text of an amount (`-?[0-9]+\.[0-9]{2}`), the only form the schema
/// allows.
fn is_money_text(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let Some((units, cents)) = digits.split_once('.') else {
        return false;
    };
    !units.is_empty()
        && units.bytes().all(|b| b.is_ascii_digit())
        && cents.len() == 2
        && cents.bytes().all(|b| b.is_ascii_digit())
}

/// `POST /license/switch`.
async fn switch(State(state): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let work_state = state.clone();
    idempotent(
        &state,
        &headers,
        "POST /license/switch",
        body,
        |record, body| async move {
            let request = parse_switch(body)?;
            let outcome = in_transaction(&work_state, move |tx, state| {
                let mut license = current_license(tx, state, &record.email)?;
                let now = state.clock.now();
                let quote = pricing::quote(&license, &state.catalog, &request.items, now)?;
                if let Some(expected) = request.expected_gross {
                    if expected != quote.setup_fee.gross {
                        return Err(ApiError(Error::QuoteChanged {
                            quote: Box::new(quote),
                        }));
                    }
                }
                let mut counter = db::next_change_counter(tx)?;
                pricing::apply(&mut license, &quote, &mut || {
                    counter += 1;
                    format!("sc_{counter}")
                });
                db::set_next_change_counter(tx, counter)?;
                db::save_license(tx, &license)?;
                let order = if quote.setup_fee.gross > rust_decimal::Decimal::ZERO {
                    let draft = Order {
                        id: 0,
                        order_type: OrderType::SwitchOrder,
                        status: OrderStatus::Pending,
                        total: quote.setup_fee.gross,
                        date_created: now,
                        date_paid: None,
                    };
                    Some(db::insert_order(
                        tx,
                        license.id,
                        &draft,
                        request.reference.as_deref(),
                    )?)
                } else {
                    None
                };
                db::finish_license(&mut license, &state.catalog, now);
                let outcome = to_json(&fe2_license::model::SwitchOutcome {
                    order,
                    license,
                    quote,
                })?;
                record.store(tx, StatusCode::CREATED, &outcome)?;
                Ok(outcome)
            })
            .await?;
            Ok((StatusCode::CREATED, outcome))
        },
    )
    .await
}

/// Runs a request under an idempotency key (docs/shop-api.openapi.yaml, Idempotency-Key): the key is required,
/// a stored answer is looked up before the body is validated, only 2xx answers are stored,
/// and a duplicate waits for the first.
async fn idempotent<F, Fut>(
    state: &Shared,
    headers: &HeaderMap,
    route: &'static str,
    body: Bytes,
    work: F,
) -> Response
where
    F: FnOnce(Recorder, Option<Value>) -> Fut,
    Fut: std::future::Future<Output = ApiResult<(StatusCode, Value)>>,
{
    match idempotent_inner(state, headers, route, body, work).await {
        Ok((status, body)) => (status, Json(body)).into_response(),
        Err(error) => error.into_response(),
    }
}

/// See [`idempotent`].
async fn idempotent_inner<F, Fut>(
    state: &Shared,
    headers: &HeaderMap,
    route: &'static str,
    body: Bytes,
    work: F,
) -> ApiResult<(StatusCode, Value)>
where
    F: FnOnce(Recorder, Option<Value>) -> Fut,
    Fut: std::future::Future<Output = ApiResult<(StatusCode, Value)>>,
{
    let email = authenticate(state, headers).await?;
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= MAX_KEY_LEN)
        .ok_or_else(|| {
            ApiError(Error::BadRequest(
                "the Idempotency-Key header is required (1 to 255 characters)".to_string(),
            ))
        })?
        .to_string();
    let parsed: Option<Value> = serde_json::from_slice(&body).ok();
    let _held = state.locks.acquire(&email, route, &key).await;
    let since = unix_now().saturating_sub(i64::try_from(IDEMPOTENCY_WINDOW.as_secs()).unwrap_or(0));
    let (lookup_email, lookup_key) = (email.clone(), key.clone());
    let stored = in_transaction(state, move |tx, _| {
        db::idempotent_answer(tx, (&lookup_email, route, &lookup_key), since)
    })
    .await?;
    if let Some(stored) = stored {
        return if parsed.as_ref() == Some(&stored.request) {
            let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
            Ok((status, stored.response))
        } else {
            Err(ApiError(Error::IdempotencyKeyReuse))
        };
    }
    let record = Recorder {
        email,
        route,
        key,
        request: parsed.clone(),
    };
    work(record, parsed).await
}

/// Stores an idempotent request's answer in the same transaction as its effect, so that no
/// effect can exist without its stored answer.
struct Recorder {
    /// The authenticated e-mail (the key's scope and the request's account).
    email: String,
    /// The route (the key's scope).
    route: &'static str,
    /// The key.
    key: String,
    /// The request body as parsed JSON; `None` when it was not JSON (then nothing succeeds).
    request: Option<Value>,
}

impl Recorder {
    /// Stores a 2xx answer for the key; other answers are not stored.
    fn store(&self, tx: &Connection, status: StatusCode, response: &Value) -> ApiResult<()> {
        let Some(request) = &self.request else {
            return Ok(());
        };
        if !status.is_success() {
            return Ok(());
        }
        let answer = db::StoredAnswer {
            request: request.clone(),
            status: status.as_u16(),
            response: response.clone(),
        };
        db::store_answer(
            tx,
            (&self.email, self.route, &self.key),
            &answer,
            unix_now(),
        )
    }
}

/// Seconds since 1970 on the real clock (idempotency keys expire on it, also under `--now`).
fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .ok()
        .and_then(|d| i64::try_from(d.as_secs()).ok())
        .unwrap_or(0)
}

/// `DELETE /license/scheduled-changes/{id}`.
async fn cancel_scheduled_change(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let email = authenticate(&state, &headers).await?;
    let license = in_transaction(&state, move |tx, state| {
        let mut license = current_license(tx, state, &email)?;
        let before = license.scheduled_changes.len();
        license.scheduled_changes.retain(|c| c.id != id);
        if license.scheduled_changes.len() == before {
            return Err(ApiError(Error::NotFound));
        }
        db::save_license(tx, &license)?;
        db::finish_license(&mut license, &state.catalog, state.clock.now());
        Ok(license)
    })
    .await?;
    Ok(Json(json!({ "license": to_json(&license)? })))
}

/// `GET /license/file`.
async fn license_file(State(state): State<Shared>, headers: HeaderMap) -> ApiResult<Response> {
    let email = authenticate(&state, &headers).await?;
    let text = in_transaction(&state, move |tx, state| {
        let license = current_license(tx, state, &email)?;
        Ok(license_file::sign(
            &license,
            state.clock.now(),
            &state.signing_key,
            &state.kid,
        ))
    })
    .await?;
    Ok((
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        Body::from(text),
    )
        .into_response())
}

/// `GET /keys` (no auth).
async fn keys(State(state): State<Shared>) -> Json<Value> {
    let public = license_file::public_key_to_base64(&state.signing_key.verifying_key());
    Json(json!({ "keys": [{ "kid": state.kid, "alg": license_file::ALG, "public_key": public }] }))
}

/// `GET /tickets`.
async fn tickets(State(state): State<Shared>, headers: HeaderMap) -> ApiResult<Json<Value>> {
    let email = authenticate(&state, &headers).await?;
    let tickets = in_transaction(&state, move |tx, _| {
        let id = db::license_id_of(tx, &email)?.ok_or(ApiError(Error::NotFound))?;
        db::tickets_of(tx, id)
    })
    .await?;
    Ok(Json(to_json(&tickets)?))
}

/// The German subject of a ticket topic (docs/domain.md, Tickets).
fn ticket_subject(topic: &str) -> &'static str {
    match topic {
        "navlog_activation" => "Freischaltung NavLog",
        "license_email_change" => "Lizenz-E-Mail ändern",
        "package_change" => "Paketänderung (Paket 1-5)",
        _ => "Allgemeine Anfrage",
    }
}

/// `POST /tickets`.
async fn create_ticket(State(state): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let work_state = state.clone();
    idempotent(
        &state,
        &headers,
        "POST /tickets",
        body,
        |record, body| async move {
            let bad = |why: &str| ApiError(Error::BadRequest(why.to_string()));
            let body = body.ok_or_else(|| bad("the body is not JSON"))?;
            let topic = body
                .get("topic")
                .and_then(Value::as_str)
                .ok_or_else(|| bad("topic must be a string"))?
                .to_string();
            let message = match body.get("message") {
                None | Some(Value::Null) => String::new(),
                Some(Value::String(text)) => text.clone(),
                Some(_) => return Err(bad("message must be a string")),
            };
            let fields = match body.get("fields") {
                None | Some(Value::Null) => json!({}),
                Some(object @ Value::Object(_)) => object.clone(),
                Some(_) => return Err(bad("fields must be an object")),
            };
            check_ticket_fields(&topic, &fields)?;
            let ticket = in_transaction(&work_state, move |tx, state| {
                let license = current_license(tx, state, &record.email)?;
                let lookup_failed = std::cell::RefCell::new(None);
                let has_license = |address: &str| match db::license_id_of(tx, address) {
                    Ok(found) => found.is_some(),
                    Err(error) => {
                        *lookup_failed.borrow_mut() = Some(error);
                        true
                    }
                };
                let checked = eligibility::check_ticket(&license, &topic, &fields, &has_license);
                if let Some(error) = lookup_failed.into_inner() {
                    return Err(error);
                }
                checked?;
                let draft = Ticket {
                    number: String::new(),
                    subject: ticket_subject(&topic).to_string(),
                    topic,
                    status: "open".to_string(),
                    created: state.clock.now(),
                };
                let ticket = to_json(&db::insert_ticket(
                    tx, license.id, &draft, &message, &fields,
                )?)?;
                record.store(tx, StatusCode::CREATED, &ticket)?;
                Ok(ticket)
            })
            .await?;
            Ok((StatusCode::CREATED, ticket))
        },
    )
    .await
}

/// Refuses `fields` that do not belong to the ticket's topic, so that nothing is stored that
/// no one reads (an unknown topic is left to the topic check, which names it). A package change
/// carries the wanted quantities (docs/domain.md, Tickets) as `items: [{sku, quantity}]`.
fn check_ticket_fields(topic: &str, fields: &Value) -> ApiResult<()> {
    let allowed: &[&str] = match topic {
        "license_email_change" => &["new_email"],
        "package_change" => &["items"],
        "navlog_activation" | "general" => &[],
        _ => return Ok(()),
    };
    let Some(fields) = fields.as_object() else {
        return Ok(());
    };
    match fields.keys().find(|k| !allowed.contains(&k.as_str())) {
        None => {}
        Some(_) if allowed.is_empty() => {
            return Err(ApiError(Error::BadRequest(format!(
                "a {topic} ticket takes no fields"
            ))))
        }
        Some(_) => {
            return Err(ApiError(Error::BadRequest(format!(
                "a {topic} ticket takes only the fields {}",
                allowed.join(", ")
            ))))
        }
    }
    match fields.get("items") {
        Some(items) if !is_item_list(items) => Err(ApiError(Error::BadRequest(
            "items must be a list of {\"sku\": text, \"quantity\": whole number ≥ 0}".into(),
        ))),
        _ => Ok(()),
    }
}

/// True for `[{"sku": "…", "quantity": n}, …]` with nothing else in the objects, each quantity
/// a license quantity (0 to 2³² − 1).
fn is_item_list(items: &Value) -> bool {
    items.as_array().is_some_and(|list| {
        list.iter().all(|item| {
            item.as_object().is_some_and(|o| {
                o.len() == 2
                    && o.get("sku").is_some_and(Value::is_string)
                    && o.get("quantity")
                        .and_then(Value::as_u64)
                        .is_some_and(|q| u32::try_from(q).is_ok())
            })
        })
    })
}

/// A new application password: 24 letters and digits, shown in groups of four.
fn new_app_password() -> String {
    let raw: Vec<char> = rand::rngs::OsRng
        .sample_iter(&Alphanumeric)
        .take(APP_PASSWORD_LEN)
        .map(char::from)
        .collect();
    raw.chunks(4)
        .map(|group| group.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

/// `POST /checkout` (no auth): the web shop's purchase step.
async fn checkout(State(state): State<Shared>, body: Bytes) -> ApiResult<Response> {
    let bad = |why: &str| ApiError(Error::BadRequest(why.to_string()));
    let body = parse_json(&body)?;
    let raw_email = body
        .get("email")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("email must be a string"))?;
    let name = match body.get("name") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(text)) => text.clone(),
        Some(_) => return Err(bad("name must be a string")),
    };
    let package_code = body
        .get("package")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("package must be a string"))?
        .to_string();
    let email = email::normalize(raw_email)?;
    let password = new_app_password();
    let mac = state.auth.mac(&password);
    let (status, license, created) = in_transaction(&state, move |tx, state| {
        let now = state.clock.now();
        let existing = match db::license_id_of(tx, &email)? {
            Some(id) => db::load_license(tx, id)?,
            None => None,
        };
        if let Some(found) = &existing {
            let rebuyable = found.kind == Kind::Trial
                || matches!(found.status, Status::Cancelled | Status::Expired);
            if !rebuyable {
                return Err(ApiError(Error::LicenseExists));
            }
        }
        let items = eligibility::parse_items(body.get("items").unwrap_or(&Value::Null))?;
        let package = db::package_of(&package_code).ok_or_else(|| Error::UnknownItem {
            sku: package_sku(&package_code),
        })?;
        let next_payment = now
            .checked_add_months(Months::new(12))
            .ok_or_else(|| Error::Internal("date out of range".to_string()))?;
        let mut license = bought_license(existing.as_ref(), &email, package, now, next_payment);
        for (sku, quantity) in eligibility::validate_items(&license, &state.catalog, &items)? {
            match license.items.iter_mut().find(|i| i.sku == sku) {
                Some(item) => item.quantity = quantity,
                None => license.items.push(db::bare_item(&sku, quantity)),
            }
        }
        license.items.retain(|i| i.quantity > 0);
        let total = purchase_gross(&license, &state.catalog, now)?;
        let created = existing.is_none();
        let customer_known = db::customer(tx, &email)?.is_some();
        if !customer_known {
            db::insert_customer(tx, &email, &name, &mac)?;
        }
        if created {
            let id: i64 = tx.query_row(
                "SELECT COALESCE(MAX(id), 1000) + 1 FROM licenses",
                [],
                |r| r.get(0),
            )?;
            license.id = u64::try_from(id).unwrap_or_default();
            db::insert_license(tx, &license)?;
        } else {
            db::save_license(tx, &license)?;
        }
        let order = Order {
            id: 0,
            order_type: OrderType::ParentOrder,
            status: OrderStatus::Completed,
            total,
            date_created: now,
            date_paid: Some(now),
        };
        db::insert_order(tx, license.id, &order, None)?;
        let mut license = db::load_license(tx, license.id)?.ok_or(ApiError(Error::NotFound))?;
        db::finish_license(&mut license, &state.catalog, now);
        let status = if customer_known {
            StatusCode::OK
        } else {
            StatusCode::CREATED
        };
        Ok((status, license, !customer_known))
    })
    .await?;
    let license = to_json(&license)?;
    let answer = if created {
        json!({ "license": license, "app_password": password })
    } else {
        json!({ "license": license })
    };
    Ok((status, Json(answer)).into_response())
}

/// The license a purchase results in: a converted trial or re-bought license keeps its id,
/// anything else is new; the period starts now in every case.
fn bought_license(
    existing: Option<&License>,
    email: &str,
    package: fe2_license::model::Package,
    now: DateTime<Utc>,
    next_payment: DateTime<Utc>,
) -> License {
    let package_item = db::bare_item(&package_sku(&package.code), 1);
    License {
        id: existing.map_or(0, |l| l.id),
        email: email.to_string(),
        name: String::new(),
        kind: Kind::Subscription,
        status: Status::Active,
        package,
        billing_period: fe2_license::model::BillingPeriod::Year,
        billing_interval: 1,
        // A trial was never bought: its purchase is the start; a re-bought license keeps its first.
        start_date: existing
            .filter(|l| l.kind != Kind::Trial)
            .map_or(now, |l| l.start_date),
        period_start: None,
        next_payment_date: Some(next_payment),
        end_date: None,
        trial_end_date: None,
        currency: "EUR".to_string(),
        items: vec![package_item],
        features: existing.map(|l| l.features.clone()).unwrap_or_default(),
        price_list: String::new(),
        scheduled_changes: Vec::new(),
        has_paid_order: false,
        switch: fe2_license::model::SwitchStatus {
            allowed: false,
            reason: None,
        },
    }
}

/// The gross price of the first period of a purchase: what a renewal on the purchase day
/// costs (the core prices it; the shop adds no rule of its own). An item without a price
/// today cannot be sold: `unknown_item`.
fn purchase_gross(
    license: &License,
    catalog: &Catalog,
    now: DateTime<Utc>,
) -> ApiResult<rust_decimal::Decimal> {
    let mut priced_today = license.clone();
    priced_today.next_payment_date = Some(now);
    if let Some(renewal) = pricing::next_renewal(&priced_today, catalog) {
        return Ok(renewal.gross);
    }
    let today = catalog.price_list_at(now);
    let unpriced = license
        .items
        .iter()
        .find(|i| today.is_none_or(|list| !list.prices.contains_key(&i.sku)))
        .map_or_else(|| package_sku(&license.package.code), |i| i.sku.clone());
    Err(ApiError(Error::UnknownItem { sku: unpriced }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panicking_handler_answers_json_500() {
        let mut conn = Connection::open_in_memory().unwrap();
        db::migrate(&mut conn).unwrap();
        let state = Arc::new(AppState {
            db: Arc::new(Mutex::new(conn)),
            clock: Arc::new(fe2_license::FixedClock::new(
                "2025-07-02T12:00:00Z".parse().unwrap(),
            )),
            auth: crate::auth::Auth::new(vec![7; 32]),
            locks: KeyLocks::default(),
            catalog: crate::demo_fixtures().catalog,
            signing_key: crate::demo_signing_key(),
            kid: "test".to_string(),
        });
        async fn failing() -> &'static str {
            panic!("a handler that fails")
        }
        let routes: Router<Shared> = Router::new().route("/boom", get(failing));
        let app = with_layers(routes, state, Duration::from_secs(30));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        // Under `cargo test --workspace` reqwest has rustls without a provider (tests/common).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let response = reqwest::get(format!("http://{addr}/boom")).await.unwrap();
        assert_eq!(response.status(), 500);
        assert_eq!(response.headers()["date"], "Wed, 02 Jul 2025 12:00:00 GMT");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], "internal");
        assert_eq!(body["data"]["status"], 500);
    }
}
