//! Billing: consumption split by time-of-use band, invoices, and what a consumer or a
//! supplier has under contract.

use super::*;

/// One contract's tariff history and bands, for splitting consumption by band.
pub(super) struct Billing {
	pub(super) id: i64,
	pub(super) start: i64,
	pub(super) end: Option<i64>,
	pub(super) utc_offset: i16,
	/// (from, tariff id, bands), by `from`.
	pub(super) tariffs: Vec<(i64, i64, Vec<TariffBand<u128>>)>,
}

pub(super) async fn billing_of(store: &Store, meter: i64) -> Result<Vec<Billing>, QueryError> {
	let contracts = sqlx::query(
		"SELECT id, COALESCE(start_ms, 0), end_ms, utc_offset_minutes FROM contracts WHERE meter = $1 AND start_ms IS NOT NULL ORDER BY id",
	)
	.bind(meter)
	.fetch_all(store.pool())
	.await
	.map_err(db("contracts"))?;
	let mut out = Vec::new();
	for c in &contracts {
		let id = c.get::<i64, _>(0);
		let tariffs = sqlx::query(
			"SELECT ct.from_ms, ct.tariff, t.bands FROM contract_tariffs ct JOIN tariffs t ON t.id = ct.tariff \
			 WHERE ct.contract = $1 ORDER BY ct.from_ms",
		)
		.bind(id)
		.fetch_all(store.pool())
		.await
		.map_err(db("tariffs"))?;
		let tariffs = tariffs
			.iter()
			.map(|t| (t.get::<i64, _>(0), t.get::<i64, _>(1), parse_bands(&text_at(t, 2))))
			.collect();
		out.push(Billing {
			id,
			start: c.get::<i64, _>(1),
			end: opt_i64(c, 2),
			utc_offset: c.get::<i64, _>(3) as i16,
			tariffs,
		});
	}
	Ok(out)
}

pub(super) fn parse_bands(text: &str) -> Vec<TariffBand<u128>> {
	parse_json(text)
		.as_array()
		.map(|bands| {
			bands
				.iter()
				.map(|b| TariffBand {
					from_minute: b["fromMinute"].as_u64().unwrap_or(0) as u16,
					to_minute: b["toMinute"].as_u64().unwrap_or(0) as u16,
					price: b["price"].as_str().map(quantity).unwrap_or(0),
				})
				.collect()
		})
		.unwrap_or_default()
}

/// `GET /api/meters/{id}/consumption`: the consumption of measurements starting in
/// `[from, to)`, in all and split by the time-of-use band of the contract's tariff in
/// force when each started — the band the runtime bills it in (`band_of`).
pub async fn consumption(
	store: &Store,
	meter: i64,
	from: i64,
	to: i64,
) -> Result<Value, QueryError> {
	let indexed = indexed(store).await?;
	let exists = sqlx::query(
		"SELECT d.unit FROM meters m LEFT JOIN models d ON d.id = m.model WHERE m.id = $1",
	)
	.bind(meter)
	.fetch_optional(store.pool())
	.await
	.map_err(db("meter"))?
	.ok_or_else(|| QueryError::NotFound(format!("no meter {meter} in the index")))?;
	let unit = opt_text(&exists, 0);
	let rows = sqlx::query(
		"SELECT idx, start_ms, quantity FROM measurements WHERE meter = $1 AND start_ms >= $2 AND start_ms < $3 AND block <= $4 ORDER BY idx",
	)
	.bind(meter)
	.bind(from)
	.bind(to)
	.bind(bound(&indexed))
	.fetch_all(store.pool())
	.await
	.map_err(db("consumption"))?;
	let billing = billing_of(store, meter).await?;
	let mut total: u128 = 0;
	let mut bands: BTreeMap<
		(Option<i64>, Option<i64>, Option<usize>),
		(u128, u64, Option<TariffBand<u128>>),
	> = BTreeMap::new();
	for r in &rows {
		let start = r.get::<i64, _>(1);
		let q = quantity(&text_at(r, 2));
		total = total.saturating_add(q);
		let contract =
			billing.iter().rev().find(|c| c.start <= start && c.end.map_or(true, |e| start < e));
		let key_and_band = contract.and_then(|c| {
			let (_, tariff, bands) =
				c.tariffs.iter().rev().find(|(f, _, _)| *f <= start).or(c.tariffs.first())?;
			if bands.is_empty() {
				return None;
			}
			let i = band_of(bands, start as u64, c.utc_offset);
			Some(((Some(c.id), Some(*tariff), Some(i)), bands.get(i).copied()))
		});
		let (key, band) = key_and_band.unwrap_or(((contract.map(|c| c.id), None, None), None));
		let entry = bands.entry(key).or_insert((0, 0, band));
		entry.0 = entry.0.saturating_add(q);
		entry.1 += 1;
	}
	let split: Vec<Value> = bands
		.into_iter()
		.map(|((contract, tariff, band), (q, n, b))| {
			json!({
				"contract": contract, "tariff": tariff, "band": band,
				"fromMinute": b.map(|b| b.from_minute), "toMinute": b.map(|b| b.to_minute),
				"quantity": q.to_string(), "measurements": n,
			})
		})
		.collect();
	Ok(json!({
		"indexed": indexed, "meter": meter, "from": from, "to": to, "unit": unit,
		"quantity": total.to_string(), "measurements": rows.len(),
		"first": rows.first().map(|r| r.get::<i64, _>(0)), "last": rows.last().map(|r| r.get::<i64, _>(0)),
		"bands": split,
	}))
}

pub(super) const INVOICE_SELECT: &str = "SELECT id, contract, meter, supplier, consumer, tariff, from_ms, to_ms, issued_ms, due_ms, \
	register_from, register_to, measurements, first_index, last_index, energy, standing, amount, credited, paid, \
	status, lines, dispute, issued_block FROM invoices";

pub(super) fn invoice_json(r: &AnyRow) -> Value {
	let amount = quantity(&text_at(r, 17));
	let credited = quantity(&text_at(r, 18));
	let paid = quantity(&text_at(r, 19));
	json!({
		"id": r.get::<i64, _>(0), "contract": r.get::<i64, _>(1), "meter": r.get::<i64, _>(2),
		"supplier": text_at(r, 3), "consumer": text_at(r, 4), "tariff": r.get::<i64, _>(5),
		"from": r.get::<i64, _>(6), "to": r.get::<i64, _>(7), "issued": r.get::<i64, _>(8), "due": r.get::<i64, _>(9),
		"registerFrom": text_at(r, 10), "registerTo": text_at(r, 11), "measurements": r.get::<i64, _>(12),
		"firstIndex": opt_i64(r, 13), "lastIndex": opt_i64(r, 14),
		"energy": text_at(r, 15), "standing": text_at(r, 16), "amount": amount.to_string(),
		"credited": credited.to_string(), "paid": paid.to_string(),
		"outstanding": amount.saturating_sub(credited).saturating_sub(paid).to_string(),
		"status": text_at(r, 20), "lines": parse_json(&text_at(r, 21)),
		"dispute": opt_text(r, 22).map(|d| parse_json(&d)), "issuedBlock": r.get::<i64, _>(23),
	})
}

/// `GET /api/consumers/{account}/invoices`: a consumer's invoices, newest first.
pub async fn invoices(store: &Store, consumer: &str, limit: u32) -> Result<Value, QueryError> {
	let indexed = indexed(store).await?;
	let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
		"{INVOICE_SELECT} WHERE consumer = $1 AND issued_block <= $2 ORDER BY id DESC LIMIT $3"
	)))
	.bind(consumer)
	.bind(bound(&indexed))
	.bind(i64::from(limit))
	.fetch_all(store.pool())
	.await
	.map_err(db("invoices"))?;
	let invoices: Vec<Value> = rows.iter().map(invoice_json).collect();
	Ok(json!({ "indexed": indexed, "consumer": consumer, "invoices": invoices }))
}

/// `GET /api/invoices/{id}`.
pub async fn invoice(store: &Store, id: i64) -> Result<Value, QueryError> {
	let indexed = indexed(store).await?;
	let row = sqlx::query(sqlx::AssertSqlSafe(format!("{INVOICE_SELECT} WHERE id = $1")))
		.bind(id)
		.fetch_optional(store.pool())
		.await
		.map_err(db("invoice"))?
		.ok_or_else(|| QueryError::NotFound(format!("no invoice {id} in the index")))?;
	Ok(json!({ "indexed": indexed, "invoice": invoice_json(&row) }))
}

/// The contracts whose `party` column (`consumer` or `supplier`) is `account`, with
/// their meters.
pub(super) async fn contracts_where(
	store: &Store,
	party: &'static str,
	account: &str,
) -> Result<Vec<Value>, QueryError> {
	let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
		"SELECT id, supplier, consumer, tariff, payment, utc_offset_minutes, status, start_ms, end_ms, meter \
		 FROM contracts WHERE {party} = $1 ORDER BY id"
	)))
	.bind(account)
	.fetch_all(store.pool())
	.await
	.map_err(db("contracts"))?;
	Ok(rows
		.iter()
		.map(|r| {
			let mut c = contract_json(r);
			c["meter"] = json!(r.get::<i64, _>(9));
			c
		})
		.collect())
}

/// `GET /api/consumers/{account}`: a consumer's contracts, prepaid balance and how many
/// of its invoices are paid, open or disputed (with what is outstanding).
pub async fn consumer(store: &Store, consumer: &str) -> Result<Value, QueryError> {
	let indexed = indexed(store).await?;
	let contracts = contracts_where(store, "consumer", consumer).await?;
	let prepaid = sqlx::query("SELECT prepaid FROM consumers WHERE address = $1")
		.bind(consumer)
		.fetch_optional(store.pool())
		.await
		.map_err(db("prepaid balance"))?;
	let invoices = sqlx::query(
		"SELECT status, amount, credited, paid FROM invoices WHERE consumer = $1 AND issued_block <= $2",
	)
	.bind(consumer)
	.bind(bound(&indexed))
	.fetch_all(store.pool())
	.await
	.map_err(db("invoices"))?;
	let prepaid = prepaid.map(|r| text_at(&r, 0)).unwrap_or_else(|| "0".into());
	if contracts.is_empty() && prepaid == "0" && invoices.is_empty() {
		return Err(QueryError::NotFound(format!("{consumer} has no contracts in the index")));
	}
	Ok(json!({
		"indexed": indexed,
		"consumer": consumer,
		"prepaid": prepaid,
		"contracts": contracts,
		"invoices": by_status(&invoices),
	}))
}

/// `GET /api/suppliers/{account}`: a supplier's contracts and its invoices, newest first
/// (at most `limit`, optionally only those of one status), with every invoice counted by
/// status and what is outstanding.
pub async fn supplier(
	store: &Store,
	supplier: &str,
	status: Option<String>,
	limit: u32,
) -> Result<Value, QueryError> {
	let indexed = indexed(store).await?;
	let contracts = contracts_where(store, "supplier", supplier).await?;
	let totals = sqlx::query(
		"SELECT status, amount, credited, paid FROM invoices WHERE supplier = $1 AND issued_block <= $2",
	)
	.bind(supplier)
	.bind(bound(&indexed))
	.fetch_all(store.pool())
	.await
	.map_err(db("invoices"))?;
	if contracts.is_empty() && totals.is_empty() {
		return Err(QueryError::NotFound(format!("{supplier} supplies no contract in the index")));
	}
	let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
		"{INVOICE_SELECT} WHERE supplier = $1 AND issued_block <= $2 AND (CAST($3 AS TEXT) IS NULL OR status = $3) \
		 ORDER BY id DESC LIMIT $4"
	)))
	.bind(supplier)
	.bind(bound(&indexed))
	.bind(status)
	.bind(i64::from(limit))
	.fetch_all(store.pool())
	.await
	.map_err(db("invoices"))?;
	Ok(json!({
		"indexed": indexed,
		"supplier": supplier,
		"contracts": contracts,
		"invoiceTotals": by_status(&totals),
		"invoices": rows.iter().map(invoice_json).collect::<Vec<_>>(),
	}))
}
