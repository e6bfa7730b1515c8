//! Fees: taken from suppliers' deposits, credited to measurers and block authors, settled
//! once per block; debts and their settlement; and the pallet's invariants.

use crate::*;
use alloc::vec::Vec;
use frame_support::{
	pallet_prelude::*,
	traits::{
		fungible::{Inspect, InspectHold, MutateHold},
		tokens::{Fortitude, Precision, Restriction},
	},
};
use mensura_primitives::billing::{BlockAuthor, SupplyContracts};
use sp_runtime::traits::{AccountIdConversion, Saturating, Zero};

impl<T: Config> Pallet<T> {
	/// The pot account: accrued, unclaimed rewards (and its existential deposit).
	pub fn pot() -> T::AccountId {
		T::PotId::get().into_account_truncating()
	}

	/// A supplier's measurement deposit (held).
	pub fn deposit_of(supplier: &T::AccountId) -> BalanceOf<T> {
		T::Currency::balance_on_hold(&HoldReason::MeasurementDeposit.into(), supplier)
	}

	/// What `supplier` must keep held while it supplies meters: the measuring fee ×
	/// [`Config::DepositFloorFees`] × its supplied meters.
	pub fn deposit_floor(supplier: &T::AccountId) -> BalanceOf<T> {
		let fees =
			T::DepositFloorFees::get().saturating_mul(T::Suppliers::supplied_meters(supplier));
		MeasuringFee::<T>::get().saturating_mul(fees.into())
	}

	/// Moves `fee` from `supplier`'s deposit to the pot, if the deposit covers it.
	pub(crate) fn take_fee(supplier: &T::AccountId, fee: BalanceOf<T>) -> bool {
		Self::deposit_of(supplier) >= fee
			&& T::Currency::transfer_on_hold(
				&HoldReason::MeasurementDeposit.into(),
				supplier,
				&Self::pot(),
				fee,
				Precision::Exact,
				Restriction::Free,
				Fortitude::Polite,
			)
			.is_ok()
	}

	/// Credits `count` charged fees of `fee` for `measurer`'s work: the authors' share
	/// of each to this block's author (if there is one), the rest to the measurer.
	pub(crate) fn credit(measurer: &T::AccountId, fee: BalanceOf<T>, count: u32) {
		let author = T::Author::block_author();
		let share_of_one = match &author {
			Some(_) => AuthorShare::<T>::get().mul_floor(fee),
			None => Zero::zero(),
		};
		let count: BalanceOf<T> = count.into();
		Self::book(
			measurer,
			author,
			share_of_one.saturating_mul(count),
			fee.saturating_sub(share_of_one).saturating_mul(count),
		);
	}

	/// Settles `count` measurements `measurer`'s program computed for `supplier` at
	/// `fee` each: the whole fees the deposit covers are paid (unless earlier debts
	/// come first), the rest are owed.
	pub(crate) fn settle(
		supplier: &T::AccountId,
		measurer: &T::AccountId,
		fee: BalanceOf<T>,
		count: u32,
	) {
		MeasurerEarnings::<T>::mutate(measurer, |e| {
			e.measurements = e.measurements.saturating_add(count.into())
		});
		if fee.is_zero() || count == 0 {
			return;
		}
		let in_debt = !SupplierDebt::<T>::get(supplier).is_zero();
		let affordable = if in_debt {
			0
		} else {
			let whole = Self::deposit_of(supplier) / fee;
			if whole >= count.into() {
				count
			} else {
				// `whole < count`, a u32.
				TryInto::<u32>::try_into(whole).unwrap_or(0)
			}
		};
		let paid =
			if affordable > 0 && Self::take_fee(supplier, fee.saturating_mul(affordable.into())) {
				Self::credit(measurer, fee, affordable);
				affordable
			} else {
				0
			};
		let owed = fee.saturating_mul(count.saturating_sub(paid).into());
		if owed.is_zero() {
			return;
		}
		let before = SupplierDebt::<T>::get(supplier);
		Debts::<T>::mutate(supplier, measurer, |d| *d = d.saturating_add(owed));
		SupplierDebt::<T>::insert(supplier, before.saturating_add(owed));
		MeasurerEarnings::<T>::mutate(measurer, |e| e.owed = e.owed.saturating_add(owed));
		if before.is_zero() {
			Self::deposit_event(Event::DepositExhausted { supplier: supplier.clone() });
		}
	}

	/// Settles and clears this block's fees and unfunded count.
	pub(crate) fn settle_block() {
		// Every transaction records its sum as it ends; one that did not (a caller that
		// never ended its transaction) is recorded here, not lost.
		if let Some(pending) = PendingTransactionFees::<T>::take() {
			Self::record_block_fees(pending.fees);
		}
		if BlockFees::<T>::exists() {
			for p in BlockFees::<T>::take() {
				Self::settle(&p.supplier, &p.measurer, p.fee, p.measurements);
			}
		}
		if BlockUnfunded::<T>::exists() {
			let unfunded = BlockUnfunded::<T>::take();
			Ledger::<T>::mutate(|l| {
				l.unfunded_measurements = l.unfunded_measurements.saturating_add(unfunded.into())
			});
		}
	}

	/// What settling one payer's fees at the end of the block weighs: paying or owing,
	/// whichever costs more, with the block author's share (reading the consensus
	/// digest and the authority set, and crediting it).
	pub fn settlement_weight() -> Weight {
		T::WeightInfo::settle_fees()
			.max(T::WeightInfo::owe_fees())
			.saturating_add(T::DbWeight::get().reads_writes(3, 1))
	}

	/// Adds end-of-block work, which this measurement's transaction caused, to the
	/// block's weight (mandatory: it will be done whatever the block's fullness).
	pub(crate) fn register_settlement(weight: Weight) {
		frame_system::Pallet::<T>::register_extra_weight_unchecked(
			weight,
			DispatchClass::Mandatory,
		);
	}

	/// Credits a settled debt of `amount`: the authors' share of it to this block's
	/// author (if there is one), the rest to the measurer.
	pub(crate) fn credit_amount(measurer: &T::AccountId, amount: BalanceOf<T>) {
		let author = T::Author::block_author();
		let share = match &author {
			Some(_) => AuthorShare::<T>::get().mul_floor(amount),
			None => Zero::zero(),
		};
		Self::book(measurer, author, share, amount.saturating_sub(share));
	}

	/// Books charged fees: `share` accrues to `author`, `to_measurer` to the measurer.
	pub(crate) fn book(
		measurer: &T::AccountId,
		author: Option<T::AccountId>,
		share: BalanceOf<T>,
		to_measurer: BalanceOf<T>,
	) {
		if let (Some(author), false) = (author, share.is_zero()) {
			Accrued::<T>::mutate(&author, |a| *a = a.saturating_add(share));
		}
		Accrued::<T>::mutate(measurer, |a| *a = a.saturating_add(to_measurer));
		MeasurerEarnings::<T>::mutate(measurer, |e| {
			e.earned = e.earned.saturating_add(to_measurer)
		});
		Ledger::<T>::mutate(|l| {
			l.charged = l.charged.saturating_add(share.saturating_add(to_measurer));
			l.to_measurers = l.to_measurers.saturating_add(to_measurer);
			l.to_authors = l.to_authors.saturating_add(share);
		});
	}

	/// Pays `supplier`'s debts from its deposit, measurer by measurer, as far as the
	/// deposit goes; at most `MaxDebtSettlements` measurers. Returns how many debts
	/// it touched.
	pub(crate) fn do_settle(supplier: &T::AccountId) -> u32 {
		let debts: Vec<(T::AccountId, BalanceOf<T>)> =
			Debts::<T>::iter_prefix(supplier).take(T::MaxDebtSettlements::get() as usize).collect();
		let touched = debts.len() as u32;
		for (measurer, owed) in debts {
			let amount = owed.min(Self::deposit_of(supplier));
			if amount.is_zero() || !Self::take_fee(supplier, amount) {
				break;
			}
			let left = owed.saturating_sub(amount);
			if left.is_zero() {
				Debts::<T>::remove(supplier, &measurer);
			} else {
				Debts::<T>::insert(supplier, &measurer, left);
			}
			SupplierDebt::<T>::mutate_exists(supplier, |debt| {
				let rest = debt.unwrap_or_default().saturating_sub(amount);
				*debt = (!rest.is_zero()).then_some(rest);
			});
			MeasurerEarnings::<T>::mutate(&measurer, |e| e.owed = e.owed.saturating_sub(amount));
			Self::credit_amount(&measurer, amount);
			Self::deposit_event(Event::DebtSettled {
				supplier: supplier.clone(),
				measurer,
				amount,
			});
		}
		touched
	}

	/// Checks the fee accounting (see the module documentation).
	#[cfg(any(feature = "try-runtime", feature = "std", test))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		ensure!(
			!BlockFees::<T>::exists()
				&& !BlockUnfunded::<T>::exists()
				&& !PendingTransactionFees::<T>::exists(),
			"a block's fees were left unsettled"
		);
		let ledger = Ledger::<T>::get();
		ensure!(
			ledger.charged == ledger.to_measurers.saturating_add(ledger.to_authors),
			"fees charged differ from the measurers' and authors' shares"
		);
		let accrued = Accrued::<T>::iter_values()
			.fold(BalanceOf::<T>::zero(), |sum, a| sum.saturating_add(a));
		ensure!(
			accrued.saturating_add(ledger.claimed) == ledger.charged,
			"fees charged differ from rewards accrued plus claimed"
		);
		ensure!(
			T::Currency::balance(&Self::pot())
				>= accrued.saturating_add(T::Currency::minimum_balance()),
			"the pot holds less than the accrued rewards"
		);
		let mut total_debt = BalanceOf::<T>::zero();
		for (supplier, debt) in SupplierDebt::<T>::iter() {
			let sum = Debts::<T>::iter_prefix_values(&supplier)
				.fold(BalanceOf::<T>::zero(), |sum, d| sum.saturating_add(d));
			ensure!(sum == debt, "a supplier's debt differs from its debts to measurers");
			ensure!(!debt.is_zero(), "a zero supplier debt is stored");
			total_debt = total_debt.saturating_add(debt);
		}
		for (supplier, _, _) in Debts::<T>::iter() {
			ensure!(SupplierDebt::<T>::contains_key(&supplier), "a debt without its total");
		}
		let owed = MeasurerEarnings::<T>::iter_values()
			.fold(BalanceOf::<T>::zero(), |sum, e| sum.saturating_add(e.owed));
		ensure!(owed == total_debt, "what measurers are owed differs from suppliers' debts");
		Ok(())
	}
}
