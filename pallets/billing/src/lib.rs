//! # Billing: tariffs, supply contracts, invoices, settlement and disputes
//!
//! ## Overview
//!
//! A **supplier** prices consumption with **tariffs**: a price per register unit in each
//! **time-of-use band** of the local day, and a **standing charge** per billing period.
//! A supplier the regulator **licensed** ([`LicensedSuppliers`]) offers a **supply
//! contract** for a meter to a **consumer** — prepaid or postpaid, with the supply point's
//! UTC offset — which the consumer accepts. From then on every measurement of the meter
//! whose interval starts at or after the contract's start is added to the contract's
//! **open period** — kept in the meter's reading record with copies of the contract's
//! supplier, tariff, UTC offset and start ([`MeterBilling`]), so that billing a
//! measurement writes only the record the frame writes anyway — in the band of the
//! local time at which its interval starts; one of
//! time before it is not this consumer's and is never billed under it
//! ([`Event::MeasurementBeforeContract`]). A contract's tariff changes only when the
//! consumer accepts the supplier's offer. A party ends its contract; the regulator or a
//! notified body can end any ([`Pallet::terminate_contract`]). Exposed in the runtime as
//! `Billing`.
//!
//! ## Billing periods
//!
//! Periods are [`BillingPeriod`] milliseconds long and aligned to the Unix epoch (UTC),
//! the same boundaries for every contract; a contract's first period begins when it is
//! accepted and its last ends when it ends. When a period closes, its **invoice** prices
//! exactly the measurements added to it: `Σ ⌊band quantity × band price / 1000⌋` plus
//! the standing charge prorated to the period's length. Its consumption is the meter's
//! register difference over the period. A period closes, whichever comes first:
//!
//! - when a measurement arrives whose interval starts at or after the period's end (the
//!   period is closed before that measurement is added, so no measurement lands in the
//!   wrong period); frames declare only the cost of adding a measurement, and the rare
//!   close on the way is registered as extra block weight when it happens;
//! - in `on_idle`, which visits at most [`Config::MaxContractVisits`] contracts per block
//!   from a rotating cursor, as far as the block's leftover weight allows;
//! - on demand, by anyone, with [`Pallet::close_period`].
//!
//! Closing one period is bounded work (one invoice, at most [`Config::MaxBands`] bands),
//! so no block ever does unbounded billing work. A period closed late (a silent meter
//! and full blocks) covers every boundary it missed in one invoice, with the standing
//! charge prorated to its whole length. A measurement that arrives after its period
//! closed (a late frame) is billed in the period open when it arrives: each measurement
//! is billed exactly once.
//!
//! ## Settlement
//!
//! - **Postpaid**: the invoice is due [`Config::PaymentTerm`] after issue; anyone may
//!   pay it ([`Pallet::pay_invoice`]); unpaid after its due date it is **overdue**.
//! - **Prepaid**: the invoice is settled when issued from the consumer's prepaid balance
//!   (held, [`Pallet::top_up_prepaid`]); if that balance is short, what it holds is
//!   taken, the rest stays open, and [`Event::PrepaidBalanceLow`] tells the consumer.
//!
//! ## Disputes
//!
//! Within [`Config::DisputeWindow`] of issue, the consumer disputes an invoice with a
//! reason and a deposit ([`Config::DisputeDeposit`]); a notified body resolves it:
//! **upheld** (the deposit goes to the supplier), or **corrected** with a credit note
//! (the deposit goes back; what was paid beyond the corrected amount is refunded by the
//! supplier). A dispute no body resolves within [`Config::DisputeDeadline`] lapses on
//! anyone's request: the invoice is payable again, the deposit returned. Every step is
//! an event and an entry in the meter's audit trail, as are contract starts, ends and
//! tariff changes.
//!
//! ## Interface
//!
//! - signed (a supplier): [`Pallet::create_tariff`], [`Pallet::propose_contract`]
//!   (licensed suppliers), [`Pallet::change_tariff`] (an offer), [`Pallet::end_contract`];
//! - signed (a consumer): [`Pallet::accept_contract`], [`Pallet::accept_tariff`],
//!   [`Pallet::end_contract`], [`Pallet::top_up_prepaid`], [`Pallet::withdraw_prepaid`],
//!   [`Pallet::dispute_invoice`];
//! - signed (anyone): [`Pallet::pay_invoice`], [`Pallet::close_period`],
//!   [`Pallet::lapse_dispute`] (past its deadline);
//! - notified body: [`Pallet::resolve_dispute`], [`Pallet::terminate_contract`];
//! - regulator: [`Pallet::license_supplier`], [`Pallet::withdraw_supplier_licence`],
//!   [`Pallet::terminate_contract`].
//!
//! ## Invariants (`try_state`)
//!
//! Each invoice's amount is its priced consumption plus its standing charge, and its
//! consumption is its register difference and the sum of its band quantities (recomputed
//! from the measurements themselves while they are retained); paid + outstanding =
//! invoiced (amount − credit notes) for every invoice, and each consumer's outstanding
//! total is the sum over its invoices; a meter's invoices cover disjoint, increasing
//! ranges of its measurements (no measurement is billed twice); each active contract is
//! in its meter's reading record, whose copies of its supplier, tariff, UTC offset and
//! start are the contract's, with one quantity per band of its tariff, and no record
//! names a contract that is not active.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod features;
mod impl_traits;
mod invariants;
pub mod migrations;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod types;
pub mod weights;

pub use mensura_primitives::billing::{ContractId, InvoiceId, MeterBilling, OpenPeriod, TariffId};
pub use pallet::*;
pub use types::*;
pub use weights::WeightInfo;

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use alloc::vec::Vec;
	use frame_support::{
		pallet_prelude::*,
		traits::{
			fungible::{Mutate, MutateHold},
			UnixTime,
		},
	};
	use frame_system::pallet_prelude::*;
	use mensura_primitives::{
		billing::{BandError, PaymentMode, TariffBand},
		metering::{Actor, AuditTrail, MeterId, MeterRegistry},
		readings::{MeasurementIndex, MeasurementLog, MeterLinks, UnixMillis},
	};

	const STORAGE_VERSION: StorageVersion = StorageVersion::new(3);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// Default values for the configuration a test runtime rarely changes.
	pub mod config_preludes {
		use super::*;
		use frame_support::{
			derive_impl,
			traits::{ConstU128, ConstU64},
		};

		/// For mock runtimes: 8 bands, a 1-day payment term and dispute window, a
		/// dispute deposit of 100 and deadline of 7 days, 16 contract visits per block,
		/// weights of `()`.
		pub struct TestDefaultConfig;

		#[derive_impl(frame_system::config_preludes::TestDefaultConfig, no_aggregated_types)]
		impl frame_system::DefaultConfig for TestDefaultConfig {}

		#[frame_support::register_default_impl(TestDefaultConfig)]
		impl DefaultConfig for TestDefaultConfig {
			type MaxBands = ConstU32<8>;
			type MaxNameLen = ConstU32<64>;
			type MaxReasonLen = ConstU32<256>;
			type PaymentTerm = ConstU64<86_400_000>;
			type DisputeWindow = ConstU64<86_400_000>;
			type DisputeDeposit = ConstU128<100>;
			type DisputeDeadline = ConstU64<{ 7 * 86_400_000 }>;
			type MaxContractVisits = ConstU32<16>;
			type WeightInfo = ();
		}
	}

	#[pallet::config(with_default)]
	pub trait Config: frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// The currency of payments and prepaid balances.
		#[pallet::no_default]
		type Currency: Mutate<Self::AccountId, Balance = u128>
			+ MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;

		/// The overarching hold reason.
		#[pallet::no_default]
		type RuntimeHoldReason: From<HoldReason>;

		/// The chain's time: periods, due dates and dispute windows are in Unix ms.
		#[pallet::no_default]
		type Time: UnixTime;

		/// The meter registry: contracts are for active meters.
		#[pallet::no_default]
		type Meters: MeterRegistry;

		/// The meters' registers.
		#[pallet::no_default]
		type Readings: MeasurementLog;

		/// The meters' reading records, which hold each meter's active contract and its
		/// open period: the one record of them, which a stored frame hands billing
		/// without a read of billing's own.
		#[pallet::no_default]
		type Links: MeterLinks<Self::AccountId>;

		/// Told of every measurement billed, with its meter's supplier: the measuring fee.
		#[pallet::no_default]
		type Fees: mensura_primitives::billing::OnSupplied<Self::AccountId>;

		/// The meters' audit trails.
		#[pallet::no_default]
		type Audit: AuditTrail<Self::AccountId>;

		/// Who resolves disputes: a notified body.
		#[pallet::no_default]
		type DisputeResolverOrigin: EnsureOrigin<Self::RuntimeOrigin, Success = Self::AccountId>;

		/// Which notified body verified each meter: only it resolves disputes of the
		/// meter's invoices.
		#[pallet::no_default]
		type Bodies: mensura_primitives::metering::NotifiedBodies<Self::AccountId>;

		/// The regulator: licenses suppliers, withdraws licences, and ends any contract
		/// (root in Mensura).
		#[pallet::no_default]
		type RegulatorOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// The most time-of-use bands a tariff has.
		#[pallet::constant]
		type MaxBands: Get<u32>;

		/// The longest tariff name, in bytes.
		#[pallet::constant]
		type MaxNameLen: Get<u32>;

		/// The longest dispute reason, in bytes.
		#[pallet::constant]
		type MaxReasonLen: Get<u32>;

		/// How long after issue a postpaid invoice is due, in milliseconds.
		#[pallet::constant]
		type PaymentTerm: Get<u64>;

		/// How long after issue an invoice may be disputed, in milliseconds.
		#[pallet::constant]
		type DisputeWindow: Get<u64>;

		/// Held from a consumer who disputes an invoice: returned when the invoice is
		/// corrected or the dispute lapses, paid to the supplier when it is upheld. A
		/// dispute that only delays payment costs something.
		#[pallet::constant]
		type DisputeDeposit: Get<u128>;

		/// How long after it is raised a dispute may wait for a notified body, in
		/// milliseconds; then anyone may let it lapse (`lapse_dispute`): the invoice is
		/// payable again. Payment is never stalled for good.
		#[pallet::constant]
		type DisputeDeadline: Get<u64>;

		/// The most contracts `on_idle` looks at in one block.
		#[pallet::constant]
		type MaxContractVisits: Get<u32>;

		/// Weights of this pallet's calls, of closing a period and of adding a
		/// measurement.
		type WeightInfo: WeightInfo;

		/// Sets the chain's time for benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		#[pallet::no_default]
		type BenchmarkHelper: BenchmarkHelper;
	}

	/// What the benchmarks need of the runtime.
	#[cfg(feature = "runtime-benchmarks")]
	pub trait BenchmarkHelper {
		/// Makes [`Config::Time`] say `at` (Unix ms).
		fn set_time(at: UnixMillis);
	}

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// A consumer's prepaid balance, from which prepaid invoices are settled.
		PrepaidBalance,
		/// A consumer's deposit for a dispute in progress.
		DisputeDeposit,
	}

	/// The length of a billing period, in milliseconds (periods are aligned to the Unix
	/// epoch). Set at genesis.
	#[pallet::storage]
	pub type BillingPeriod<T: Config> = StorageValue<_, u64, ValueQuery, DefaultBillingPeriod>;

	/// 30 days.
	#[pallet::type_value]
	pub fn DefaultBillingPeriod() -> u64 {
		30 * 86_400_000
	}

	/// The id the next tariff gets.
	#[pallet::storage]
	pub type NextTariffId<T: Config> = StorageValue<_, TariffId, ValueQuery>;

	/// Tariffs, by id.
	#[pallet::storage]
	pub type Tariffs<T: Config> = StorageMap<_, Twox64Concat, TariffId, TariffOf<T>, OptionQuery>;

	/// What billing read for the transaction being dispatched (see
	/// [`TariffOfTransaction`]); removed as the transaction ends, so it never reaches the
	/// database (and is whitelisted in benchmarks: its cost is the measured time of an
	/// in-memory read).
	#[pallet::storage]
	#[pallet::whitelist_storage]
	pub type TransactionTariff<T: Config> =
		StorageValue<_, TariffOfTransaction<T::MaxBands>, OptionQuery>;

	/// The id the next contract gets.
	#[pallet::storage]
	pub type NextContractId<T: Config> = StorageValue<_, ContractId, ValueQuery>;

	/// Supply contracts, by id.
	#[pallet::storage]
	pub type Contracts<T: Config> =
		StorageMap<_, Twox64Concat, ContractId, ContractOf<T>, OptionQuery>;

	/// The contracts each account is a party to (as supplier or consumer).
	#[pallet::storage]
	pub type ContractsOf<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		Twox64Concat,
		ContractId,
		(),
		OptionQuery,
	>;

	/// The id the next invoice gets.
	#[pallet::storage]
	pub type NextInvoiceId<T: Config> = StorageValue<_, InvoiceId, ValueQuery>;

	/// Invoices, by id.
	#[pallet::storage]
	pub type Invoices<T: Config> =
		StorageMap<_, Twox64Concat, InvoiceId, InvoiceOf<T>, OptionQuery>;

	/// The invoices of each contract.
	#[pallet::storage]
	pub type ContractInvoices<T: Config> =
		StorageDoubleMap<_, Twox64Concat, ContractId, Twox64Concat, InvoiceId, (), OptionQuery>;

	/// The invoices of each consumer.
	#[pallet::storage]
	pub type ConsumerInvoices<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		Twox64Concat,
		InvoiceId,
		(),
		OptionQuery,
	>;

	/// What each consumer owes over all its invoices.
	#[pallet::storage]
	pub type Outstanding<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, u128, ValueQuery>;

	/// Disputes, by invoice.
	#[pallet::storage]
	pub type Disputes<T: Config> =
		StorageMap<_, Twox64Concat, InvoiceId, DisputeOf<T>, OptionQuery>;

	/// The index of the last billed measurement of each meter.
	#[pallet::storage]
	pub type LastBilled<T: Config> = StorageMap<_, Twox64Concat, MeterId, u64, OptionQuery>;

	/// The next contract `on_idle` looks at.
	#[pallet::storage]
	pub type VisitCursor<T: Config> = StorageValue<_, ContractId, ValueQuery>;

	/// How many meters each supplier supplies under active contracts (for the rewards
	/// pallet's deposit floor).
	#[pallet::storage]
	pub type SuppliedMeters<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, u32, ValueQuery>;

	/// The suppliers the regulator licensed: only they propose supply contracts, so no
	/// one can lock a meter's billing with a contract between two accounts of their own.
	#[pallet::storage]
	pub type LicensedSuppliers<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, (), OptionQuery>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// The billing period in milliseconds; 0 keeps the default (30 days).
		pub billing_period: u64,
		/// Tariffs, given ids from 0 in order.
		pub tariffs: Vec<GenesisTariff<T::AccountId>>,
		/// Contracts, active from the chain's first block; the meters must be active
		/// (`Meters` builds first). Their suppliers are licensed.
		pub contracts: Vec<GenesisContract<T::AccountId>>,
		/// Consumers' prepaid balances, held from their balances.
		pub prepaid: Vec<(T::AccountId, u128)>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			if self.billing_period > 0 {
				BillingPeriod::<T>::put(self.billing_period);
			}
			for (supplier, name, bands, standing) in &self.tariffs {
				Pallet::<T>::do_create_tariff(
					supplier.clone(),
					name.clone(),
					bands.clone(),
					*standing,
				)
				.expect("genesis: a valid tariff");
			}
			for (meter, supplier, consumer, tariff, payment, offset) in &self.contracts {
				LicensedSuppliers::<T>::insert(supplier, ());
				let id = Pallet::<T>::do_propose(
					supplier.clone(),
					*meter,
					consumer.clone(),
					*tariff,
					*payment,
					*offset,
				)
				.expect("genesis: a valid contract");
				// Starts with the first block (start 0), when the chain has a time.
				Pallet::<T>::do_accept(consumer.clone(), id, 0).expect("genesis: acceptable");
			}
			for (consumer, amount) in &self.prepaid {
				T::Currency::hold(&HoldReason::PrepaidBalance.into(), consumer, *amount)
					.expect("genesis: a consumer can afford its prepaid balance");
			}
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A supplier created a tariff.
		TariffCreated { tariff: TariffId, supplier: T::AccountId },
		/// A supplier offered a supply contract for a meter to a consumer.
		ContractProposed {
			contract: ContractId,
			meter: MeterId,
			supplier: T::AccountId,
			consumer: T::AccountId,
		},
		/// The consumer accepted: the meter's consumption is billed under the contract
		/// from `start` on.
		ContractStarted { contract: ContractId, meter: MeterId, start: UnixMillis },
		/// A measurement of time before the meter's active contract began arrived: it is
		/// not billed under that contract (the consumption was another consumer's, or no
		/// one's); the supplier settles it outside the chain's invoices.
		MeasurementBeforeContract { contract: ContractId, meter: MeterId, index: MeasurementIndex },
		/// A party ended the contract (a proposal withdrawn or refused, or an active
		/// contract ended with its final invoice).
		ContractEnded { contract: ContractId, by: T::AccountId },
		/// The regulator or a notified body ended the contract (with a final invoice if it
		/// was active): e.g. one no supply point authorised.
		ContractTerminated { contract: ContractId, by: Actor<T::AccountId> },
		/// The regulator licensed a supplier: it may propose supply contracts.
		SupplierLicensed { supplier: T::AccountId },
		/// The regulator withdrew a supplier's licence: no new contracts; its contracts
		/// run on until ended.
		SupplierLicenceWithdrawn { supplier: T::AccountId },
		/// The consumer accepted the supplier's offer: `tariff` prices the contract from
		/// `from` (its next period).
		TariffChanged { contract: ContractId, tariff: TariffId, from: UnixMillis },
		/// The supplier offered the contract's consumer another of its tariffs; it applies
		/// only once the consumer accepts it (`accept_tariff`).
		TariffOffered { contract: ContractId, tariff: TariffId },
		/// A period closed into an invoice.
		InvoiceIssued {
			invoice: InvoiceId,
			contract: ContractId,
			consumer: T::AccountId,
			amount: u128,
			from: UnixMillis,
			to: UnixMillis,
			due: UnixMillis,
		},
		/// `amount` of an invoice was paid by `payer` (from its prepaid balance for a
		/// prepaid contract); `outstanding` is what is left.
		InvoicePaid { invoice: InvoiceId, payer: T::AccountId, amount: u128, outstanding: u128 },
		/// A prepaid balance could not settle an invoice, or is below the last invoice's
		/// amount: top it up.
		PrepaidBalanceLow { contract: ContractId, consumer: T::AccountId, balance: u128 },
		/// A consumer added to its prepaid balance.
		PrepaidToppedUp { consumer: T::AccountId, amount: u128, balance: u128 },
		/// A consumer took part of its prepaid balance back.
		PrepaidWithdrawn { consumer: T::AccountId, amount: u128, balance: u128 },
		/// The consumer disputed an invoice.
		InvoiceDisputed { invoice: InvoiceId, consumer: T::AccountId },
		/// A notified body resolved a dispute; `credit` is 0 when the invoice was upheld;
		/// `refund` is what the supplier paid back.
		DisputeResolved { invoice: InvoiceId, body: T::AccountId, credit: u128, refund: u128 },
		/// No notified body resolved the dispute before its deadline: the invoice is
		/// payable again, and the consumer's deposit is returned.
		DisputeLapsed { invoice: InvoiceId },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// Only a supplier the regulator licensed may propose a supply contract.
		NotLicensedSupplier,
		/// The supplier offered no tariff to accept.
		NoTariffOffered,
		/// The dispute's deadline has not passed: it still waits for a notified body.
		DisputeDeadlineNotPassed,
		/// Only the notified body that verified the meter resolves disputes of its
		/// invoices.
		NotVerifyingBody,
		/// The supplier is licensed already.
		AlreadyLicensed,
		/// A tariff needs at least one band.
		NoBands,
		/// A band ends at or before its start, or after the end of the day.
		EmptyBand,
		/// A band starts before the previous one ended.
		OverlappingBands,
		/// The bands leave part of the day without a price.
		GappedBands,
		/// More bands than `MaxBands`.
		TooManyBands,
		/// The name is longer than `MaxNameLen`.
		NameTooLong,
		/// The dispute reason is longer than `MaxReasonLen`.
		ReasonTooLong,
		/// No tariff has this id.
		UnknownTariff,
		/// The tariff belongs to another supplier.
		NotTariffOwner,
		/// No meter has this id.
		UnknownMeter,
		/// The meter is not active.
		MeterNotActive,
		/// The meter already has an active supply contract.
		MeterUnderContract,
		/// The UTC offset is outside −12:00 … +14:00.
		BadUtcOffset,
		/// A supplier cannot supply itself.
		SupplierIsConsumer,
		/// No contract has this id.
		UnknownContract,
		/// Only the consumer of the contract may do this.
		NotConsumer,
		/// Only the supplier of the contract may do this.
		NotSupplier,
		/// Only a party to the contract may end it.
		NotParty,
		/// The contract is not waiting for acceptance.
		NotProposed,
		/// The contract is not active (it ended already, or was never accepted).
		ContractNotActive,
		/// The contract's billing period is not over yet.
		PeriodNotOver,
		/// No invoice has this id.
		UnknownInvoice,
		/// Nothing is left to pay on the invoice.
		AlreadyPaid,
		/// The invoice is disputed: it waits for the resolution.
		UnderDispute,
		/// The dispute window of the invoice has closed.
		DisputeWindowClosed,
		/// The invoice was already disputed (once per invoice).
		AlreadyDisputed,
		/// The invoice is not under dispute.
		NotDisputed,
		/// The credit note is zero or more than the invoice's amount left.
		BadCredit,
		/// The supplier cannot refund what was paid beyond the corrected amount.
		RefundFailed,
		/// A zero amount.
		ZeroAmount,
		/// The amount would overflow the balance.
		Overflow,
		/// The prepaid balance holds less than the amount asked for.
		InsufficientPrepaidBalance,
		/// The chain has no time yet (before its first block).
		NoTime,
	}

	impl<T> From<BandError> for Error<T> {
		fn from(error: BandError) -> Self {
			match error {
				BandError::NoBands => Error::NoBands,
				BandError::EmptyBand => Error::EmptyBand,
				BandError::OverlappingBands => Error::OverlappingBands,
				BandError::GappedBands => Error::GappedBands,
			}
		}
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		/// Looking, at the end of the block, for a transaction's tariff left behind.
		fn on_initialize(_n: BlockNumberFor<T>) -> Weight {
			T::DbWeight::get().reads_writes(1, 1)
		}

		/// Drops what billing kept for a transaction that did not end it (only a caller
		/// outside readings' dispatch can leave it): it must not reach the database.
		fn on_finalize(_n: BlockNumberFor<T>) {
			if TransactionTariff::<T>::exists() {
				TransactionTariff::<T>::kill();
			}
		}

		/// Closes the due periods of up to `MaxContractVisits` contracts, from a rotating
		/// cursor, within the block's leftover weight.
		fn on_idle(_n: BlockNumberFor<T>, remaining: Weight) -> Weight {
			let now = Self::now();
			let contracts = NextContractId::<T>::get();
			let visit = T::WeightInfo::visit_contract();
			let close = T::WeightInfo::close_period(T::MaxBands::get());
			let mut used = T::DbWeight::get().reads_writes(2, 1);
			if now == 0 || contracts == 0 || remaining.any_lt(used.saturating_add(visit)) {
				return Weight::zero();
			}
			let mut cursor = VisitCursor::<T>::get();
			for _ in 0..T::MaxContractVisits::get().min(contracts.min(u32::MAX.into()) as u32) {
				if remaining.any_lt(used.saturating_add(visit).saturating_add(close)) {
					break;
				}
				if cursor >= contracts {
					cursor = 0;
				}
				used = used.saturating_add(visit);
				if Self::close_if_due(cursor, now) {
					used = used.saturating_add(close);
				}
				cursor = cursor.saturating_add(1);
			}
			VisitCursor::<T>::put(cursor);
			used
		}

		fn integrity_test() {
			assert!(T::MaxBands::get() > 0, "MaxBands must allow a band");
			assert!(
				T::MaxBands::get() <= mensura_primitives::billing::MAX_BANDS,
				"an open period in a reading record holds at most MAX_BANDS bands"
			);
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Creates a tariff owned by the caller: `bands` in order must cover the local
		/// day exactly once (`[from_minute, to_minute)`, from 0 to 1440), each with a price
		/// per register unit; `standing_charge` is per full billing period.
		///
		/// Origin: signed (a supplier). Emits `TariffCreated`. Errors: `NoBands`,
		/// `EmptyBand`, `OverlappingBands`, `GappedBands`, `TooManyBands`, `NameTooLong`.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::create_tariff())]
		pub fn create_tariff(
			origin: OriginFor<T>,
			name: Vec<u8>,
			bands: Vec<TariffBand<u128>>,
			standing_charge: u128,
		) -> DispatchResult {
			let supplier = ensure_signed(origin)?;
			Self::do_create_tariff(supplier, name, bands, standing_charge).map(|_| ())
		}

		/// Offers a supply contract for `meter` to `consumer` under the caller's `tariff`;
		/// `utc_offset` is the supply point's offset from UTC in minutes (time-of-use
		/// bands are local time). It starts when the consumer accepts.
		///
		/// Origin: signed (a licensed supplier). Emits `ContractProposed`. Errors:
		/// `NotLicensedSupplier`, `UnknownTariff`, `NotTariffOwner`, `UnknownMeter`, `MeterNotActive`,
		/// `MeterUnderContract`, `BadUtcOffset`, `SupplierIsConsumer`.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::propose_contract())]
		pub fn propose_contract(
			origin: OriginFor<T>,
			meter: MeterId,
			consumer: T::AccountId,
			tariff: TariffId,
			payment: PaymentMode,
			utc_offset: i16,
		) -> DispatchResult {
			let supplier = ensure_signed(origin)?;
			Self::do_propose(supplier, meter, consumer, tariff, payment, utc_offset).map(|_| ())
		}

		/// Accepts a proposed contract: the meter's consumption is billed under it from
		/// now on. Written to the meter's audit trail.
		///
		/// Origin: signed (the consumer). Emits `ContractStarted`. Errors:
		/// `UnknownContract`, `NotConsumer`, `NotProposed`, `MeterNotActive`,
		/// `MeterUnderContract`, `NoTime`.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::accept_contract())]
		pub fn accept_contract(origin: OriginFor<T>, contract: ContractId) -> DispatchResult {
			let consumer = ensure_signed(origin)?;
			let now = Self::now();
			ensure!(now > 0, Error::<T>::NoTime);
			Self::do_accept(consumer, contract, now)
		}

		/// Ends a contract. A proposal is withdrawn (by the supplier) or refused (by the
		/// consumer); an active contract ends now, with a final invoice for its open
		/// period. Written to the meter's audit trail.
		///
		/// Origin: signed (the supplier or the consumer). Emits `ContractEnded`, and
		/// `InvoiceIssued` for an active contract. Errors: `UnknownContract`, `NotParty`,
		/// `ContractNotActive` (it ended already).
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::end_contract(T::MaxBands::get()))]
		pub fn end_contract(origin: OriginFor<T>, contract: ContractId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_end_contract(who, contract)
		}

		/// Offers the contract's consumer another of the supplier's tariffs (replacing an
		/// earlier offer). Nothing changes until the consumer accepts it with
		/// `accept_tariff`: a supplier cannot reprice a contract, nor empty a prepaid
		/// balance at a price of its choosing, without its consumer.
		///
		/// Origin: signed (the supplier). Emits `TariffOffered`. Errors:
		/// `UnknownContract`, `NotSupplier`, `ContractNotActive`, `UnknownTariff`,
		/// `NotTariffOwner`.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::change_tariff())]
		pub fn change_tariff(
			origin: OriginFor<T>,
			contract: ContractId,
			tariff: TariffId,
		) -> DispatchResult {
			let supplier = ensure_signed(origin)?;
			Self::do_change_tariff(supplier, contract, tariff)
		}

		/// Accepts the tariff the supplier offered: it prices the contract from its next
		/// billing period on. Written to the meter's audit trail.
		///
		/// Origin: signed (the consumer). Emits `TariffChanged`. Errors:
		/// `UnknownContract`, `NotConsumer`, `ContractNotActive`, `NoTariffOffered`,
		/// `UnknownTariff`.
		#[pallet::call_index(14)]
		#[pallet::weight(T::WeightInfo::accept_tariff())]
		pub fn accept_tariff(origin: OriginFor<T>, contract: ContractId) -> DispatchResult {
			let consumer = ensure_signed(origin)?;
			Self::do_accept_tariff(consumer, contract)
		}

		/// Closes a contract's billing period that is over, into an invoice (for when
		/// `on_idle` has not reached it yet).
		///
		/// Origin: signed (anyone). Emits `InvoiceIssued`. Errors: `UnknownContract`,
		/// `ContractNotActive`, `PeriodNotOver`.
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::close_period(T::MaxBands::get()))]
		pub fn close_period(origin: OriginFor<T>, contract: ContractId) -> DispatchResult {
			ensure_signed(origin)?;
			let record = Contracts::<T>::get(contract).ok_or(Error::<T>::UnknownContract)?;
			ensure!(record.status == ContractStatus::Active, Error::<T>::ContractNotActive);
			ensure!(Self::close_if_due(contract, Self::now()), Error::<T>::PeriodNotOver);
			Ok(())
		}

		/// Pays what is left of an invoice, from the caller's balance to the supplier.
		/// Anyone may pay a consumer's invoice.
		///
		/// Origin: signed. Emits `InvoicePaid`. Errors: `UnknownInvoice`, `AlreadyPaid`,
		/// `UnderDispute`, or the currency's if the caller cannot afford it.
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::pay_invoice())]
		pub fn pay_invoice(origin: OriginFor<T>, invoice: InvoiceId) -> DispatchResult {
			let payer = ensure_signed(origin)?;
			Self::do_pay_invoice(payer, invoice)
		}

		/// Holds `amount` more of the caller's balance as its prepaid balance, from which
		/// its prepaid contracts' invoices are settled.
		///
		/// Origin: signed (a consumer). Emits `PrepaidToppedUp`. Errors: `ZeroAmount`,
		/// `Overflow`, or the currency's if the caller cannot afford it.
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::top_up_prepaid())]
		pub fn top_up_prepaid(origin: OriginFor<T>, amount: u128) -> DispatchResult {
			let consumer = ensure_signed(origin)?;
			Self::do_top_up_prepaid(consumer, amount)
		}

		/// Releases `amount` of the caller's prepaid balance.
		///
		/// Origin: signed (a consumer). Emits `PrepaidWithdrawn`. Errors: `ZeroAmount`,
		/// `InsufficientPrepaidBalance`.
		#[pallet::call_index(8)]
		#[pallet::weight(T::WeightInfo::withdraw_prepaid())]
		pub fn withdraw_prepaid(origin: OriginFor<T>, amount: u128) -> DispatchResult {
			let consumer = ensure_signed(origin)?;
			Self::do_withdraw_prepaid(consumer, amount)
		}

		/// Disputes an invoice, within `DisputeWindow` of its issue, with a reason. Its
		/// payment waits for a notified body's resolution. Written to the meter's audit
		/// trail.
		///
		/// [`Config::DisputeDeposit`] is held from the consumer until the dispute is
		/// resolved or lapses.
		///
		/// Origin: signed (the invoice's consumer). Emits `InvoiceDisputed`. Errors:
		/// `UnknownInvoice`, `NotConsumer`, `DisputeWindowClosed`, `AlreadyDisputed`,
		/// `ReasonTooLong`, or the currency's error if the deposit cannot be held.
		#[pallet::call_index(9)]
		#[pallet::weight(T::WeightInfo::dispute_invoice())]
		pub fn dispute_invoice(
			origin: OriginFor<T>,
			invoice: InvoiceId,
			reason: Vec<u8>,
		) -> DispatchResult {
			let consumer = ensure_signed(origin)?;
			Self::do_dispute_invoice(consumer, invoice, reason)
		}

		/// Resolves a dispute: the invoice is upheld (the consumer's dispute deposit goes
		/// to the supplier), or corrected by a credit note of `credit` (the deposit goes
		/// back); what was paid beyond the corrected amount is refunded by the supplier to
		/// the consumer. Written to the meter's audit trail.
		///
		/// Origin: the notified body that verified the invoice's meter. Emits
		/// `DisputeResolved`. Errors: `UnknownInvoice`, `NotVerifyingBody`, `NotDisputed`,
		/// `BadCredit`, `RefundFailed`.
		#[pallet::call_index(10)]
		#[pallet::weight(T::WeightInfo::resolve_dispute())]
		pub fn resolve_dispute(
			origin: OriginFor<T>,
			invoice: InvoiceId,
			resolution: Resolution,
		) -> DispatchResult {
			let body = T::DisputeResolverOrigin::ensure_origin(origin)?;
			Self::do_resolve_dispute(body, invoice, resolution)
		}

		/// Lets a dispute no notified body resolved within [`Config::DisputeDeadline`]
		/// lapse: the invoice is payable again (and settled from a prepaid balance at the
		/// next close), the consumer's deposit is returned. Written to the meter's audit
		/// trail.
		///
		/// Origin: signed (anyone). Emits `DisputeLapsed`. Errors: `UnknownInvoice`,
		/// `NotDisputed`, `DisputeDeadlineNotPassed`.
		#[pallet::call_index(15)]
		#[pallet::weight(T::WeightInfo::lapse_dispute())]
		pub fn lapse_dispute(origin: OriginFor<T>, invoice: InvoiceId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_lapse_dispute(who, invoice)
		}

		/// Licenses `supplier`: it may propose supply contracts from now on.
		///
		/// Origin: the regulator. Emits `SupplierLicensed`. Errors: `AlreadyLicensed`.
		#[pallet::call_index(11)]
		#[pallet::weight(T::WeightInfo::license_supplier())]
		pub fn license_supplier(origin: OriginFor<T>, supplier: T::AccountId) -> DispatchResult {
			T::RegulatorOrigin::ensure_origin(origin)?;
			ensure!(!LicensedSuppliers::<T>::contains_key(&supplier), Error::<T>::AlreadyLicensed);
			LicensedSuppliers::<T>::insert(&supplier, ());
			Self::deposit_event(Event::SupplierLicensed { supplier });
			Ok(())
		}

		/// Withdraws `supplier`'s licence: it proposes no new contract; its contracts run
		/// on until a party, the regulator or a notified body ends them.
		///
		/// Origin: the regulator. Emits `SupplierLicenceWithdrawn`. Errors:
		/// `NotLicensedSupplier`.
		#[pallet::call_index(12)]
		#[pallet::weight(T::WeightInfo::withdraw_supplier_licence())]
		pub fn withdraw_supplier_licence(
			origin: OriginFor<T>,
			supplier: T::AccountId,
		) -> DispatchResult {
			T::RegulatorOrigin::ensure_origin(origin)?;
			ensure!(
				LicensedSuppliers::<T>::take(&supplier).is_some(),
				Error::<T>::NotLicensedSupplier
			);
			Self::deposit_event(Event::SupplierLicenceWithdrawn { supplier });
			Ok(())
		}

		/// Ends a contract as an authority: a proposal is dropped; an active contract
		/// ends now, with its final invoice, exactly as a party's `end_contract`. For a
		/// contract no supply point authorised, or one a party cannot or will not end.
		/// Written to the meter's audit trail.
		///
		/// Origin: the regulator or a notified body. Emits `ContractTerminated`, and
		/// `InvoiceIssued` for an active contract. Errors: `UnknownContract`,
		/// `ContractNotActive`.
		#[pallet::call_index(13)]
		#[pallet::weight(T::WeightInfo::terminate_contract(T::MaxBands::get()))]
		pub fn terminate_contract(origin: OriginFor<T>, contract: ContractId) -> DispatchResult {
			let by = match T::RegulatorOrigin::try_origin(origin) {
				Ok(_) => Actor::Regulator,
				Err(origin) => Actor::Account(T::DisputeResolverOrigin::ensure_origin(origin)?),
			};
			Self::do_terminate_contract(by, contract)
		}
	}
}
