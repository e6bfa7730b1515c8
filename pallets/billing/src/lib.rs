//! # Billing: tariffs, supply contracts, invoices, settlement and disputes
//!
//! ## Overview
//!
//! A **supplier** prices consumption with **tariffs**: a price per register unit in each
//! **time-of-use band** of the local day, and a **standing charge** per billing period.
//! It offers a **supply contract** for a meter to a **consumer** — prepaid or postpaid,
//! with the supply point's UTC offset — which the consumer accepts. From then on every
//! measurement of the meter is added to the contract's **open period**, in the band of the
//! local time at which its interval starts. Exposed in the runtime as `Billing`.
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
//! reason; a notified body resolves it: **upheld**, or **corrected** with a credit note
//! (what was paid beyond the corrected amount is refunded by the supplier). Both steps
//! are events and entries in the meter's audit trail, as are contract starts, ends and
//! tariff changes.
//!
//! ## Interface
//!
//! - signed (a supplier): [`Pallet::create_tariff`], [`Pallet::propose_contract`],
//!   [`Pallet::change_tariff`], [`Pallet::end_contract`];
//! - signed (a consumer): [`Pallet::accept_contract`], [`Pallet::end_contract`],
//!   [`Pallet::top_up_prepaid`], [`Pallet::withdraw_prepaid`], [`Pallet::dispute_invoice`];
//! - signed (anyone): [`Pallet::pay_invoice`], [`Pallet::close_period`];
//! - notified body: [`Pallet::resolve_dispute`].
//!
//! ## Invariants (`try_state`)
//!
//! Each invoice's amount is its priced consumption plus its standing charge, and its
//! consumption is its register difference and the sum of its band quantities (recomputed
//! from the measurements themselves while they are retained); paid + outstanding =
//! invoiced (amount − credit notes) for every invoice, and each consumer's outstanding
//! total is the sum over its invoices; a meter's invoices cover disjoint, increasing
//! ranges of its measurements (no measurement is billed twice).

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod types;
pub mod weights;

pub use mensura_primitives::billing::{ContractId, InvoiceId, TariffId};
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
			fungible::{InspectHold, Mutate, MutateHold},
			tokens::{Fortitude, Precision, Preservation, Restriction},
			UnixTime,
		},
	};
	use frame_system::pallet_prelude::*;
	use mensura_primitives::{
		billing::{
			band_charge, band_of, check_bands, last_boundary, next_boundary, standing_charge,
			BandError, MeasurementLog, OnMeasured, PaymentMode, StoredMeasurement, SupplyContracts,
			TariffBand, MAX_UTC_OFFSET, MIN_UTC_OFFSET,
		},
		metering::{
			Actor, AuditChange, AuditSubject, AuditTrail, MeterId, MeterRegistry, MeterStatus,
		},
		readings::UnixMillis,
	};

	const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

	/// A tariff as stored.
	pub type TariffOf<T> = Tariff<
		<T as frame_system::Config>::AccountId,
		<T as Config>::MaxBands,
		<T as Config>::MaxNameLen,
	>;
	/// A supply contract as stored.
	pub type ContractOf<T> =
		Contract<<T as frame_system::Config>::AccountId, <T as Config>::MaxBands>;
	/// An invoice as stored.
	pub type InvoiceOf<T> =
		Invoice<<T as frame_system::Config>::AccountId, <T as Config>::MaxBands>;
	/// An invoice as clients see it.
	pub type InvoiceViewOf<T> =
		InvoiceView<<T as frame_system::Config>::AccountId, <T as Config>::MaxBands>;
	/// A dispute as stored.
	pub type DisputeOf<T> =
		Dispute<<T as frame_system::Config>::AccountId, <T as Config>::MaxReasonLen>;
	/// A contract of the genesis block: meter, supplier, consumer, tariff (index into the
	/// genesis tariffs), payment mode, UTC offset in minutes.
	pub type GenesisContract<AccountId> =
		(MeterId, AccountId, AccountId, TariffId, PaymentMode, i16);
	/// A tariff of the genesis block: supplier, name, bands, standing charge.
	pub type GenesisTariff<AccountId> = (AccountId, Vec<u8>, Vec<TariffBand<u128>>, u128);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// Default values for the configuration a test runtime rarely changes.
	pub mod config_preludes {
		use super::*;
		use frame_support::{derive_impl, traits::ConstU64};

		/// For mock runtimes: 8 bands, a 1-day payment term and dispute window, 16
		/// contract visits per block, weights of `()`.
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

		/// The stored measurements and registers.
		#[pallet::no_default]
		type Readings: MeasurementLog;

		/// The meters' audit trails.
		#[pallet::no_default]
		type Audit: AuditTrail<Self::AccountId>;

		/// Who resolves disputes: a notified body.
		#[pallet::no_default]
		type DisputeResolverOrigin: EnsureOrigin<Self::RuntimeOrigin, Success = Self::AccountId>;

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

	/// The id the next contract gets.
	#[pallet::storage]
	pub type NextContractId<T: Config> = StorageValue<_, ContractId, ValueQuery>;

	/// Supply contracts, by id.
	#[pallet::storage]
	pub type Contracts<T: Config> =
		StorageMap<_, Twox64Concat, ContractId, ContractOf<T>, OptionQuery>;

	/// The active contract of each meter (at most one).
	#[pallet::storage]
	pub type ActiveContract<T: Config> =
		StorageMap<_, Twox64Concat, MeterId, ContractId, OptionQuery>;

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

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// The billing period in milliseconds; 0 keeps the default (30 days).
		pub billing_period: u64,
		/// Tariffs, given ids from 0 in order.
		pub tariffs: Vec<GenesisTariff<T::AccountId>>,
		/// Contracts, active from the chain's first block; the meters must be active
		/// (`Meters` builds first).
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
		/// A party ended the contract (a proposal withdrawn or refused, or an active
		/// contract ended with its final invoice).
		ContractEnded { contract: ContractId, by: T::AccountId },
		/// The supplier moved the contract to `tariff` from `from` (its next period).
		TariffChanged { contract: ContractId, tariff: TariffId, from: UnixMillis },
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
	}

	#[pallet::error]
	pub enum Error<T> {
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
		/// Origin: signed (the supplier). Emits `ContractProposed`. Errors:
		/// `UnknownTariff`, `NotTariffOwner`, `UnknownMeter`, `MeterNotActive`,
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
			let mut record = Contracts::<T>::get(contract).ok_or(Error::<T>::UnknownContract)?;
			ensure!(who == record.supplier || who == record.consumer, Error::<T>::NotParty);
			match record.status {
				ContractStatus::Ended => return Err(Error::<T>::ContractNotActive.into()),
				ContractStatus::Proposed => {}
				ContractStatus::Active => {
					let now = Self::now();
					ensure!(now > 0, Error::<T>::NoTime);
					Self::activate_genesis_contract(&mut record, now);
					let to = now.max(record.period.start);
					Self::close(contract, &mut record, to, true);
					ActiveContract::<T>::remove(record.meter);
					T::Audit::record(
						AuditSubject::Meter(record.meter),
						Actor::Account(who.clone()),
						AuditChange::SupplyContractEnded { contract, at: now },
					);
				}
			}
			record.status = ContractStatus::Ended;
			Contracts::<T>::insert(contract, record);
			Self::deposit_event(Event::ContractEnded { contract, by: who });
			Ok(())
		}

		/// Moves a contract to another of the supplier's tariffs from its next billing
		/// period on. Written to the meter's audit trail.
		///
		/// Origin: signed (the supplier). Emits `TariffChanged`. Errors:
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
			let mut record = Contracts::<T>::get(contract).ok_or(Error::<T>::UnknownContract)?;
			ensure!(record.supplier == supplier, Error::<T>::NotSupplier);
			ensure!(record.status == ContractStatus::Active, Error::<T>::ContractNotActive);
			let owner = Tariffs::<T>::get(tariff).ok_or(Error::<T>::UnknownTariff)?.supplier;
			ensure!(owner == supplier, Error::<T>::NotTariffOwner);
			let now = Self::now();
			Self::activate_genesis_contract(&mut record, now);
			let from = next_boundary(record.period.start, BillingPeriod::<T>::get());
			record.next_tariff = Some(tariff);
			Contracts::<T>::insert(contract, &record);
			T::Audit::record(
				AuditSubject::Meter(record.meter),
				Actor::Account(supplier),
				AuditChange::TariffChanged { contract, tariff, from },
			);
			Self::deposit_event(Event::TariffChanged { contract, tariff, from });
			Ok(())
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
			let mut record = Invoices::<T>::get(invoice).ok_or(Error::<T>::UnknownInvoice)?;
			ensure!(record.status != InvoiceStatus::Disputed, Error::<T>::UnderDispute);
			let amount = record.outstanding();
			ensure!(record.status == InvoiceStatus::Open && amount > 0, Error::<T>::AlreadyPaid);
			T::Currency::transfer(&payer, &record.supplier, amount, Preservation::Preserve)?;
			record.paid = record.paid.saturating_add(amount);
			record.status = InvoiceStatus::Paid;
			Outstanding::<T>::mutate(&record.consumer, |o| *o = o.saturating_sub(amount));
			Invoices::<T>::insert(invoice, record);
			Self::deposit_event(Event::InvoicePaid { invoice, payer, amount, outstanding: 0 });
			Ok(())
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
			ensure!(amount > 0, Error::<T>::ZeroAmount);
			Self::prepaid_of(&consumer).checked_add(amount).ok_or(Error::<T>::Overflow)?;
			T::Currency::hold(&HoldReason::PrepaidBalance.into(), &consumer, amount)?;
			let balance = Self::prepaid_of(&consumer);
			Self::deposit_event(Event::PrepaidToppedUp { consumer, amount, balance });
			Ok(())
		}

		/// Releases `amount` of the caller's prepaid balance.
		///
		/// Origin: signed (a consumer). Emits `PrepaidWithdrawn`. Errors: `ZeroAmount`,
		/// `InsufficientPrepaidBalance`.
		#[pallet::call_index(8)]
		#[pallet::weight(T::WeightInfo::withdraw_prepaid())]
		pub fn withdraw_prepaid(origin: OriginFor<T>, amount: u128) -> DispatchResult {
			let consumer = ensure_signed(origin)?;
			ensure!(amount > 0, Error::<T>::ZeroAmount);
			ensure!(Self::prepaid_of(&consumer) >= amount, Error::<T>::InsufficientPrepaidBalance);
			T::Currency::release(
				&HoldReason::PrepaidBalance.into(),
				&consumer,
				amount,
				Precision::Exact,
			)?;
			let balance = Self::prepaid_of(&consumer);
			Self::deposit_event(Event::PrepaidWithdrawn { consumer, amount, balance });
			Ok(())
		}

		/// Disputes an invoice, within `DisputeWindow` of its issue, with a reason. Its
		/// payment waits for a notified body's resolution. Written to the meter's audit
		/// trail.
		///
		/// Origin: signed (the invoice's consumer). Emits `InvoiceDisputed`. Errors:
		/// `UnknownInvoice`, `NotConsumer`, `DisputeWindowClosed`, `AlreadyDisputed`,
		/// `ReasonTooLong`.
		#[pallet::call_index(9)]
		#[pallet::weight(T::WeightInfo::dispute_invoice())]
		pub fn dispute_invoice(
			origin: OriginFor<T>,
			invoice: InvoiceId,
			reason: Vec<u8>,
		) -> DispatchResult {
			let consumer = ensure_signed(origin)?;
			let mut record = Invoices::<T>::get(invoice).ok_or(Error::<T>::UnknownInvoice)?;
			ensure!(record.consumer == consumer, Error::<T>::NotConsumer);
			let now = Self::now();
			ensure!(
				now <= record.issued.saturating_add(T::DisputeWindow::get()),
				Error::<T>::DisputeWindowClosed
			);
			ensure!(!Disputes::<T>::contains_key(invoice), Error::<T>::AlreadyDisputed);
			let reason: BoundedVec<u8, T::MaxReasonLen> =
				reason.try_into().map_err(|_| Error::<T>::ReasonTooLong)?;
			record.status = InvoiceStatus::Disputed;
			Disputes::<T>::insert(invoice, Dispute { reason, raised: now, resolution: None });
			T::Audit::record(
				AuditSubject::Meter(record.meter),
				Actor::Account(consumer.clone()),
				AuditChange::InvoiceDisputed { invoice },
			);
			Invoices::<T>::insert(invoice, record);
			Self::deposit_event(Event::InvoiceDisputed { invoice, consumer });
			Ok(())
		}

		/// Resolves a dispute: the invoice is upheld, or corrected by a credit note of
		/// `credit`; what was paid beyond the corrected amount is refunded by the supplier
		/// to the consumer. Written to the meter's audit trail.
		///
		/// Origin: a notified body. Emits `DisputeResolved`. Errors: `UnknownInvoice`,
		/// `NotDisputed`, `BadCredit`, `RefundFailed`.
		#[pallet::call_index(10)]
		#[pallet::weight(T::WeightInfo::resolve_dispute())]
		pub fn resolve_dispute(
			origin: OriginFor<T>,
			invoice: InvoiceId,
			resolution: Resolution,
		) -> DispatchResult {
			let body = T::DisputeResolverOrigin::ensure_origin(origin)?;
			let mut record = Invoices::<T>::get(invoice).ok_or(Error::<T>::UnknownInvoice)?;
			let mut dispute = Disputes::<T>::get(invoice).ok_or(Error::<T>::NotDisputed)?;
			ensure!(
				record.status == InvoiceStatus::Disputed && dispute.resolution.is_none(),
				Error::<T>::NotDisputed
			);
			let outstanding_before = record.outstanding();
			let (credit, refund) = match resolution {
				Resolution::Upheld => (0, 0),
				Resolution::Corrected { credit } => {
					let invoiced = record.amount.saturating_sub(record.credited);
					ensure!(credit > 0 && credit <= invoiced, Error::<T>::BadCredit);
					let corrected = invoiced.saturating_sub(credit);
					let refund = record.paid.saturating_sub(corrected);
					if refund > 0 {
						T::Currency::transfer(
							&record.supplier,
							&record.consumer,
							refund,
							Preservation::Expendable,
						)
						.map_err(|_| Error::<T>::RefundFailed)?;
					}
					(credit, refund)
				}
			};
			record.credited = record.credited.saturating_add(credit);
			record.paid = record.paid.saturating_sub(refund);
			let outstanding = record.outstanding();
			Outstanding::<T>::mutate(&record.consumer, |o| {
				*o = o.saturating_sub(outstanding_before).saturating_add(outstanding)
			});
			record.status =
				if outstanding == 0 { InvoiceStatus::Paid } else { InvoiceStatus::Open };
			dispute.resolution = Some((resolution, body.clone()));
			T::Audit::record(
				AuditSubject::Meter(record.meter),
				Actor::Account(body.clone()),
				AuditChange::DisputeResolved { invoice, credit },
			);
			Invoices::<T>::insert(invoice, record);
			Disputes::<T>::insert(invoice, dispute);
			Self::deposit_event(Event::DisputeResolved { invoice, body, credit, refund });
			Ok(())
		}
	}

	impl<T: Config> Pallet<T> {
		/// The chain's time in Unix milliseconds (0 before the first block).
		pub fn now() -> UnixMillis {
			T::Time::now().as_millis().min(u64::MAX.into()) as u64
		}

		/// A consumer's prepaid balance (held).
		pub fn prepaid_of(consumer: &T::AccountId) -> u128 {
			T::Currency::balance_on_hold(&HoldReason::PrepaidBalance.into(), consumer)
		}

		pub(crate) fn do_create_tariff(
			supplier: T::AccountId,
			name: Vec<u8>,
			bands: Vec<TariffBand<u128>>,
			standing_charge: u128,
		) -> Result<TariffId, DispatchError> {
			check_bands(&bands).map_err(Error::<T>::from)?;
			let bands: BoundedVec<_, T::MaxBands> =
				bands.try_into().map_err(|_| Error::<T>::TooManyBands)?;
			let name: BoundedVec<_, T::MaxNameLen> =
				name.try_into().map_err(|_| Error::<T>::NameTooLong)?;
			let tariff = NextTariffId::<T>::get();
			NextTariffId::<T>::put(tariff.checked_add(1).ok_or(Error::<T>::Overflow)?);
			Tariffs::<T>::insert(
				tariff,
				Tariff { supplier: supplier.clone(), name, bands, standing_charge },
			);
			Self::deposit_event(Event::TariffCreated { tariff, supplier });
			Ok(tariff)
		}

		pub(crate) fn do_propose(
			supplier: T::AccountId,
			meter: MeterId,
			consumer: T::AccountId,
			tariff: TariffId,
			payment: PaymentMode,
			utc_offset: i16,
		) -> Result<ContractId, DispatchError> {
			ensure!(supplier != consumer, Error::<T>::SupplierIsConsumer);
			let record = Tariffs::<T>::get(tariff).ok_or(Error::<T>::UnknownTariff)?;
			ensure!(record.supplier == supplier, Error::<T>::NotTariffOwner);
			let status = T::Meters::status(meter).ok_or(Error::<T>::UnknownMeter)?;
			ensure!(status == MeterStatus::Active, Error::<T>::MeterNotActive);
			ensure!(!ActiveContract::<T>::contains_key(meter), Error::<T>::MeterUnderContract);
			ensure!(
				(MIN_UTC_OFFSET..=MAX_UTC_OFFSET).contains(&utc_offset),
				Error::<T>::BadUtcOffset
			);
			let contract = NextContractId::<T>::get();
			NextContractId::<T>::put(contract.checked_add(1).ok_or(Error::<T>::Overflow)?);
			Contracts::<T>::insert(
				contract,
				Contract {
					meter,
					supplier: supplier.clone(),
					consumer: consumer.clone(),
					tariff,
					next_tariff: None,
					payment,
					utc_offset,
					status: ContractStatus::Proposed,
					period: OpenPeriod::new(0, 0, record.bands.len()),
				},
			);
			ContractsOf::<T>::insert(&supplier, contract, ());
			ContractsOf::<T>::insert(&consumer, contract, ());
			Self::deposit_event(Event::ContractProposed { contract, meter, supplier, consumer });
			Ok(contract)
		}

		/// Makes a proposed contract active from `start` (0: from the first block).
		pub(crate) fn do_accept(
			consumer: T::AccountId,
			contract: ContractId,
			start: UnixMillis,
		) -> DispatchResult {
			let mut record = Contracts::<T>::get(contract).ok_or(Error::<T>::UnknownContract)?;
			ensure!(record.consumer == consumer, Error::<T>::NotConsumer);
			ensure!(record.status == ContractStatus::Proposed, Error::<T>::NotProposed);
			ensure!(
				T::Meters::status(record.meter) == Some(MeterStatus::Active),
				Error::<T>::MeterNotActive
			);
			ensure!(
				!ActiveContract::<T>::contains_key(record.meter),
				Error::<T>::MeterUnderContract
			);
			let bands = Tariffs::<T>::get(record.tariff).map_or(0, |t| t.bands.len());
			record.status = ContractStatus::Active;
			record.period = OpenPeriod::new(start, T::Readings::register(record.meter), bands);
			ActiveContract::<T>::insert(record.meter, contract);
			T::Audit::record(
				AuditSubject::Meter(record.meter),
				Actor::Account(consumer),
				AuditChange::SupplyContractStarted {
					contract,
					tariff: record.tariff,
					payment: record.payment,
				},
			);
			Self::deposit_event(Event::ContractStarted { contract, meter: record.meter, start });
			Contracts::<T>::insert(contract, record);
			Ok(())
		}

		/// A contract of the genesis block begins with the first time it is touched.
		fn activate_genesis_contract(record: &mut ContractOf<T>, now: UnixMillis) {
			if record.status == ContractStatus::Active && record.period.start == 0 && now > 0 {
				record.period.start = now;
			}
		}

		/// The end of a contract's open period.
		pub fn period_end(record: &ContractOf<T>) -> UnixMillis {
			next_boundary(record.period.start, BillingPeriod::<T>::get())
		}

		/// Closes `contract`'s period if it is over at `now`; true if it closed one.
		pub(crate) fn close_if_due(contract: ContractId, now: UnixMillis) -> bool {
			let Some(mut record) = Contracts::<T>::get(contract) else { return false };
			if record.status != ContractStatus::Active || now == 0 {
				return false;
			}
			if record.period.start == 0 {
				Self::activate_genesis_contract(&mut record, now);
				Contracts::<T>::insert(contract, record);
				return false;
			}
			if Self::period_end(&record) > now {
				return false;
			}
			Self::close(
				contract,
				&mut record,
				last_boundary(now, BillingPeriod::<T>::get()),
				false,
			);
			Contracts::<T>::insert(contract, record);
			true
		}

		/// Prices the open period of `record` up to `to` into an invoice, settles it from
		/// the prepaid balance of a prepaid contract, and opens the next period at `to`
		/// (with the next tariff, if the supplier changed it). The caller stores `record`.
		pub(crate) fn close(
			contract: ContractId,
			record: &mut ContractOf<T>,
			to: UnixMillis,
			closing: bool,
		) -> InvoiceId {
			let period = BillingPeriod::<T>::get();
			let tariff = Tariffs::<T>::get(record.tariff);
			let (energy, standing) = match &tariff {
				Some(tariff) => {
					Self::price(tariff, &record.period.quantities, record.period.start, to, period)
				}
				None => {
					frame_support::defensive!("a contract's tariff is gone");
					(0, 0)
				}
			};
			let amount = energy.saturating_add(standing);
			let now = Self::now();
			let due = match record.payment {
				PaymentMode::Postpaid => now.saturating_add(T::PaymentTerm::get()),
				PaymentMode::Prepaid => now,
			};
			let open = core::mem::replace(&mut record.period, OpenPeriod::new(to, 0, 0));
			let register_to = open.register_start.saturating_add(open.consumption());
			let invoice_id = NextInvoiceId::<T>::get();
			NextInvoiceId::<T>::put(invoice_id.saturating_add(1));
			let mut invoice = Invoice {
				contract,
				meter: record.meter,
				supplier: record.supplier.clone(),
				consumer: record.consumer.clone(),
				tariff: record.tariff,
				from: open.start,
				to,
				register_from: open.register_start,
				register_to,
				quantities: open.quantities,
				measurements: open.measurements,
				first: open.first,
				last: open.last,
				energy,
				standing,
				amount,
				credited: 0,
				paid: 0,
				issued: now,
				due,
				status: if amount == 0 { InvoiceStatus::Paid } else { InvoiceStatus::Open },
				closing,
			};
			if let Some(last) = open.last {
				LastBilled::<T>::insert(record.meter, last);
			}
			Outstanding::<T>::mutate(&record.consumer, |o| *o = o.saturating_add(amount));
			ContractInvoices::<T>::insert(contract, invoice_id, ());
			ConsumerInvoices::<T>::insert(&record.consumer, invoice_id, ());
			Self::deposit_event(Event::InvoiceIssued {
				invoice: invoice_id,
				contract,
				consumer: record.consumer.clone(),
				amount,
				from: open.start,
				to,
				due,
			});
			if record.payment == PaymentMode::Prepaid && amount > 0 {
				Self::settle_prepaid(invoice_id, &mut invoice, contract);
			}
			Invoices::<T>::insert(invoice_id, invoice);

			// The next period, priced by the next tariff if there is one.
			if let Some(next) = record.next_tariff.take() {
				record.tariff = next;
			}
			let bands = Tariffs::<T>::get(record.tariff).map_or(0, |t| t.bands.len());
			record.period = OpenPeriod::new(to, register_to, bands);
			invoice_id
		}

		/// The priced consumption and the prorated standing charge of a period
		/// `[from, to)` with `quantities` per band.
		pub fn price(
			tariff: &TariffOf<T>,
			quantities: &[u128],
			from: UnixMillis,
			to: UnixMillis,
			period: u64,
		) -> (u128, u128) {
			let energy = tariff
				.bands
				.iter()
				.zip(quantities)
				.map(|(band, q)| band_charge(*q, band.price).unwrap_or(u128::MAX))
				.fold(0u128, |sum, c| sum.saturating_add(c));
			let standing = standing_charge(tariff.standing_charge, to.saturating_sub(from), period)
				.unwrap_or(u128::MAX);
			(energy, standing)
		}

		/// Settles a prepaid invoice from the consumer's prepaid balance, as far as it
		/// goes; tells the consumer when the balance is short or below this invoice's
		/// amount (the next one is likely alike).
		fn settle_prepaid(id: InvoiceId, invoice: &mut InvoiceOf<T>, contract: ContractId) {
			let amount = invoice.outstanding();
			let take = amount.min(Self::prepaid_of(&invoice.consumer));
			if take > 0
				&& T::Currency::transfer_on_hold(
					&HoldReason::PrepaidBalance.into(),
					&invoice.consumer,
					&invoice.supplier,
					take,
					Precision::Exact,
					Restriction::Free,
					Fortitude::Polite,
				)
				.is_ok()
			{
				invoice.paid = invoice.paid.saturating_add(take);
				Outstanding::<T>::mutate(&invoice.consumer, |o| *o = o.saturating_sub(take));
				if invoice.outstanding() == 0 {
					invoice.status = InvoiceStatus::Paid;
				}
				Self::deposit_event(Event::InvoicePaid {
					invoice: id,
					payer: invoice.consumer.clone(),
					amount: take,
					outstanding: invoice.outstanding(),
				});
			}
			let balance = Self::prepaid_of(&invoice.consumer);
			if invoice.outstanding() > 0 || balance < invoice.amount {
				Self::deposit_event(Event::PrepaidBalanceLow {
					contract,
					consumer: invoice.consumer.clone(),
					balance,
				});
			}
		}

		/// The invoice with what is left to pay and whether it is overdue now.
		pub fn invoice_view(id: InvoiceId) -> Option<InvoiceViewOf<T>> {
			let invoice = Invoices::<T>::get(id)?;
			let outstanding = invoice.outstanding();
			let overdue = outstanding > 0 && Self::now() > invoice.due;
			Some(InvoiceView { invoice, outstanding, overdue })
		}

		/// Up to `limit` invoices from `ids`, from id `from` on, in id order.
		pub fn page_of_invoices(
			ids: impl Iterator<Item = InvoiceId>,
			from: InvoiceId,
			limit: u32,
		) -> Vec<(InvoiceId, InvoiceViewOf<T>)> {
			let mut ids: Vec<InvoiceId> = ids.filter(|id| *id >= from).collect();
			ids.sort_unstable();
			ids.into_iter()
				.take(limit as usize)
				.filter_map(|id| Self::invoice_view(id).map(|v| (id, v)))
				.collect()
		}

		/// Checks the pallet's invariants (see the module documentation).
		#[cfg(any(feature = "try-runtime", feature = "std", test))]
		pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
			use alloc::collections::btree_map::BTreeMap;
			let period = BillingPeriod::<T>::get();
			let mut outstanding: BTreeMap<T::AccountId, u128> = BTreeMap::new();
			let mut invoices: Vec<(InvoiceId, InvoiceOf<T>)> = Invoices::<T>::iter().collect();
			invoices.sort_by_key(|(id, _)| *id);
			let mut last_of_meter: BTreeMap<MeterId, u64> = BTreeMap::new();
			for (id, invoice) in &invoices {
				let tariff =
					Tariffs::<T>::get(invoice.tariff).ok_or("an invoice's tariff is gone")?;
				let (energy, standing) =
					Self::price(&tariff, &invoice.quantities, invoice.from, invoice.to, period);
				ensure!(
					invoice.energy == energy,
					"an invoice's energy is not its priced consumption"
				);
				ensure!(invoice.standing == standing, "an invoice's standing charge is wrong");
				ensure!(
					invoice.amount == energy.saturating_add(standing),
					"an invoice's amount is not energy plus standing charge"
				);
				let sum = invoice.quantities.iter().fold(0u128, |s, q| s.saturating_add(*q));
				ensure!(
					sum == invoice.consumption(),
					"an invoice's bands differ from its register difference"
				);
				ensure!(
					invoice.paid <= invoice.amount.saturating_sub(invoice.credited),
					"an invoice is paid beyond what is invoiced"
				);
				ensure!(
					invoice.paid.saturating_add(invoice.outstanding())
						== invoice.amount.saturating_sub(invoice.credited),
					"paid + outstanding differs from invoiced"
				);
				ensure!(
					(invoice.status == InvoiceStatus::Paid) == (invoice.outstanding() == 0)
						|| invoice.status == InvoiceStatus::Disputed,
					"an invoice's status disagrees with what is left to pay"
				);
				ensure!(
					ContractInvoices::<T>::contains_key(invoice.contract, id)
						&& ConsumerInvoices::<T>::contains_key(&invoice.consumer, id),
					"an invoice is missing from its indexes"
				);
				*outstanding.entry(invoice.consumer.clone()).or_default() += invoice.outstanding();
				// No measurement billed twice: a meter's invoices cover increasing ranges.
				if let (Some(first), Some(last)) = (invoice.first, invoice.last) {
					ensure!(first <= last, "an invoice's measurements run backwards");
					if let Some(previous) = last_of_meter.get(&invoice.meter) {
						ensure!(first > *previous, "a measurement is billed twice");
					}
					last_of_meter.insert(invoice.meter, last);
					// Recompute the bands from the measurements, while they are retained.
					let contract = Contracts::<T>::get(invoice.contract)
						.ok_or("an invoice's contract is gone")?;
					let retained: Option<Vec<_>> = (first..=last)
						.map(|i| T::Readings::measurement(invoice.meter, i))
						.collect();
					if let Some(measurements) = retained {
						let mut bands = alloc::vec![0u128; tariff.bands.len()];
						for (start, _end, quantity) in measurements {
							let band = band_of(&tariff.bands, start, contract.utc_offset);
							bands[band] = bands[band].saturating_add(quantity);
						}
						ensure!(
							bands.as_slice() == invoice.quantities.as_slice(),
							"an invoice's bands differ from its measurements"
						);
					}
				} else {
					ensure!(invoice.measurements == 0 && sum == 0, "measurements without indexes");
				}
			}
			for (meter, last) in &last_of_meter {
				ensure!(
					LastBilled::<T>::get(meter) == Some(*last),
					"LastBilled is not the last billed"
				);
			}
			for (consumer, owed) in Outstanding::<T>::iter() {
				ensure!(
					outstanding.get(&consumer).copied().unwrap_or(0) == owed,
					"a consumer's outstanding total differs from its invoices"
				);
			}
			for (consumer, owed) in &outstanding {
				ensure!(
					Outstanding::<T>::get(consumer) == *owed,
					"an outstanding total is missing"
				);
			}
			for (meter, contract) in ActiveContract::<T>::iter() {
				let record = Contracts::<T>::get(contract).ok_or("an active contract is gone")?;
				ensure!(
					record.meter == meter && record.status == ContractStatus::Active,
					"ActiveContract points at a contract that is not the meter's active one"
				);
				// The open period continues where the last invoice ended.
				if let (Some(first), Some(billed)) =
					(record.period.first, LastBilled::<T>::get(meter))
				{
					ensure!(first > billed, "an open period holds a billed measurement");
				}
			}
			Ok(())
		}
	}

	impl<T: Config> OnMeasured for Pallet<T> {
		/// Adds `m` to its meter's contract's open period, in the band of its start's
		/// local time; closes the period first if `m` starts at or after its end.
		fn on_measured(m: &StoredMeasurement) -> Weight {
			let Some(contract) = ActiveContract::<T>::get(m.meter) else {
				return T::WeightInfo::add_measurement();
			};
			let Some(mut record) = Contracts::<T>::get(contract) else {
				return T::WeightInfo::add_measurement();
			};
			Self::activate_genesis_contract(&mut record, m.start.max(1));
			let period = BillingPeriod::<T>::get();
			if m.start >= Self::period_end(&record) {
				Self::close(contract, &mut record, last_boundary(m.start, period), false);
				// Rare (on_idle closes periods as their boundary passes): the work beyond
				// adding the measurement is accounted to the block, not declared by every
				// frame. At most one close per contract per period.
				let extra = T::WeightInfo::add_measurement_closing(T::MaxBands::get())
					.saturating_sub(T::WeightInfo::add_measurement());
				frame_system::Pallet::<T>::register_extra_weight_unchecked(
					extra,
					DispatchClass::Mandatory,
				);
			}
			if let Some(tariff) = Tariffs::<T>::get(record.tariff) {
				let band = band_of(&tariff.bands, m.start, record.utc_offset);
				if let Some(q) = record.period.quantities.get_mut(band) {
					*q = q.saturating_add(m.quantity);
				}
			}
			let open = &mut record.period;
			open.measurements = open.measurements.saturating_add(1);
			open.first.get_or_insert(m.index);
			open.last = Some(m.index);
			Contracts::<T>::insert(contract, record);
			T::WeightInfo::add_measurement()
		}

		/// Adding a measurement to its period. Closing a period on the way is accounted
		/// to the block when it happens (see [`Pallet::on_measured`]).
		fn weight() -> Weight {
			T::WeightInfo::add_measurement()
		}
	}

	impl<T: Config> SupplyContracts<T::AccountId> for Pallet<T> {
		fn supplier_of(meter: MeterId) -> Option<T::AccountId> {
			let contract = ActiveContract::<T>::get(meter)?;
			Contracts::<T>::get(contract).map(|c| c.supplier)
		}

		#[cfg(feature = "runtime-benchmarks")]
		fn benchmark_supply(meter: MeterId, supplier: T::AccountId) {
			let contract = NextContractId::<T>::get();
			NextContractId::<T>::put(contract + 1);
			let consumer: T::AccountId = frame_benchmarking::account("benchmark-consumer", 0, 0);
			Contracts::<T>::insert(
				contract,
				Contract {
					meter,
					supplier,
					consumer,
					tariff: 0,
					next_tariff: None,
					payment: PaymentMode::Postpaid,
					utc_offset: 0,
					status: ContractStatus::Active,
					period: OpenPeriod::new(1, 0, 0),
				},
			);
			ActiveContract::<T>::insert(meter, contract);
		}
	}
}
