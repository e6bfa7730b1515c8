//! `mensura query`: meters, measurements, registers, consumption, programs, audit
//! trails, invoices and rewards, as tables for people or `--json` for scripts. Meters and
//! registers come from the node's `mensura_*` JSON-RPC methods; programs, audit trails,
//! invoices and rewards from the runtime APIs (`LrProgramsApi`, `MetersApi`,
//! `BillingApi`, `RewardsApi`). Measurements and consumption are history, which state
//! does not keep: they come from `mensura-indexer` (`--indexer`, by default the one
//! `scripts/dev-node` starts).

mod history;

use crate::{
	chain::meter,
	client::{hex, Client},
	time::{now_ms, parse_time},
	Error, Result,
};
use clap::{Args, Subcommand};
use mensura_primitives::display::{describe_change, milli, msr, utc};
use mensura_primitives::{
	metering::{Actor, AuditEntry, AuditIndex, AuditSubject, MeterId},
	readings::lr,
};
use mensura_rpc::MeterPage;
use serde_json::json;

/// Where `scripts/dev-node` serves the history (`mensura-indexer --listen`).
pub const DEFAULT_INDEXER: &str = "http://127.0.0.1:9955";

#[derive(Subcommand)]
pub enum QueryCommand {
	/// The chain: name, genesis hash (what frames are signed for), runtime, best and
	/// finalised blocks.
	Chain(Output),
	/// All meters, page by page.
	Meters {
		/// The first meter id.
		#[arg(long, default_value_t = 0)]
		from: MeterId,
		/// How many (at most 1000).
		#[arg(long, default_value_t = 100)]
		limit: u32,
		#[command(flatten)]
		output: Output,
	},
	/// One meter: model, status, key, program and reading state.
	Meter {
		meter: MeterId,
		#[command(flatten)]
		output: Output,
	},
	/// A meter's cumulative register.
	Register {
		meter: MeterId,
		#[command(flatten)]
		output: Output,
	},
	/// A meter's measurements, oldest first, from `mensura-indexer` (state keeps none:
	/// each is in its block's `Measured` event).
	Measurements {
		meter: MeterId,
		/// The `mensura-indexer` to read the history from.
		#[arg(long, env = "MENSURA_INDEXER", default_value = DEFAULT_INDEXER)]
		indexer: String,

		/// The first measurement index (default: the meter's first).
		#[arg(long)]
		from: Option<u64>,
		/// How many (at most 1000).
		#[arg(long, default_value_t = 100)]
		limit: u32,
		#[command(flatten)]
		output: Output,
	},
	/// A meter's consumption over a period: its measurements that start in [FROM, TO).
	///
	/// Times are Unix milliseconds, `now`, or `now-<duration>` (a number with ms, s, m, h
	/// or d: now-1h, now-90s). From `mensura-indexer`, with the split by time-of-use band.
	Consumption {
		meter: MeterId,
		/// The `mensura-indexer` to read the history from.
		#[arg(long, env = "MENSURA_INDEXER", default_value = DEFAULT_INDEXER)]
		indexer: String,

		#[arg(long, allow_hyphen_values = true)]
		from: String,
		#[arg(long, allow_hyphen_values = true, default_value = "now")]
		to: String,
		#[command(flatten)]
		output: Output,
	},
	/// The LR program bound to a meter: identity, approvals and its operations.
	Program {
		meter: MeterId,
		#[command(flatten)]
		output: Output,
	},
	/// Invoices of a consumer or of a supply contract: period, consumption, amount, what
	/// is left to pay, status.
	///
	/// Amounts are in MSR; a postpaid invoice unpaid after its due date is `Overdue`.
	Invoices {
		/// Read the history from `mensura-indexer` at this URL (e.g. http://127.0.0.1:9955)
		/// instead of the node's state.
		#[arg(long, env = "MENSURA_INDEXER")]
		indexer: Option<String>,
		/// The consumer: an SS58 address or a secret URI such as //Ferdie.
		#[arg(long, conflicts_with = "contract", required_unless_present = "contract")]
		consumer: Option<String>,
		/// The supply contract id.
		#[arg(long)]
		contract: Option<u64>,
		/// The first invoice id.
		#[arg(long, default_value_t = 0)]
		from: u64,
		/// How many (at most 100).
		#[arg(long, default_value_t = 100)]
		limit: u32,
		#[command(flatten)]
		output: Output,
	},
	/// An account's measurer rewards (claimable, earned, measurements, owed to it) and,
	/// for a supplier, its measurement deposit and debt.
	Rewards {
		/// An SS58 address or a secret URI such as //Dave.
		account: String,
		#[command(flatten)]
		output: Output,
	},
	/// A meter's audit trail: every change, by whom, in which block.
	Audit {
		meter: MeterId,
		/// The first entry.
		#[arg(long, default_value_t = 0)]
		from: AuditIndex,
		/// How many (at most 100).
		#[arg(long, default_value_t = 100)]
		limit: u32,
		#[command(flatten)]
		output: Output,
	},
}

#[derive(Args)]
pub struct Output {
	/// Print JSON instead of a table.
	#[arg(long)]
	json: bool,
}

/// An account given as an SS58 address or a secret URI (`//Ferdie`).
pub fn account(text: &str) -> Result<mensura_runtime::AccountId> {
	use sp_core::{crypto::Ss58Codec, sr25519, Pair};
	if let Ok(account) = mensura_runtime::AccountId::from_ss58check(text) {
		return Ok(account);
	}
	sr25519::Pair::from_string(text, None)
		.map(|pair| pair.public().into())
		.map_err(|_| Error::input(format!("`{text}` is neither an SS58 address nor a secret URI")))
}

fn invoice_status(view: &pallet_billing::InvoiceViewOf<mensura_runtime::Runtime>) -> String {
	match view.invoice.status {
		pallet_billing::InvoiceStatus::Open if view.overdue => "Overdue".into(),
		status => format!("{status:?}"),
	}
}

fn amount(text: &str, unit: &Option<String>) -> String {
	let value = text.parse::<u128>().map(milli).unwrap_or_else(|_| text.to_string());
	match unit {
		Some(unit) => format!("{value} {unit}"),
		None => value,
	}
}

fn print_json(value: &impl serde::Serialize) {
	println!("{}", serde_json::to_string_pretty(value).expect("JSON serialises"));
}

fn actor(actor: &Actor<mensura_runtime::AccountId>) -> String {
	use sp_core::crypto::Ss58Codec;
	match actor {
		Actor::Regulator => "regulator (root)".into(),
		Actor::Account(account) => {
			account.to_ss58check_with_version(mensura_primitives::SS58_PREFIX.into())
		}
	}
}

pub fn run(url: &str, command: QueryCommand) -> Result<()> {
	let mut client = Client::new(url)?;
	match command {
		QueryCommand::Chain(output) => {
			let name = client.call("system_chain", json!([]))?;
			let genesis = client.genesis_hash()?;
			let (spec, tx) = client.runtime_version()?;
			let best = client.best_number()?;
			let finalized = client.finalized_number()?;
			let value = json!({
				"chain": name, "genesisHash": hex(&genesis), "specVersion": spec,
				"transactionVersion": tx, "bestBlock": best, "finalizedBlock": finalized,
			});
			if output.json {
				print_json(&value);
			} else {
				println!("chain            {}", name.as_str().unwrap_or_default());
				println!("genesis hash     {}", hex(&genesis));
				println!("runtime          spec {spec}, transactions {tx}");
				println!("best block       #{best}");
				println!("finalised block  #{finalized}");
			}
		}
		QueryCommand::Meters { from, limit, output } => {
			let page: MeterPage = client.call_as("mensura_meters", json!([from, limit]))?;
			if output.json {
				print_json(&page);
			} else {
				println!(
					"{:>5}  {:<11}  {:<12}  {:<14}  {:<28}  {:>8}  {:>18}",
					"meter", "status", "serial", "supply point", "program", "measured", "register"
				);
				for m in &page.meters {
					let program = m
						.lr_program
						.as_ref()
						.map(|p| format!("{} ({})", p.version, p.status))
						.unwrap_or_else(|| "none".into());
					println!(
						"{:>5}  {:<11}  {:<12}  {:<14}  {:<28}  {:>8}  {:>18}",
						m.id,
						m.status,
						m.serial,
						m.supply_point.clone().unwrap_or_else(|| "-".into()),
						program,
						m.measurements,
						amount(&m.register, &m.unit)
					);
				}
				if let Some(next) = page.next {
					println!("(more: --from {next})");
				}
			}
		}
		QueryCommand::Meter { meter: id, output } => {
			let m = meter(&mut client, id)?;
			if output.json {
				print_json(&m);
			} else {
				println!("meter           {}", m.id);
				println!("status          {}", m.status);
				println!(
					"model           {} (register in {})",
					m.model,
					m.unit.clone().unwrap_or_default()
				);
				println!("manufacturer    {}", m.manufacturer);
				println!("serial          {}", m.serial);
				println!(
					"supply point    {}",
					m.supply_point.clone().unwrap_or_else(|| "-".into())
				);
				println!("device key      {} {}", m.key_scheme, m.device_key);
				match &m.lr_program {
					Some(p) => println!(
						"LR program      {} {:?} ({}), measurer {}",
						p.version, p.hash, p.status, p.measurer
					),
					None => println!("LR program      none"),
				}
				println!("register        {}", amount(&m.register, &m.unit));
				println!("measurements    {}", m.measurements);
				println!(
					"last frame      {}",
					m.last_sequence
						.map(|s| format!("sequence {s}, ending {}", m.last_end))
						.unwrap_or_else(|| "none".into())
				);
				println!("missed frames   {}", m.missed_frames);
				println!("hash chain head {:?}", m.chain_head);
			}
		}
		QueryCommand::Register { meter: id, output } => {
			let m = meter(&mut client, id)?;
			if output.json {
				print_json(&json!({
					"meter": m.id, "register": m.register, "unit": m.unit,
					"measurements": m.measurements, "chainHead": m.chain_head,
				}));
			} else {
				println!("{}", amount(&m.register, &m.unit));
			}
		}
		QueryCommand::Measurements { meter: id, indexer, from, limit, output } => {
			history::measurements(&indexer, id, from, limit, output.json)?
		}
		QueryCommand::Consumption { meter: id, indexer, from, to, output } => {
			let now = now_ms();
			let (from, to) = (parse_time(&from, now)?, parse_time(&to, now)?);
			history::consumption(&indexer, id, from, to, output.json)?
		}
		QueryCommand::Program { meter: id, output } => {
			meter(&mut client, id)?;
			let found: Option<(
				sp_core::H256,
				pallet_lr_programs::ProgramRecordOf<mensura_runtime::Runtime>,
			)> = client.runtime_call("LrProgramsApi_program_of_meter", id)?;
			let (hash, record) = found
				.ok_or_else(|| Error::input(format!("no LR program is bound to meter {id}")))?;
			let program = lr::Program::decode(&record.code);
			let version = String::from_utf8_lossy(&record.version).into_owned();
			let measurer = actor(&Actor::Account(record.measurer.clone()));
			let approvals: Vec<String> =
				record.approvals.iter().map(|a| actor(&Actor::Account(a.clone()))).collect();
			if output.json {
				print_json(&json!({
					"meter": id, "hash": hash, "version": version, "measurer": measurer,
					"status": format!("{:?}", record.status), "approvals": approvals,
					"published": record.published, "code": hex(&record.code),
					"operations": program.as_ref().map(|p| p.ops.iter().map(|op| format!("{op:?}")).collect::<Vec<_>>()).ok(),
				}));
			} else {
				println!("program     {version}");
				println!("hash        {hash:?}");
				println!(
					"status      {:?}, published in block #{}",
					record.status, record.published
				);
				println!("measurer    {measurer}");
				println!(
					"approved by {}",
					if approvals.is_empty() { "nobody yet".into() } else { approvals.join(", ") }
				);
				match program {
					Ok(program) => {
						println!("inputs      {} channels", program.inputs);
						for (i, op) in program.ops.iter().enumerate() {
							println!("  {i:>2}  {op:?}");
						}
					}
					Err(e) => println!(
						"code        {} bytes that do not decode ({e:?})",
						record.code.len()
					),
				}
			}
		}
		QueryCommand::Invoices {
			indexer: Some(indexer),
			consumer,
			contract,
			limit,
			output,
			..
		} => {
			let consumer = match (consumer, contract) {
				(Some(consumer), _) => account(&consumer)?,
				_ => return Err(Error::usage("with --indexer, give --consumer")),
			};
			history::invoices(&indexer, &consumer, limit, output.json)?
		}
		QueryCommand::Invoices { indexer: None, consumer, contract, from, limit, output } => {
			type View = pallet_billing::InvoiceViewOf<mensura_runtime::Runtime>;
			let page: Vec<(u64, View)> = match (consumer, contract) {
				(Some(consumer), _) => client.runtime_call(
					"BillingApi_invoices_of_consumer",
					(account(&consumer)?, from, limit.min(100)),
				)?,
				(None, Some(contract)) => {
					let found: Option<pallet_billing::ContractOf<mensura_runtime::Runtime>> =
						client.runtime_call("BillingApi_contract", contract)?;
					if found.is_none() {
						return Err(Error::input(format!(
							"there is no supply contract {contract}"
						)));
					}
					client.runtime_call(
						"BillingApi_invoices_of_contract",
						(contract, from, limit.min(100)),
					)?
				}
				(None, None) => return Err(Error::usage("give --consumer or --contract")),
			};
			if output.json {
				let rows: Vec<_> = page
					.iter()
					.map(|(id, v)| {
						let i = &v.invoice;
						json!({
							"id": id, "contract": i.contract, "meter": i.meter,
							"supplier": actor(&Actor::Account(i.supplier.clone())),
							"consumer": actor(&Actor::Account(i.consumer.clone())),
							"tariff": i.tariff, "from": i.from, "to": i.to,
							"registerFrom": i.register_from.to_string(),
							"registerTo": i.register_to.to_string(),
							"consumption": i.consumption().to_string(),
							"quantities": i.quantities.iter().map(|q| q.to_string()).collect::<Vec<_>>(),
							"measurements": i.measurements, "first": i.first, "last": i.last,
							"energy": i.energy.to_string(), "standing": i.standing.to_string(),
							"amount": i.amount.to_string(), "credited": i.credited.to_string(),
							"paid": i.paid.to_string(), "outstanding": v.outstanding.to_string(),
							"issued": i.issued, "due": i.due, "status": invoice_status(v),
							"closing": i.closing,
						})
					})
					.collect();
				print_json(&rows);
			} else if page.is_empty() {
				println!("no invoices");
			} else {
				println!(
					"{:>5}  {:>8}  {:>5}  {:<19}  {:<19}  {:>12}  {:>20}  {:>20}  status",
					"id",
					"contract",
					"meter",
					"from (UTC)",
					"to (UTC)",
					"consumption",
					"amount",
					"outstanding"
				);
				for (id, v) in &page {
					let i = &v.invoice;
					println!(
						"{id:>5}  {:>8}  {:>5}  {:<19}  {:<19}  {:>12}  {:>20}  {:>20}  {}",
						i.contract,
						i.meter,
						utc(i.from),
						utc(i.to),
						milli(i.consumption()),
						msr(i.amount),
						msr(v.outstanding),
						invoice_status(v)
					);
				}
			}
		}
		QueryCommand::Rewards { account: who, output } => {
			let account = account(&who)?;
			let (fee, share): (u128, sp_runtime::Perbill) =
				client.runtime_call("RewardsApi_measuring_fee", ())?;
			let (claimable, earnings): (u128, pallet_rewards::Earnings<u128>) =
				client.runtime_call("RewardsApi_rewards_of", &account)?;
			let (deposit, debt): (u128, u128) =
				client.runtime_call("RewardsApi_deposit_of", &account)?;
			let address = actor(&Actor::Account(account));
			if output.json {
				print_json(&json!({
					"account": address, "measuringFee": fee.to_string(),
					"authorShare": share.deconstruct(),
					"claimable": claimable.to_string(), "earned": earnings.earned.to_string(),
					"measurements": earnings.measurements, "owed": earnings.owed.to_string(),
					"deposit": deposit.to_string(), "debt": debt.to_string(),
				}));
			} else {
				println!("account        {address}");
				println!(
					"measuring fee  {} per measurement, {:.1} % of it to the block author",
					msr(fee),
					f64::from(share.deconstruct()) / 10_000_000.0
				);
				println!("claimable      {}", msr(claimable));
				println!(
					"earned         {} for {} measurements",
					msr(earnings.earned),
					earnings.measurements
				);
				println!("owed to it     {}", msr(earnings.owed));
				println!("deposit held   {} (as a supplier)", msr(deposit));
				println!("debt           {}", msr(debt));
			}
		}
		QueryCommand::Audit { meter: id, from, limit, output } => {
			meter(&mut client, id)?;
			let entries: Vec<(AuditIndex, AuditEntry<mensura_runtime::AccountId, u32>)> = client
				.runtime_call(
					"MetersApi_audit_trail",
					(AuditSubject::Meter(id), from, limit.min(100)),
				)?;
			if output.json {
				let rows: Vec<_> = entries
					.iter()
					.map(|(index, e)| {
						json!({
							"index": index, "block": e.block, "actor": actor(&e.actor),
							"change": describe_change(&e.change),
						})
					})
					.collect();
				print_json(&rows);
			} else {
				for (index, e) in &entries {
					println!(
						"{index:>4}  #{:<7}  {:<48}  {}",
						e.block,
						actor(&e.actor),
						describe_change(&e.change)
					);
				}
			}
		}
	}
	Ok(())
}
