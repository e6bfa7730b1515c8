//! How people read Mensura's values: times, amounts and audit-trail changes, the same
//! words in the CLI, the indexer and the web page (with `std`).

use crate::metering::AuditChange;

/// An amount of the smallest token unit in MSR: `1500000000000` → `1.500000000000 MSR`.
pub fn msr(value: u128) -> String {
	let unit = crate::UNIT;
	format!("{}.{:012} MSR", value / unit, value % unit)
}

/// Thousandths of a unit as a decimal: `19167` → `19.167` (quantities are kept in
/// thousandths of the model's unit).
pub fn milli(value: u128) -> String {
	format!("{}.{:03}", value / 1000, value % 1000)
}

/// A Unix-millisecond time as `YYYY-MM-DD hh:mm:ss` UTC.
pub fn utc(ms: u64) -> String {
	let secs = ms / 1000;
	let days = (secs / 86_400) as i64;
	let rem = secs % 86_400;
	// Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
	let z = days + 719_468;
	let era = z.div_euclid(146_097);
	let doe = z - era * 146_097;
	let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
	let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	let mp = (5 * doy + 2) / 153;
	let day = doy - (153 * mp + 2) / 5 + 1;
	let month = if mp < 10 { mp + 3 } else { mp - 9 };
	let year = yoe + era * 400 + i64::from(month <= 2);
	format!("{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}", rem / 3600, rem / 60 % 60, rem % 60)
}

/// A legally relevant change in words, as the CLI, the indexer and the web page show it.
pub fn describe_change(change: &AuditChange) -> String {
	let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
	match change {
		AuditChange::MeterVerified { supply_point } => {
			format!("verified at supply point {}", text(supply_point))
		}
		AuditChange::MeterProvisioned { model, .. } => format!("provisioned (model {model})"),
		AuditChange::StatusChanged { from, to, reason } => {
			format!("status {from:?} -> {to:?} ({reason:?})")
		}
		AuditChange::DeviceKeyRotated { .. } => "device key rotated".to_string(),
		AuditChange::LrProgramBound { program } => {
			format!("bound to LR program {program:?}")
		}
		AuditChange::SupplyContractStarted { contract, tariff, payment } => {
			format!("supply contract {contract} started ({payment:?}, tariff {tariff})")
		}
		AuditChange::SupplyContractEnded { contract, at } => {
			format!("supply contract {contract} ended at {}", utc(*at))
		}
		AuditChange::TariffChanged { contract, tariff, from } => {
			format!("contract {contract} moves to tariff {tariff} from {}", utc(*from))
		}
		AuditChange::InvoiceDisputed { invoice } => format!("invoice {invoice} disputed"),
		AuditChange::DisputeResolved { invoice, credit } if *credit == 0 => {
			format!("dispute of invoice {invoice} resolved: upheld")
		}
		AuditChange::DisputeResolved { invoice, credit } => {
			format!("dispute of invoice {invoice} resolved: credit note of {}", msr(*credit))
		}
		AuditChange::CheckMeterRegistered { check } => {
			format!("meter {check} registered as its check meter")
		}
		AuditChange::CheckMeterRemoved { check } => format!("check meter {check} removed"),
		AuditChange::DiscrepancyFound { check, start, end, measured, counter, allowed } => format!(
			"discrepancy with check meter {check} over {} .. {}: measured {measured}, check \
			 meter {counter}, {} apart, {allowed} allowed (thousandths of the unit): under \
			 inspection",
			utc(*start),
			utc(*end),
			measured.abs_diff(*counter)
		),
		AuditChange::InspectionCleared => "inspected and cleared by a notified body".to_string(),
		AuditChange::DisputeLapsed { invoice } => {
			format!("dispute of invoice {invoice} lapsed unresolved: payable again")
		}
		AuditChange::ProgramApprovalLost => {
			"approval lost with a removed notified body: proposed again".to_string()
		}
		other => format!("{other:?}"),
	}
}
