-- Mensura's history, as the indexer keeps it. One schema for SQLite and PostgreSQL:
-- integers are BIGINT, hashes `0x` hex TEXT, 128-bit quantities and balances decimal
-- TEXT (neither database has a 128-bit integer), structured values JSON TEXT.

-- What the database is an index of, and how far: `genesis`, `indexed_number`,
-- `indexed_hash`, written in the same transaction as the rows of those blocks.
CREATE TABLE meta (
	key TEXT PRIMARY KEY,
	value TEXT NOT NULL
);

-- Every indexed block of the finalized chain, with the measuring fees settled in it
-- (`Rewards::Ledger`: `fees_charged` is the total taken from suppliers' deposits up to
-- and including the block, `fees_in_block` the block's part of it).
CREATE TABLE blocks (
	number BIGINT PRIMARY KEY,
	hash TEXT NOT NULL,
	parent TEXT NOT NULL,
	timestamp_ms BIGINT NOT NULL,
	measurements BIGINT NOT NULL,
	events BIGINT NOT NULL,
	fees_charged TEXT NOT NULL,
	fees_in_block TEXT NOT NULL
);

-- Every measurement, from the `Readings::Measured` events. `previous` and `link` are the
-- meter's hash-chain head before and after it: the last `link` of a meter equals its
-- `chain_head` in chain state.
CREATE TABLE measurements (
	meter BIGINT NOT NULL,
	idx BIGINT NOT NULL,
	sequence BIGINT NOT NULL,
	start_ms BIGINT NOT NULL,
	end_ms BIGINT NOT NULL,
	quantity TEXT NOT NULL,
	register TEXT NOT NULL,
	program TEXT NOT NULL,
	frame_hash TEXT NOT NULL,
	block BIGINT NOT NULL,
	extrinsic BIGINT,
	event BIGINT NOT NULL,
	previous TEXT NOT NULL,
	link TEXT NOT NULL,
	PRIMARY KEY (meter, idx)
);
CREATE INDEX measurements_by_start ON measurements (meter, start_ms);
CREATE INDEX measurements_by_block ON measurements (block);

-- Each meter's position in its hash chain after the last indexed block.
CREATE TABLE meter_heads (
	meter BIGINT PRIMARY KEY,
	next_index BIGINT NOT NULL,
	link TEXT NOT NULL,
	register TEXT NOT NULL,
	last_end_ms BIGINT NOT NULL
);

-- Every other event of Mensura's pallets (and of the rest of the runtime but for
-- per-transaction bookkeeping): fee settlements and debts, findings, status changes.
CREATE TABLE events (
	block BIGINT NOT NULL,
	idx BIGINT NOT NULL,
	extrinsic BIGINT,
	pallet TEXT NOT NULL,
	name TEXT NOT NULL,
	meter BIGINT,
	fields TEXT NOT NULL,
	PRIMARY KEY (block, idx)
);
CREATE INDEX events_by_meter ON events (meter, block);
CREATE INDEX events_by_name ON events (pallet, name, block);

-- Chain objects as of the last block that touched them, re-read from its state.
CREATE TABLE meters (
	id BIGINT PRIMARY KEY,
	model BIGINT NOT NULL,
	manufacturer TEXT NOT NULL,
	serial TEXT NOT NULL,
	status TEXT NOT NULL,
	supply_point TEXT,
	program TEXT,
	device_key TEXT NOT NULL,
	updated_block BIGINT NOT NULL
);

CREATE TABLE models (
	id BIGINT PRIMARY KEY,
	manufacturer TEXT NOT NULL,
	name TEXT NOT NULL,
	kind TEXT NOT NULL,
	unit TEXT NOT NULL,
	resolution_milli BIGINT NOT NULL,
	max_permissible_error_ppm BIGINT NOT NULL,
	status TEXT NOT NULL,
	updated_block BIGINT NOT NULL
);

CREATE TABLE programs (
	hash TEXT PRIMARY KEY,
	measurer TEXT NOT NULL,
	version TEXT NOT NULL,
	status TEXT NOT NULL,
	approvals TEXT NOT NULL,
	published_block BIGINT NOT NULL,
	updated_block BIGINT NOT NULL
);

CREATE TABLE tariffs (
	id BIGINT PRIMARY KEY,
	supplier TEXT NOT NULL,
	name TEXT NOT NULL,
	bands TEXT NOT NULL,
	standing_charge TEXT NOT NULL,
	updated_block BIGINT NOT NULL
);

CREATE TABLE contracts (
	id BIGINT PRIMARY KEY,
	meter BIGINT NOT NULL,
	supplier TEXT NOT NULL,
	consumer TEXT NOT NULL,
	tariff BIGINT NOT NULL,
	payment TEXT NOT NULL,
	utc_offset_minutes BIGINT NOT NULL,
	status TEXT NOT NULL,
	start_ms BIGINT,
	end_ms BIGINT,
	updated_block BIGINT NOT NULL
);
CREATE INDEX contracts_by_meter ON contracts (meter);

-- The tariff a contract bills by from `from_ms` on.
CREATE TABLE contract_tariffs (
	contract BIGINT NOT NULL,
	from_ms BIGINT NOT NULL,
	tariff BIGINT NOT NULL,
	PRIMARY KEY (contract, from_ms)
);

CREATE TABLE invoices (
	id BIGINT PRIMARY KEY,
	contract BIGINT NOT NULL,
	meter BIGINT NOT NULL,
	supplier TEXT NOT NULL,
	consumer TEXT NOT NULL,
	tariff BIGINT NOT NULL,
	from_ms BIGINT NOT NULL,
	to_ms BIGINT NOT NULL,
	issued_ms BIGINT NOT NULL,
	due_ms BIGINT NOT NULL,
	register_from TEXT NOT NULL,
	register_to TEXT NOT NULL,
	measurements BIGINT NOT NULL,
	first_index BIGINT,
	last_index BIGINT,
	energy TEXT NOT NULL,
	standing TEXT NOT NULL,
	amount TEXT NOT NULL,
	credited TEXT NOT NULL,
	paid TEXT NOT NULL,
	status TEXT NOT NULL,
	lines TEXT NOT NULL,
	dispute TEXT,
	issued_block BIGINT NOT NULL,
	updated_block BIGINT NOT NULL
);
CREATE INDEX invoices_by_consumer ON invoices (consumer, id);

-- The audit trails (append-only on chain, copied entry by entry).
CREATE TABLE audit (
	subject TEXT NOT NULL,
	idx BIGINT NOT NULL,
	block BIGINT NOT NULL,
	actor TEXT NOT NULL,
	change TEXT NOT NULL,
	PRIMARY KEY (subject, idx)
);
