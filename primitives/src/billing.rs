//! Money around measurements: the types and glue traits shared by ingestion
//! (`Readings`), fixed-fee measurer rewards (`Rewards`) and billing (`Billing`), and the
//! pricing arithmetic every side (runtime, auditors, clients) must agree on.
//!
//! - Ingestion tells the others of each stored measurement through [`OnMeasured`].
//! - Rewards finds who pays for a meter's measurements through [`SupplyContracts`] and
//!   whom to pay through [`ProgramMeasurer`] (and, for the author's share, [`BlockAuthor`]).
//! - Billing reads registers and measurements through [`MeasurementLog`].
//!
//! Pricing: a tariff divides the day (local time of the supply point) into bands, each
//! with a price per **register unit** (one Wh for a Wh meter). Quantities are in
//! thousandths of the unit, so a band's charge is `⌊quantity × price / 1000⌋`, summed
//! over bands; the standing charge is per billing period, prorated by time for a partial
//! period. See [`band_charge`], [`standing_charge`].

use crate::{
	metering::{MeterId, ProgramHash},
	readings::{MeasurementIndex, UnixMillis},
};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_runtime::{helpers_128bit::multiply_by_rational_with_rounding, Rounding, Weight};

/// A supply contract's id, from 0.
pub type ContractId = u64;

/// An invoice's id, from 0.
pub type InvoiceId = u64;

/// A tariff's id, from 0.
pub type TariffId = u32;

/// Minutes in a day: tariff bands divide `[0, 1440)`.
pub const MINUTES_PER_DAY: u16 = 1440;

/// The farthest a supply point's UTC offset may be, in minutes (UTC−12:00 … UTC+14:00).
pub const MIN_UTC_OFFSET: i16 = -720;
/// See [`MIN_UTC_OFFSET`].
pub const MAX_UTC_OFFSET: i16 = 840;

/// A measurement the LR path has just stored, as the pallets that act on it see it.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct StoredMeasurement {
	pub meter: MeterId,
	pub index: MeasurementIndex,
	pub start: UnixMillis,
	pub end: UnixMillis,
	/// Thousandths of the model's unit.
	pub quantity: u128,
	/// The LR program that computed it.
	pub program: ProgramHash,
	/// The meter's register after it.
	pub register: u128,
}

/// Told of every measurement the LR path stores, in the same dispatch. Implementations
/// must never fail and never undo the measurement: money is settled around
/// measurements, it does not gate them.
pub trait OnMeasured {
	/// The measurement `m` was stored; returns the weight it took (at most
	/// [`OnMeasured::weight`]).
	fn on_measured(m: &StoredMeasurement) -> Weight;
	/// The most [`OnMeasured::on_measured`] can weigh, declared with every frame.
	fn weight() -> Weight;
}

impl OnMeasured for () {
	fn on_measured(_: &StoredMeasurement) -> Weight {
		Weight::zero()
	}
	fn weight() -> Weight {
		Weight::zero()
	}
}

impl<A: OnMeasured, B: OnMeasured> OnMeasured for (A, B) {
	fn on_measured(m: &StoredMeasurement) -> Weight {
		A::on_measured(m).saturating_add(B::on_measured(m))
	}
	fn weight() -> Weight {
		A::weight().saturating_add(B::weight())
	}
}

/// Who supplies a meter's consumer now: the party that pays for its measurements.
pub trait SupplyContracts<AccountId> {
	/// The supplier of `meter`'s active supply contract, if it has one.
	fn supplier_of(meter: MeterId) -> Option<AccountId>;

	/// Benchmarks: makes `supplier` the supplier of `meter`.
	#[cfg(feature = "runtime-benchmarks")]
	fn benchmark_supply(meter: MeterId, supplier: AccountId);
}

/// The measurer behind an LR program: the party paid for what it computes.
pub trait ProgramMeasurer<AccountId> {
	/// The account that published `program`.
	fn measurer(program: &ProgramHash) -> Option<AccountId>;

	/// Benchmarks: an approved program published by `measurer`, distinct per measurer.
	#[cfg(feature = "runtime-benchmarks")]
	fn benchmark_program(measurer: AccountId) -> ProgramHash;
}

/// The author of the block being built or imported.
pub trait BlockAuthor<AccountId> {
	fn block_author() -> Option<AccountId>;
}

impl<AccountId> BlockAuthor<AccountId> for () {
	fn block_author() -> Option<AccountId> {
		None
	}
}

/// Read access to stored measurements, for pallets that must not touch their storage.
pub trait MeasurementLog {
	/// The meter's cumulative register now.
	fn register(meter: MeterId) -> u128;
	/// A retained measurement: `(start, end, quantity)`; `None` if never stored or pruned.
	fn measurement(
		meter: MeterId,
		index: MeasurementIndex,
	) -> Option<(UnixMillis, UnixMillis, u128)>;
}

/// How a supply contract's invoices are settled.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
	serde::Serialize,
	serde::Deserialize,
)]
pub enum PaymentMode {
	/// Settled automatically, when the invoice is issued, from the consumer's prepaid
	/// balance (held).
	Prepaid,
	/// Paid by the consumer before the invoice's due date.
	Postpaid,
}

/// One time-of-use band of a tariff: `[from_minute, to_minute)` of the local day.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
	serde::Serialize,
	serde::Deserialize,
)]
pub struct TariffBand<Balance> {
	/// The first minute of the day in the band, 0 … 1439.
	pub from_minute: u16,
	/// The first minute after the band, 1 … 1440.
	pub to_minute: u16,
	/// The price of one register unit (e.g. one Wh) in the band.
	pub price: Balance,
}

/// Why a list of bands is not a tariff.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum BandError {
	/// No band at all.
	NoBands,
	/// A band ends at or before its start, or past the end of the day.
	EmptyBand,
	/// A band starts before the previous one ended.
	OverlappingBands,
	/// The bands leave part of the day without a price (a gap between two, or before
	/// the first, or after the last).
	GappedBands,
}

/// Checks that `bands`, in order, cover the day exactly once: the first starts at
/// minute 0, each starts where the previous ended, the last ends at 1440.
pub fn check_bands<Balance>(bands: &[TariffBand<Balance>]) -> Result<(), BandError> {
	let mut expected_start = 0u16;
	if bands.is_empty() {
		return Err(BandError::NoBands);
	}
	for band in bands {
		if band.to_minute <= band.from_minute || band.to_minute > MINUTES_PER_DAY {
			return Err(BandError::EmptyBand);
		}
		if band.from_minute < expected_start {
			return Err(BandError::OverlappingBands);
		}
		if band.from_minute > expected_start {
			return Err(BandError::GappedBands);
		}
		expected_start = band.to_minute;
	}
	if expected_start != MINUTES_PER_DAY {
		return Err(BandError::GappedBands);
	}
	Ok(())
}

/// The minute of the local day (UTC offset `utc_offset` minutes) at `at`.
pub fn local_minute(at: UnixMillis, utc_offset: i16) -> u16 {
	let minute_of_day = (at / 60_000 % u64::from(MINUTES_PER_DAY)) as i32;
	(minute_of_day + i32::from(utc_offset)).rem_euclid(i32::from(MINUTES_PER_DAY)) as u16
}

/// The position of the band that prices a measurement starting at `start` (the band of
/// its start's local minute). Bands must have passed [`check_bands`].
pub fn band_of<Balance>(
	bands: &[TariffBand<Balance>],
	start: UnixMillis,
	utc_offset: i16,
) -> usize {
	let minute = local_minute(start, utc_offset);
	bands.iter().position(|b| minute < b.to_minute).unwrap_or(bands.len().saturating_sub(1))
}

/// `⌊quantity × price / 1000⌋`: the charge for `quantity` thousandths of a unit at
/// `price` per unit; `None` if it does not fit 128 bits.
pub fn band_charge(quantity: u128, price: u128) -> Option<u128> {
	multiply_by_rational_with_rounding(quantity, price, 1000, Rounding::Down)
}

/// `⌊standing × covered / period⌋`: the standing charge for `covered` milliseconds of a
/// billing period of `period` milliseconds (covered may exceed a period when periods
/// were closed late).
pub fn standing_charge(standing: u128, covered: u64, period: u64) -> Option<u128> {
	if period == 0 {
		return None;
	}
	multiply_by_rational_with_rounding(standing, covered.into(), period.into(), Rounding::Down)
}

/// The first billing-period boundary after `at`: periods of `period` milliseconds are
/// aligned to the Unix epoch (UTC).
pub fn next_boundary(at: UnixMillis, period: u64) -> UnixMillis {
	let period = period.max(1);
	(at / period).saturating_add(1).saturating_mul(period)
}

/// The last billing-period boundary at or before `at`.
pub fn last_boundary(at: UnixMillis, period: u64) -> UnixMillis {
	let period = period.max(1);
	at / period * period
}

#[cfg(test)]
mod tests {
	use super::*;

	fn band(from_minute: u16, to_minute: u16, price: u128) -> TariffBand<u128> {
		TariffBand { from_minute, to_minute, price }
	}

	#[test]
	fn bands_must_cover_the_day_exactly_once() {
		assert_eq!(check_bands::<u128>(&[]), Err(BandError::NoBands));
		assert_eq!(check_bands(&[band(0, 1440, 1)]), Ok(()));
		assert_eq!(check_bands(&[band(0, 420, 1), band(420, 1440, 2)]), Ok(()));
		assert_eq!(
			check_bands(&[band(0, 420, 1), band(400, 1440, 2)]),
			Err(BandError::OverlappingBands)
		);
		assert_eq!(
			check_bands(&[band(0, 420, 1), band(480, 1440, 2)]),
			Err(BandError::GappedBands)
		);
		assert_eq!(check_bands(&[band(60, 1440, 1)]), Err(BandError::GappedBands));
		assert_eq!(check_bands(&[band(0, 1380, 1)]), Err(BandError::GappedBands));
		assert_eq!(check_bands(&[band(0, 0, 1), band(0, 1440, 1)]), Err(BandError::EmptyBand));
		assert_eq!(check_bands(&[band(0, 1441, 1)]), Err(BandError::EmptyBand));
	}

	#[test]
	fn the_band_is_the_local_minute_of_the_start() {
		let bands = [band(0, 420, 10), band(420, 1140, 25), band(1140, 1440, 35)];
		// 2026-11-24 06:30 UTC.
		let at = 1_795_933_800_000u64;
		assert_eq!(local_minute(at, 0), 390);
		assert_eq!(band_of(&bands, at, 0), 0);
		assert_eq!(band_of(&bands, at, 60), 1, "07:30 at UTC+1");
		assert_eq!(band_of(&bands, at, -420), 2, "23:30 the day before at UTC−7");
		assert_eq!(local_minute(at, -420), 1410);
	}

	#[test]
	fn charges_round_down_and_refuse_overflow() {
		assert_eq!(band_charge(1_999, 3), Some(5));
		assert_eq!(band_charge(u128::MAX, 1000), Some(u128::MAX));
		assert_eq!(band_charge(u128::MAX, 1001), None);
		assert_eq!(standing_charge(1000, 30_000, 60_000), Some(500));
		assert_eq!(standing_charge(1000, 120_000, 60_000), Some(2000));
		assert_eq!(standing_charge(1000, 1, 0), None);
		assert_eq!(next_boundary(59_999, 60_000), 60_000);
		assert_eq!(next_boundary(60_000, 60_000), 120_000);
		assert_eq!(last_boundary(119_999, 60_000), 60_000);
	}
}
