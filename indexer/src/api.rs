//! The HTTP API: thin axum handlers that check their parameters (HTTP 400 with the
//! reason) and call the query functions. JSON in, JSON out; described in
//! `openapi.json`, served at `/openapi.json`.

use crate::{
	follow::SharedStatus,
	query::{self, QueryError, MAX_LIMIT},
	store::Store,
};
use axum::{
	extract::{Path, Query, State},
	http::{header, StatusCode},
	response::{
		sse::{Event, KeepAlive, Sse},
		IntoResponse, Response,
	},
	routing::get,
	Json, Router,
};
use futures::Stream;
use serde_json::{json, Value};
use std::{collections::HashMap, convert::Infallible};

/// The OpenAPI description of this API.
pub const OPENAPI: &str = include_str!("../openapi.json");

#[derive(Clone)]
pub struct Api {
	pub store: Store,
	pub status: SharedStatus,
}

/// An answer that is not a 200.
pub struct ApiError(StatusCode, String);

impl IntoResponse for ApiError {
	fn into_response(self) -> Response {
		(self.0, Json(json!({ "error": self.1 }))).into_response()
	}
}

impl From<QueryError> for ApiError {
	fn from(error: QueryError) -> Self {
		match error {
			QueryError::NotFound(e) => ApiError(StatusCode::NOT_FOUND, e),
			QueryError::Database(e) => ApiError(StatusCode::INTERNAL_SERVER_ERROR, e),
		}
	}
}

fn bad(message: String) -> ApiError {
	ApiError(StatusCode::BAD_REQUEST, message)
}

type Params = Query<HashMap<String, String>>;
type Answer = Result<Json<Value>, ApiError>;

/// Every parameter a route takes; any other is refused, so a misspelt one is noticed.
fn only(params: &HashMap<String, String>, allowed: &[&str]) -> Result<(), ApiError> {
	match params.keys().find(|k| !allowed.contains(&k.as_str())) {
		Some(k) => {
			Err(bad(format!("unknown parameter {k:?}; this route takes: {}", allowed.join(", "))))
		}
		None => Ok(()),
	}
}

/// A non-negative integer parameter.
fn int(params: &HashMap<String, String>, name: &str) -> Result<Option<i64>, ApiError> {
	match params.get(name) {
		None => Ok(None),
		Some(text) => text
			.parse::<i64>()
			.ok()
			.filter(|v| *v >= 0)
			.map(Some)
			.ok_or_else(|| bad(format!("{name}: {text:?} is not a non-negative integer"))),
	}
}

fn limit(params: &HashMap<String, String>, default: u32) -> Result<u32, ApiError> {
	match int(params, "limit")? {
		None => Ok(default),
		Some(l) if (1..=i64::from(MAX_LIMIT)).contains(&l) => Ok(l as u32),
		Some(l) => Err(bad(format!("limit: {l} is outside 1 … {MAX_LIMIT}"))),
	}
}

/// `from` and `to` (Unix milliseconds, `to` after `from`).
fn period(params: &HashMap<String, String>) -> Result<(i64, i64), ApiError> {
	let from = int(params, "from")?.unwrap_or(0);
	let to = int(params, "to")?.unwrap_or(i64::MAX);
	if to <= from {
		return Err(bad(format!("to ({to}) must be after from ({from})")));
	}
	Ok((from, to))
}

fn id(text: &str, what: &str) -> Result<i64, ApiError> {
	text.parse::<i64>()
		.ok()
		.filter(|v| *v >= 0)
		.ok_or_else(|| bad(format!("{text:?} is not a {what} id (a non-negative integer)")))
}

async fn status(State(api): State<Api>) -> Answer {
	let follower = api.status.lock().unwrap().clone();
	Ok(Json(query::status(&api.store, &follower).await?))
}

async fn meters(State(api): State<Api>, Query(p): Params) -> Answer {
	only(&p, &["status", "model", "after", "limit"])?;
	let status = p.get("status").cloned();
	if let Some(s) = &status {
		if !["Provisioned", "Active", "Suspended", "Revoked"].contains(&s.as_str()) {
			return Err(bad(format!(
				"status: {s:?} is not Provisioned, Active, Suspended or Revoked"
			)));
		}
	}
	Ok(Json(
		query::meters(&api.store, status, int(&p, "model")?, int(&p, "after")?, limit(&p, 100)?)
			.await?,
	))
}

async fn meter(State(api): State<Api>, Path(meter): Path<String>) -> Answer {
	Ok(Json(query::meter(&api.store, id(&meter, "meter")?).await?))
}

async fn measurements(
	State(api): State<Api>,
	Path(meter): Path<String>,
	Query(p): Params,
) -> Answer {
	only(&p, &["from", "to", "cursor", "limit"])?;
	let (from, to) = period(&p)?;
	let meter = id(&meter, "meter")?;
	Ok(Json(
		query::measurements(&api.store, meter, from, to, int(&p, "cursor")?, limit(&p, 100)?)
			.await?,
	))
}

async fn consumption(
	State(api): State<Api>,
	Path(meter): Path<String>,
	Query(p): Params,
) -> Answer {
	only(&p, &["from", "to"])?;
	let (from, to) = period(&p)?;
	Ok(Json(query::consumption(&api.store, id(&meter, "meter")?, from, to).await?))
}

async fn audit(State(api): State<Api>, Path(meter): Path<String>, Query(p): Params) -> Answer {
	only(&p, &["after", "limit"])?;
	let subject = format!("meter:{}", id(&meter, "meter")?);
	Ok(Json(query::audit(&api.store, &subject, int(&p, "after")?, limit(&p, 100)?).await?))
}

async fn invoices(State(api): State<Api>, Path(account): Path<String>, Query(p): Params) -> Answer {
	only(&p, &["limit"])?;
	let address = self::account(&account)?;
	Ok(Json(query::invoices(&api.store, &address, limit(&p, 100)?).await?))
}

/// An SS58 address parameter, as the database stores it.
fn account(text: &str) -> Result<String, ApiError> {
	use sp_core::crypto::Ss58Codec;
	let parsed = mensura_runtime::AccountId::from_ss58check(text)
		.map_err(|e| bad(format!("{text:?} is not an SS58 address: {e:?}")))?;
	Ok(crate::extract::address(&parsed))
}

async fn consumer(State(api): State<Api>, Path(consumer): Path<String>) -> Answer {
	Ok(Json(query::consumer(&api.store, &account(&consumer)?).await?))
}

async fn supplier(
	State(api): State<Api>,
	Path(supplier): Path<String>,
	Query(p): Params,
) -> Answer {
	only(&p, &["status", "limit"])?;
	let status = p.get("status").cloned();
	if let Some(s) = &status {
		if !["Open", "Paid", "Disputed"].contains(&s.as_str()) {
			return Err(bad(format!("status: {s:?} is not Open, Paid or Disputed")));
		}
	}
	Ok(Json(query::supplier(&api.store, &account(&supplier)?, status, limit(&p, 100)?).await?))
}

async fn block(State(api): State<Api>, Path(number): Path<String>) -> Answer {
	Ok(Json(query::block(&api.store, id(&number, "block")?).await?))
}

async fn program(State(api): State<Api>, Path(hash): Path<String>) -> Answer {
	let valid = hash.len() == 66
		&& hash.starts_with("0x")
		&& hash[2..].bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
	if !valid {
		return Err(bad(format!(
			"{hash:?} is not a program hash (0x and 64 lower-case hex digits)"
		)));
	}
	Ok(Json(query::program_detail(&api.store, &hash).await?))
}

/// `GET /api/live`: server-sent events, one `status` event (the `/api/status` answer)
/// at once and another each time the index reaches a new height.
async fn live(State(api): State<Api>) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
	let heights = api.store.watch();
	let stream =
		futures::stream::unfold((api, heights, true), |(api, mut heights, first)| async move {
			if !first && heights.changed().await.is_err() {
				return None;
			}
			heights.borrow_and_update();
			let follower = api.status.lock().unwrap().clone();
			let status = query::status(&api.store, &follower)
				.await
				.unwrap_or_else(|e| json!({ "error": format!("{e:?}") }));
			let event = Event::default().event("status").data(status.to_string());
			Some((Ok(event), (api, heights, false)))
		});
	Sse::new(stream).keep_alive(KeepAlive::default())
}

async fn invoice(State(api): State<Api>, Path(invoice): Path<String>) -> Answer {
	Ok(Json(query::invoice(&api.store, id(&invoice, "invoice")?).await?))
}

async fn events(State(api): State<Api>, Query(p): Params) -> Answer {
	only(&p, &["meter", "pallet", "name", "limit"])?;
	Ok(Json(
		query::events(
			&api.store,
			int(&p, "meter")?,
			p.get("pallet").cloned(),
			p.get("name").cloned(),
			limit(&p, 100)?,
		)
		.await?,
	))
}

async fn fleet(State(api): State<Api>, Query(p): Params) -> Answer {
	only(&p, &["silentAfterMs"])?;
	Ok(Json(query::fleet(&api.store, int(&p, "silentAfterMs")?.unwrap_or(3_600_000)).await?))
}

async fn blocks(State(api): State<Api>, Query(p): Params) -> Answer {
	only(&p, &["limit"])?;
	Ok(Json(query::blocks(&api.store, limit(&p, 100)?).await?))
}

async fn openapi() -> impl IntoResponse {
	([(header::CONTENT_TYPE, "application/json")], OPENAPI)
}

async fn not_found() -> ApiError {
	ApiError(StatusCode::NOT_FOUND, "no such route; see /openapi.json".into())
}

/// Every route of the API with its handler, as `openapi.json` describes them.
fn routes() -> Vec<(&'static str, axum::routing::MethodRouter<Api>)> {
	vec![
		("/api/status", get(status)),
		("/api/meters", get(meters)),
		("/api/meters/{id}", get(meter)),
		("/api/meters/{id}/measurements", get(measurements)),
		("/api/meters/{id}/consumption", get(consumption)),
		("/api/meters/{id}/audit", get(audit)),
		("/api/consumers/{account}", get(consumer)),
		("/api/consumers/{account}/invoices", get(invoices)),
		("/api/suppliers/{account}", get(supplier)),
		("/api/invoices/{id}", get(invoice)),
		("/api/events", get(events)),
		("/api/fleet", get(fleet)),
		("/api/blocks", get(blocks)),
		("/api/blocks/{number}", get(block)),
		("/api/programs/{hash}", get(program)),
		("/api/live", get(live)),
	]
}

/// The web page (`web/`): one HTML file, its two scripts (what views draw with, then the
/// views) and its style sheet, built into the binary. It reads only the API above.
const PAGE: &str = include_str!("../web/index.html");
const TOOLKIT: &str = include_str!("../web/ui.js");
const SCRIPT: &str = include_str!("../web/app.js");
const STYLE: &str = include_str!("../web/style.css");

/// A static asset, with headers that keep the page to its own origin.
fn asset(content_type: &'static str, body: &'static str) -> Response {
	(
		[
			(header::CONTENT_TYPE, content_type),
			(header::CACHE_CONTROL, "no-cache"),
			(header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
			(
				header::CONTENT_SECURITY_POLICY,
				"default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
			),
		],
		body,
	)
		.into_response()
}

async fn page() -> Response {
	asset("text/html; charset=utf-8", PAGE)
}

/// The router.
pub fn router(api: Api) -> Router {
	routes()
		.into_iter()
		.fold(Router::new(), |router, (path, handler)| router.route(path, handler))
		.route("/", get(page))
		.route("/ui.js", get(|| async { asset("text/javascript; charset=utf-8", TOOLKIT) }))
		.route("/app.js", get(|| async { asset("text/javascript; charset=utf-8", SCRIPT) }))
		.route("/style.css", get(|| async { asset("text/css; charset=utf-8", STYLE) }))
		.route("/openapi.json", get(openapi))
		.fallback(not_found)
		.with_state(api)
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn the_openapi_description_lists_every_route_and_nothing_else() {
		let doc: Value = serde_json::from_str(OPENAPI).expect("openapi.json is JSON");
		let mut described: Vec<&str> =
			doc["paths"].as_object().unwrap().keys().map(|k| k.as_str()).collect();
		described.sort();
		let mut routes: Vec<&str> = routes().into_iter().map(|(path, _)| path).collect();
		routes.sort();
		assert_eq!(described, routes);
		for (path, item) in doc["paths"].as_object().unwrap() {
			assert!(item["get"]["responses"]["200"].is_object(), "{path} describes its answer");
		}
	}

	#[test]
	fn parameters_are_checked() {
		let p: HashMap<String, String> = [("limit".to_string(), "0".to_string())].into();
		assert!(limit(&p, 10).is_err());
		let p: HashMap<String, String> =
			[("from".to_string(), "9".to_string()), ("to".to_string(), "3".to_string())].into();
		assert!(period(&p).is_err());
		let p: HashMap<String, String> = [("from".to_string(), "-1".to_string())].into();
		assert!(period(&p).is_err());
		assert!(only(&[("limt".to_string(), "1".to_string())].into(), &["limit"]).is_err());
		assert!(id("x", "meter").is_err());
	}
}
