//! Check meters: registering a pair, adding measurements to the open comparison window,
//! comparing windows and putting a meter under inspection; and the pallet's invariants.

use crate::*;
use alloc::vec::Vec;
use frame_support::{
	pallet_prelude::*,
	traits::{fungible::MutateHold, UnixTime},
};
use mensura_primitives::{
	billing::{next_boundary, SupplyContracts},
	metering::{
		Actor, AuditChange, AuditSubject, AuditTrail, MeterRegistry, MeterStatus, NotifiedBodies,
	},
	readings::{MeterLinks, StoredMeasurement},
};
use sp_runtime::{
	helpers_128bit::multiply_by_rational_with_rounding, traits::Saturating, Rounding,
};

impl<T: Config> Pallet<T> {
	/// Whether `who` has a stake in `meter`'s measurements: it is the consumer or the
	/// supplier of the meter's active supply contract, or the notified body (still one)
	/// that verified it.
	pub fn has_stake(who: &T::AccountId, meter: MeterId) -> bool {
		T::Contracts::consumer_of(meter).as_ref() == Some(who)
			|| T::Contracts::supplier_of(meter).as_ref() == Some(who)
			|| (T::Bodies::verifier_of(meter).as_ref() == Some(who)
				&& T::Bodies::is_notified_body(who))
	}

	/// Checks and registers a pair, holding the deposit from `owner`.
	pub(crate) fn register(
		owner: T::AccountId,
		meter: MeterId,
		check: MeterId,
		window: u64,
	) -> DispatchResult {
		ensure!(meter != check, Error::<T>::SameMeter);
		ensure!(
			(T::MinComparisonWindow::get()..=T::MaxComparisonWindow::get()).contains(&window),
			Error::<T>::WindowOutOfRange
		);
		let checked = T::Meters::meter(meter).ok_or(Error::<T>::UnknownMeter)?;
		ensure!(Self::has_stake(&owner, meter), Error::<T>::NoStakeInMeter);
		let checking = T::Meters::meter(check).ok_or(Error::<T>::UnknownMeter)?;
		ensure!(
			checked.status == MeterStatus::Active && checking.status == MeterStatus::Active,
			Error::<T>::MeterNotActive
		);
		ensure!(
			checked.supply_point.is_some() && checked.supply_point == checking.supply_point,
			Error::<T>::DifferentSupplyPoint
		);
		ensure!(
			checked.spec.kind == checking.spec.kind && checked.spec.unit == checking.spec.unit,
			Error::<T>::IncompatibleModels
		);
		match Surveilled::<T>::get(meter) {
			Some(Role::Checked(_)) => return Err(Error::<T>::AlreadyChecked.into()),
			Some(Role::Checking { .. }) => return Err(Error::<T>::MeterIsACheckMeter.into()),
			None => {}
		}
		ensure!(!Surveilled::<T>::contains_key(check), Error::<T>::CheckMeterInUse);
		let deposit = T::CheckDeposit::get();
		T::Currency::hold(&HoldReason::CheckMeterDeposit.into(), &owner, deposit)?;
		let since = next_boundary(T::Time::now().as_millis() as u64, window);
		let steps = u128::from(checked.spec.resolution_milli)
			.saturating_add(u128::from(checking.spec.resolution_milli));
		Surveilled::<T>::insert(
			meter,
			Role::Checked(CheckPair {
				check,
				owner: owner.clone(),
				deposit,
				window,
				since,
				measured_from: None,
				counter_from: None,
				measured_until: since,
				counter_until: since,
				allowed_error: checked
					.spec
					.max_permissible_error
					.saturating_add(checking.spec.max_permissible_error),
				step_allowance: steps.saturating_mul(2),
				windows: Default::default(),
				compared: 0,
				discrepancies: 0,
			}),
		);
		Surveilled::<T>::insert(check, Role::Checking { checked: meter });
		T::Links::set_surveilled(meter, true);
		T::Links::set_surveilled(check, true);
		T::Audit::record(
			AuditSubject::Meter(meter),
			Actor::Account(owner.clone()),
			AuditChange::CheckMeterRegistered { check },
		);
		Self::deposit_event(Event::CheckMeterRegistered {
			meter,
			check,
			owner,
			deposit,
			window,
			since,
		});
		Ok(())
	}

	/// The most one window may differ: both MPEs of the check meter's quantity, two
	/// register steps of each meter, and the whole quantity of every measurement that
	/// crosses the window's edges (`straddling`: its place within its interval is
	/// unknown).
	pub fn allowed_difference(pair: &CheckPairOf<T>, counter: u128, straddling: u128) -> u128 {
		pair.allowed_error
			.mul_ceil(counter)
			.saturating_add(pair.step_allowance)
			.saturating_add(straddling)
	}

	/// Adds the part of `m` from `pair.since` on to the windows it overlaps, on the
	/// checked side (`counter == false`) or the check meter's.
	pub(crate) fn add(
		meter: MeterId,
		pair: &mut CheckPairOf<T>,
		m: &StoredMeasurement,
		counter: bool,
	) {
		let window = pair.window;
		let max = T::MaxOpenWindows::get() as u64;
		let (from, until) = if counter {
			(&mut pair.counter_from, &mut pair.counter_until)
		} else {
			(&mut pair.measured_from, &mut pair.measured_until)
		};
		*until = (*until).max(m.end);
		let begin = m.start.max(pair.since);
		if m.end <= begin {
			return;
		}
		from.get_or_insert(begin);
		let duration = m.end - m.start;
		// Windows overlapping [begin, end), the last `max` of them at most: anything
		// older would be given up as soon as it was opened.
		let last = (m.end - 1) / window * window;
		let first = (begin / window * window).max(last.saturating_sub((max - 1) * window));
		let mut windows: Vec<WindowTotals> = core::mem::take(&mut pair.windows).into_inner();
		let mut start = first;
		while start <= last {
			let overlap = m.end.min(start + window) - begin.max(start);
			let part = multiply_by_rational_with_rounding(
				m.quantity,
				overlap as u128,
				duration as u128,
				Rounding::NearestPrefDown,
			)
			.unwrap_or(m.quantity);
			let at = match windows.binary_search_by_key(&start, |w| w.start) {
				Ok(at) => at,
				Err(at) => {
					windows
						.insert(at, WindowTotals { start, measured: 0, counter: 0, straddling: 0 });
					at
				}
			};
			let totals = &mut windows[at];
			if m.start < start || m.end > start + window {
				totals.straddling = totals.straddling.saturating_add(m.quantity);
			}
			if counter {
				totals.counter = totals.counter.saturating_add(part);
			} else {
				totals.measured = totals.measured.saturating_add(part);
			}
			start += window;
		}
		while windows.len() as u64 > max {
			let given_up = windows.remove(0);
			Self::deposit_event(Event::ComparisonAbandoned {
				meter,
				check: pair.check,
				start: given_up.start,
				measured: given_up.measured,
				counter: given_up.counter,
			});
		}
		pair.windows = BoundedVec::truncate_from(windows);
	}

	/// Compares the oldest window, if both meters have measured past its end.
	pub(crate) fn compare_next(meter: MeterId, pair: &mut CheckPairOf<T>) {
		let Some(oldest) = pair.windows.first() else { return };
		let end = oldest.start + pair.window;
		if end > pair.measured_until.min(pair.counter_until) {
			return;
		}
		let totals = pair.windows.remove(0);
		// A window before both meters started measuring in the pair is not a fair
		// comparison (one of them joined in its middle).
		let started = pair.measured_from.zip(pair.counter_from).map(|(a, b)| a.max(b));
		if started.map_or(true, |started| totals.start < started) {
			return;
		}
		pair.compared = pair.compared.saturating_add(1);
		let allowed = Self::allowed_difference(pair, totals.counter, totals.straddling);
		if totals.measured.abs_diff(totals.counter) <= allowed {
			Self::deposit_event(Event::WindowCompared {
				meter,
				check: pair.check,
				start: totals.start,
				end,
				measured: totals.measured,
				counter: totals.counter,
			});
			return;
		}
		pair.discrepancies = pair.discrepancies.saturating_add(1);
		T::Audit::record(
			AuditSubject::Meter(meter),
			Actor::Account(pair.owner.clone()),
			AuditChange::DiscrepancyFound {
				check: pair.check,
				start: totals.start,
				end,
				measured: totals.measured,
				counter: totals.counter,
				allowed,
			},
		);
		Self::deposit_event(Event::DiscrepancyFound {
			meter,
			check: pair.check,
			start: totals.start,
			end,
			measured: totals.measured,
			counter: totals.counter,
			allowed,
		});
		let newly = Inspections::<T>::mutate(meter, |inspection| match inspection {
			Some(inspection) => {
				inspection.discrepancies = inspection.discrepancies.saturating_add(1);
				inspection.last = totals.clone();
				inspection.allowed = allowed;
				false
			}
			None => {
				*inspection = Some(Inspection {
					since: frame_system::Pallet::<T>::block_number(),
					check: pair.check,
					discrepancies: 1,
					last: totals.clone(),
					allowed,
				});
				true
			}
		});
		if newly {
			Self::deposit_event(Event::UnderInspection { meter, check: pair.check });
		}
	}

	/// The pair of `meter` (checked or checking) and the side `m` is on, if any.
	pub(crate) fn pair_of(meter: MeterId) -> Option<(MeterId, CheckPairOf<T>, bool)> {
		match Surveilled::<T>::get(meter)? {
			Role::Checked(pair) => Some((meter, pair, false)),
			Role::Checking { checked } => match Surveilled::<T>::get(checked) {
				Some(Role::Checked(pair)) => Some((checked, pair, true)),
				_ => {
					frame_support::defensive!("a check meter's pair is missing");
					None
				}
			},
		}
	}

	#[cfg(any(feature = "try-runtime", test))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		for (meter, role) in Surveilled::<T>::iter() {
			ensure!(
				T::Links::surveilled(meter),
				"a meter of a check pair is not marked as followed in its reading record"
			);
			match role {
				Role::Checked(pair) => {
					ensure!(
						matches!(Surveilled::<T>::get(pair.check), Some(Role::Checking { checked }) if checked == meter),
						"a check meter does not point back at its meter"
					);
					ensure!(
						pair.windows.windows(2).all(|w| w[0].start < w[1].start),
						"a pair's windows are out of order"
					);
					ensure!(
						pair.windows
							.iter()
							.all(|w| w.start % pair.window == 0 && w.start >= pair.since),
						"a window is misaligned or before its pair"
					);
					ensure!(
						pair.discrepancies <= pair.compared,
						"more discrepancies than comparisons"
					);
				}
				Role::Checking { checked } => ensure!(
					matches!(Surveilled::<T>::get(checked), Some(Role::Checked(pair)) if pair.check == meter),
					"a check meter's pair does not name it"
				),
			}
		}
		Ok(())
	}
}
