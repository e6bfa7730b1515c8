//! What billing offers the other pallets: it acts on every measurement
//! ([`OnMeasured`]), adding it to the open period its meter's reading record holds and
//! telling [`Config::Fees`] who pays for it, and names who supplies a meter
//! ([`SupplyContracts`]).

use crate::*;
use frame_support::{dispatch::DispatchClass, pallet_prelude::*};
#[cfg(feature = "runtime-benchmarks")]
use mensura_primitives::billing::{MeterBilling, OpenPeriod, PaymentMode};
use mensura_primitives::{
	billing::{band_of, last_boundary, next_boundary, OnSupplied, SupplyContracts},
	metering::MeterId,
	readings::{MeterLinks, OnMeasured, StoredMeasurement},
};

impl<T: Config> OnMeasured<T::AccountId> for Pallet<T> {
	/// Bills `m` into its meter's open period ([`Pallet::bill`]), then tells
	/// [`Config::Fees`] its meter's supplier, as the meter's record holds it.
	fn on_measured(m: &StoredMeasurement, billing: &mut Option<MeterBillingOf<T>>) -> Weight {
		if billing.is_none() {
			// What `add_measurement_unsupplied` measures, the fee's side included.
			let _ = T::Fees::on_supplied(m, None);
			return T::WeightInfo::add_measurement_unsupplied();
		}
		let billed = Self::bill(m, billing);
		let supplier = billing.as_ref().map(|b| &b.supplier);
		billed.saturating_add(T::Fees::on_supplied(m, supplier))
	}

	/// Drops what billing kept for the transaction, and ends the fees' transaction.
	fn end_of_transaction() {
		TransactionTariff::<T>::kill();
		T::Fees::end_of_transaction();
	}

	/// Billing a measurement and its fee. Closing a period on the way is accounted to
	/// the block when it happens (see [`Pallet::bill`]).
	fn weight() -> Weight {
		T::WeightInfo::add_measurement().saturating_add(T::Fees::weight())
	}

	/// A measurement of a meter under no contract: nothing billed, and the fee told no
	/// one pays for it.
	fn idle_weight() -> Weight {
		T::WeightInfo::add_measurement_unsupplied()
	}
}

impl<T: Config> Pallet<T> {
	/// Adds `m` to its meter's open period (`billing`, from the meter's reading record,
	/// which the caller writes back), in the band of its start's local time; closes the
	/// period first if `m` starts at or after its end. A measurement of time before the
	/// contract began is not added. Returns the weight billing took: the billing period
	/// and the contract's tariff are read once per transaction and tariff
	/// ([`TransactionTariff`]), so a later measurement of the transaction under the same
	/// tariff weighs `add_measurement_cached`. A meter under no contract is not billed.
	pub fn bill(m: &StoredMeasurement, billing: &mut Option<MeterBillingOf<T>>) -> Weight {
		let Some(billing) = billing.as_mut() else {
			return Weight::zero();
		};
		let contract = billing.contract;
		Self::activate_genesis_period(billing, m.start.max(1));
		if m.start < billing.start {
			// Consumption from before this contract began was another consumer's (or no
			// one's): never billed to this one. Told, so a supplier can settle it.
			Self::deposit_event(Event::MeasurementBeforeContract {
				contract,
				meter: m.meter,
				index: m.index,
			});
			return T::WeightInfo::add_measurement();
		}
		// What this transaction read already: the billing period, and the bands of the
		// tariff of its last measurement.
		let extrinsic = frame_system::Pallet::<T>::extrinsic_index();
		let kept = TransactionTariff::<T>::get().filter(|k| k.extrinsic == extrinsic);
		let period = kept.as_ref().map_or_else(BillingPeriod::<T>::get, |k| k.period);
		let mut closed = false;
		if m.start >= next_boundary(billing.period.start, period) {
			match Contracts::<T>::get(contract) {
				Some(mut record) => {
					Self::close(&mut record, billing, last_boundary(m.start, period), false);
					Contracts::<T>::insert(contract, record);
				}
				None => {
					frame_support::defensive!("a meter's record names a contract that is gone");
				}
			}
			// Rare (on_idle closes periods as their boundary passes): the work beyond
			// adding the measurement is accounted to the block, not declared by every
			// frame. At most one close per contract per period.
			let extra = T::WeightInfo::add_measurement_closing(T::MaxBands::get())
				.saturating_sub(T::WeightInfo::add_measurement());
			frame_system::Pallet::<T>::register_extra_weight_unchecked(
				extra,
				DispatchClass::Mandatory,
			);
			closed = true;
		}
		// The tariff after closing: a change of tariff takes effect with the new period.
		let (bands, weight) = match kept {
			Some(kept) if kept.tariff == billing.tariff && !closed => {
				(kept.bands, T::WeightInfo::add_measurement_cached())
			}
			_ => {
				let bands = Tariffs::<T>::get(billing.tariff).map(|t| t.bands);
				TransactionTariff::<T>::put(TariffOfTransaction {
					extrinsic,
					period,
					tariff: billing.tariff,
					bands: bands.clone(),
				});
				(bands, T::WeightInfo::add_measurement())
			}
		};
		if let Some(bands) = &bands {
			let band = band_of(bands, m.start, billing.utc_offset);
			if let Some(q) = billing.period.quantities.get_mut(band) {
				*q = q.saturating_add(m.quantity);
			}
		}
		let open = &mut billing.period;
		open.measurements = open.measurements.saturating_add(1);
		open.first.get_or_insert(m.index);
		open.last = Some(m.index);
		weight
	}
}

impl<T: Config> SupplyContracts<T::AccountId> for Pallet<T> {
	fn supplier_of(meter: MeterId) -> Option<T::AccountId> {
		T::Links::billing(meter).map(|b| b.supplier)
	}

	fn consumer_of(meter: MeterId) -> Option<T::AccountId> {
		let contract = T::Links::supply_contract(meter)?;
		Contracts::<T>::get(contract).map(|c| c.consumer)
	}

	fn supplied_meters(supplier: &T::AccountId) -> u32 {
		SuppliedMeters::<T>::get(supplier)
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
				supplier: supplier.clone(),
				consumer,
				tariff: 0,
				next_tariff: None,
				offered_tariff: None,
				payment: PaymentMode::Postpaid,
				utc_offset: 0,
				status: ContractStatus::Active,
				start: 1,
			},
		);
		T::Links::set_billing(
			meter,
			Some(MeterBilling {
				contract,
				supplier: supplier.clone(),
				tariff: 0,
				utc_offset: 0,
				start: 1,
				period: OpenPeriod::new(1, 0, Tariffs::<T>::get(0).map_or(0, |t| t.bands.len())),
			}),
		);
		SuppliedMeters::<T>::mutate(&supplier, |n| *n += 1);
	}
}
