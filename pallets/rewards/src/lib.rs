//! # Rewards: a fixed fee per measurement, paid to the measurer
//!
//! ## Overview
//!
//! Measuring is a service paid a **fixed fee whatever the measured value**: every
//! measurement the LR path stores pays [`MeasuringFee`] from the **measurement
//! deposit** its meter's supplier prepaid (held) to the measurer whose LR program
//! computed it, less an optional [`AuthorShare`] for the author of the block (the
//! peers that keep the network). Exposed in the runtime as `Rewards`.
//!
//! ## Terminology
//!
//! - **Supplier**: the supplier of the meter's active supply contract, named by billing
//!   with each measurement; it pays for the meter's measurements. A meter without a
//!   supply contract measures all the same and pays no fee (counted in [`Ledger`]).
//! - **Measurer**: the account that published the LR program ([`Config::Measurers`]).
//! - **Accrued**: rewards credited to an account and not yet claimed; they sit in the
//!   pallet's pot account until [`Pallet::claim`].
//! - **Debt**: fees a supplier owed when its deposit ran dry. The measurement is recorded
//!   all the same — money never gates a measurement — the debt is tracked per supplier
//!   and measurer, the supplier is told by [`Event::DepositExhausted`], and the next
//!   [`Pallet::top_up`] settles debts first.
//!
//! ## Interface
//!
//! - signed (a supplier): [`Pallet::top_up`], [`Pallet::withdraw`];
//! - signed (anyone with accrued rewards): [`Pallet::claim`];
//! - signed (anyone): [`Pallet::settle_debts`], for debts a top-up did not reach;
//! - regulator: [`Pallet::set_measuring_fee`].
//!
//! For every stored measurement, billing (which reads the meter's supply contract for it
//! anyway) calls [`mensura_primitives::billing::OnSupplied`], implemented by [`Pallet`],
//! with the supplier.
//!
//! ## Invariants (`try_state`)
//!
//! Fees charged = measurers' shares + authors' shares = accrued (unclaimed) + claimed;
//! the pot holds at least what is accrued; each supplier's debt is the sum of its debts
//! to measurers, and what measurers are owed is what suppliers owe.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod features;
mod impl_traits;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod types;
pub mod weights;

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
			fungible::{Inspect, Mutate, MutateHold},
			tokens::{Precision, Preservation},
		},
		PalletId,
	};
	use frame_system::pallet_prelude::*;
	use mensura_primitives::billing::{BlockAuthor, ProgramMeasurer, SupplyContracts};
	use sp_runtime::{
		traits::{CheckedAdd, Saturating, Zero},
		Perbill,
	};

	const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// Default values for the configuration a test runtime rarely changes.
	pub mod config_preludes {
		use super::*;
		use frame_support::derive_impl;

		/// For mock runtimes: the pot `msr/rwds`, 4 debts settled per call, 2 payers
		/// pending per block, a deposit floor of one fee per supplied meter, weights of
		/// `()`.
		pub struct TestDefaultConfig;

		#[derive_impl(frame_system::config_preludes::TestDefaultConfig, no_aggregated_types)]
		impl frame_system::DefaultConfig for TestDefaultConfig {}

		frame_support::parameter_types! {
			pub const TestPotId: PalletId = PalletId(*b"msr/rwds");
		}

		#[frame_support::register_default_impl(TestDefaultConfig)]
		impl DefaultConfig for TestDefaultConfig {
			type PotId = TestPotId;
			type MaxDebtSettlements = ConstU32<4>;
			type MaxPendingPayers = ConstU32<2>;
			type DepositFloorFees = ConstU32<1>;
			type WeightInfo = ();
		}
	}

	#[pallet::config(with_default)]
	pub trait Config: frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// The currency of deposits and rewards.
		#[pallet::no_default]
		type Currency: Mutate<Self::AccountId>
			+ MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;

		/// The overarching hold reason.
		#[pallet::no_default]
		type RuntimeHoldReason: From<HoldReason>;

		/// The regulator: sets the measuring fee (root in Mensura).
		#[pallet::no_default]
		type RegulatorOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// How many meters each supplier supplies (its deposit keeps a floor for them).
		#[pallet::no_default]
		type Suppliers: SupplyContracts<Self::AccountId>;

		/// Who is paid for what an LR program computes.
		#[pallet::no_default]
		type Measurers: ProgramMeasurer<Self::AccountId>;

		/// The author of the current block, for the authors' share.
		#[pallet::no_default]
		type Author: BlockAuthor<Self::AccountId>;

		/// The id of the pot account that holds accrued, unclaimed rewards.
		#[pallet::constant]
		type PotId: Get<PalletId>;

		/// How many (supplier, measurer) debts one top-up or settlement call settles.
		#[pallet::constant]
		type MaxDebtSettlements: Get<u32>;

		/// How many (supplier, measurer, fee) combinations one block sums before settling
		/// them at its end; measurements of further combinations are settled at once.
		#[pallet::constant]
		type MaxPendingPayers: Get<u32>;

		/// How many measuring fees per supplied meter a supplier's deposit must keep
		/// covering while it supplies meters: it cannot withdraw below that and leave
		/// fees as debts.
		#[pallet::constant]
		type DepositFloorFees: Get<u32>;

		/// Weights of this pallet's calls and of the per-measurement charge.
		type WeightInfo: WeightInfo;
	}

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// A supplier's prepaid measurement deposit, from which measuring fees are paid.
		MeasurementDeposit,
	}

	/// The fixed fee every measurement pays, whatever its quantity.
	#[pallet::storage]
	pub type MeasuringFee<T: Config> = StorageValue<_, BalanceOf<T>, ValueQuery>;

	/// The part of each fee that goes to the block author (none by default).
	#[pallet::storage]
	pub type AuthorShare<T: Config> = StorageValue<_, Perbill, ValueQuery>;

	/// Rewards credited and not yet claimed, by account (measurers and block authors).
	#[pallet::storage]
	pub type Accrued<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, BalanceOf<T>, ValueQuery>;

	/// What each measurer has earned.
	#[pallet::storage]
	pub type MeasurerEarnings<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, Earnings<BalanceOf<T>>, ValueQuery>;

	/// Fees a supplier owes a measurer (its deposit ran dry), by supplier and measurer.
	#[pallet::storage]
	pub type Debts<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		Blake2_128Concat,
		T::AccountId,
		BalanceOf<T>,
		ValueQuery,
	>;

	/// A supplier's total debt (the sum of its [`Debts`]).
	#[pallet::storage]
	pub type SupplierDebt<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, BalanceOf<T>, ValueQuery>;

	/// The chain-wide totals.
	#[pallet::storage]
	pub type Ledger<T: Config> = StorageValue<_, Totals<BalanceOf<T>>, ValueQuery>;

	/// This block's measurements, summed per supplier, measurer and fee; settled and
	/// removed in `on_finalize`, so it never reaches the database (and is whitelisted in
	/// benchmarks: its cost is the measured time of an in-memory update).
	#[pallet::storage]
	#[pallet::whitelist_storage]
	pub type BlockFees<T: Config> = StorageValue<
		_,
		BoundedVec<PendingFees<T::AccountId, BalanceOf<T>>, T::MaxPendingPayers>,
		ValueQuery,
	>;

	/// The fees of the measurements of the transaction being dispatched, while they are
	/// of one supplier and one program; recorded in [`BlockFees`] when one of another
	/// payer comes, and at the end of the transaction. Never outlives the transaction
	/// (whitelisted in benchmarks: its cost is the measured time of an in-memory
	/// update).
	#[pallet::storage]
	#[pallet::whitelist_storage]
	pub type PendingTransactionFees<T: Config> =
		StorageValue<_, TransactionFees<T::AccountId, BalanceOf<T>>, OptionQuery>;

	/// This block's measurements of meters without a supply contract; added to
	/// [`Ledger`] and removed in `on_finalize`, like [`BlockFees`].
	#[pallet::storage]
	#[pallet::whitelist_storage]
	pub type BlockUnfunded<T: Config> = StorageValue<_, u32, ValueQuery>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// The measuring fee.
		pub measuring_fee: BalanceOf<T>,
		/// The authors' share of each fee.
		pub author_share: Perbill,
		/// Suppliers' measurement deposits, held from their balances.
		pub deposits: Vec<(T::AccountId, BalanceOf<T>)>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			MeasuringFee::<T>::put(self.measuring_fee);
			AuthorShare::<T>::put(self.author_share);
			// The pot exists from the start, so that fees below the existential deposit
			// can be paid into it.
			let pot = Pallet::<T>::pot();
			if T::Currency::balance(&pot).is_zero() {
				T::Currency::mint_into(&pot, T::Currency::minimum_balance())
					.expect("genesis: the pot can be endowed");
			}
			for (supplier, amount) in &self.deposits {
				T::Currency::hold(&HoldReason::MeasurementDeposit.into(), supplier, *amount)
					.expect("genesis: a supplier can afford its deposit");
			}
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// The regulator set the measuring fee and the authors' share.
		MeasuringFeeSet { fee: BalanceOf<T>, author_share: Perbill },
		/// A supplier added to its measurement deposit; `held` is the deposit after.
		DepositToppedUp { supplier: T::AccountId, amount: BalanceOf<T>, held: BalanceOf<T> },
		/// A supplier took part of its deposit back.
		DepositWithdrawn { supplier: T::AccountId, amount: BalanceOf<T>, held: BalanceOf<T> },
		/// A supplier's deposit could not pay a measurement's fee: the measurement was
		/// recorded and the fee is owed. Emitted when the supplier goes into debt.
		DepositExhausted { supplier: T::AccountId },
		/// Part or all of a supplier's debt to a measurer was paid from its deposit.
		DebtSettled { supplier: T::AccountId, measurer: T::AccountId, amount: BalanceOf<T> },
		/// An account claimed its accrued rewards.
		RewardsClaimed { who: T::AccountId, amount: BalanceOf<T> },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The deposit would fall below what the supplier's supplied meters need
		/// ([`Config::DepositFloorFees`] fees each).
		BelowDepositFloor,
		/// The account has no accrued rewards.
		NothingToClaim,
		/// The supplier has no debt to settle.
		NoDebt,
		/// The deposit holds less than the amount asked for.
		InsufficientDeposit,
		/// A deposit cannot be withdrawn while the supplier owes fees.
		DebtOutstanding,
		/// A zero amount.
		ZeroAmount,
		/// The amount would overflow the deposit.
		Overflow,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		/// The fixed part of `on_finalize` (looking for pending fees); settling them is
		/// registered as each payer first appears in the block.
		fn on_initialize(_n: BlockNumberFor<T>) -> Weight {
			T::WeightInfo::finalize_without_fees()
		}

		/// Settles this block's fees, one transfer per payer.
		fn on_finalize(_n: BlockNumberFor<T>) {
			Self::settle_block();
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Sets the fixed measuring fee and the block authors' share of it, for every
		/// measurement from the next one on.
		///
		/// Origin: the regulator. Emits `MeasuringFeeSet`.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::set_measuring_fee())]
		pub fn set_measuring_fee(
			origin: OriginFor<T>,
			fee: BalanceOf<T>,
			author_share: Perbill,
		) -> DispatchResult {
			T::RegulatorOrigin::ensure_origin(origin)?;
			MeasuringFee::<T>::put(fee);
			AuthorShare::<T>::put(author_share);
			Self::deposit_event(Event::MeasuringFeeSet { fee, author_share });
			Ok(())
		}

		/// Holds `amount` more of the caller's balance as its measurement deposit, then
		/// settles its debts from it (up to `MaxDebtSettlements` measurers; see
		/// [`Pallet::settle_debts`] for the rest).
		///
		/// Origin: signed (a supplier). Emits `DepositToppedUp`, and `DebtSettled` per
		/// debt paid. Errors: `ZeroAmount`, `Overflow`, or the currency's if the balance
		/// cannot cover it.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::top_up(T::MaxDebtSettlements::get()))]
		pub fn top_up(origin: OriginFor<T>, amount: BalanceOf<T>) -> DispatchResultWithPostInfo {
			let supplier = ensure_signed(origin)?;
			ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
			Self::deposit_of(&supplier).checked_add(&amount).ok_or(Error::<T>::Overflow)?;
			T::Currency::hold(&HoldReason::MeasurementDeposit.into(), &supplier, amount)?;
			let settled = Self::do_settle(&supplier);
			Self::deposit_event(Event::DepositToppedUp {
				held: Self::deposit_of(&supplier),
				supplier,
				amount,
			});
			Ok(Some(T::WeightInfo::top_up(settled)).into())
		}

		/// Releases `amount` of the caller's measurement deposit.
		///
		/// Origin: signed (a supplier). Emits `DepositWithdrawn`. Errors: `ZeroAmount`,
		/// `DebtOutstanding` while it owes fees, `InsufficientDeposit`, `BelowDepositFloor`
		/// (while it supplies meters, the deposit keeps [`Config::DepositFloorFees`]
		/// measuring fees for each).
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::withdraw())]
		pub fn withdraw(origin: OriginFor<T>, amount: BalanceOf<T>) -> DispatchResult {
			let supplier = ensure_signed(origin)?;
			ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
			ensure!(SupplierDebt::<T>::get(&supplier).is_zero(), Error::<T>::DebtOutstanding);
			let held = Self::deposit_of(&supplier);
			ensure!(held >= amount, Error::<T>::InsufficientDeposit);
			ensure!(held - amount >= Self::deposit_floor(&supplier), Error::<T>::BelowDepositFloor);
			T::Currency::release(
				&HoldReason::MeasurementDeposit.into(),
				&supplier,
				amount,
				Precision::Exact,
			)?;
			Self::deposit_event(Event::DepositWithdrawn {
				held: Self::deposit_of(&supplier),
				supplier,
				amount,
			});
			Ok(())
		}

		/// Pays the caller its accrued rewards, from the pot.
		///
		/// Origin: signed (a measurer or block author). Emits `RewardsClaimed`. Errors:
		/// `NothingToClaim`.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::claim())]
		pub fn claim(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let amount = Accrued::<T>::get(&who);
			ensure!(!amount.is_zero(), Error::<T>::NothingToClaim);
			T::Currency::transfer(&Self::pot(), &who, amount, Preservation::Preserve)?;
			Accrued::<T>::remove(&who);
			Ledger::<T>::mutate(|l| l.claimed = l.claimed.saturating_add(amount));
			Self::deposit_event(Event::RewardsClaimed { who, amount });
			Ok(())
		}

		/// Settles `supplier`'s debts from its deposit, up to `MaxDebtSettlements`
		/// measurers (for debts to more measurers than one top-up reaches).
		///
		/// Origin: signed (anyone). Emits `DebtSettled` per debt paid. Errors: `NoDebt`.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::settle_debts(T::MaxDebtSettlements::get()))]
		pub fn settle_debts(
			origin: OriginFor<T>,
			supplier: T::AccountId,
		) -> DispatchResultWithPostInfo {
			ensure_signed(origin)?;
			ensure!(!SupplierDebt::<T>::get(&supplier).is_zero(), Error::<T>::NoDebt);
			let settled = Self::do_settle(&supplier);
			Ok(Some(T::WeightInfo::settle_debts(settled)).into())
		}
	}
}
