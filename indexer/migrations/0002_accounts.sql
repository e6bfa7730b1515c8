-- The accounts' side of billing: lookups of contracts and invoices by consumer and by
-- supplier, and consumers' prepaid balances (what billing holds of each account for prepaid
-- invoices), re-read from `Balances::Holds` whenever a billing event names the account.
CREATE TABLE consumers (
	address TEXT PRIMARY KEY,
	prepaid TEXT NOT NULL,
	updated_block BIGINT NOT NULL
);
CREATE INDEX contracts_by_consumer ON contracts (consumer, id);
CREATE INDEX contracts_by_supplier ON contracts (supplier, id);
CREATE INDEX invoices_by_supplier ON invoices (supplier, id);
