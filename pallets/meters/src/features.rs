//! What the calls do, as `do_*` functions the calls, genesis and benchmarks share: models
//! submitted and decided, meters provisioned, verified, suspended and rekeyed, the audit
//! trail appended; and the pallet's invariants.

use crate::*;
use alloc::vec::Vec;
use frame_support::{
	pallet_prelude::*,
	traits::{fungible::MutateHold, tokens::Precision},
};
use frame_system::pallet_prelude::*;
use mensura_primitives::metering::{
	Actor, AuditChange, AuditEntry, AuditIndex, AuditSubject, DeviceKey, MeterId, MeterRegistry,
	MeterStatus, ModelId, ModelSpec, ModelStatus, OnFrameRulesChanged, StatusReason, SupplyPoint,
};
use sp_runtime::traits::Zero;

impl<T: Config> Pallet<T> {
	/// The regulator (as `Actor::Regulator`) or a notified body (as its account).
	pub(crate) fn ensure_regulator_or_notified_body(
		origin: OriginFor<T>,
	) -> Result<Actor<T::AccountId>, DispatchError> {
		match T::RegulatorOrigin::try_origin(origin) {
			Ok(_) => Ok(Actor::Regulator),
			Err(origin) => Ok(Actor::Account(T::NotifiedBodyOrigin::ensure_origin(origin)?)),
		}
	}

	pub(crate) fn do_submit_model(
		manufacturer: T::AccountId,
		name: NameOf<T>,
		spec: ModelSpec,
	) -> Result<ModelId, DispatchError> {
		ensure!(spec.resolution_milli > 0, Error::<T>::ZeroResolution);
		ensure!(
			spec.min_interval_ms > 0 && spec.min_interval_ms <= spec.max_interval_ms,
			Error::<T>::InvalidIntervalBounds
		);
		let model = NextModelId::<T>::get();
		let next = model.checked_add(1).ok_or(Error::<T>::IdsExhausted)?;
		Models::<T>::insert(
			model,
			MeterModel {
				manufacturer: manufacturer.clone(),
				name,
				spec,
				status: ModelStatus::Pending,
			},
		);
		NextModelId::<T>::put(next);
		Self::append_audit(
			AuditSubject::Model(model),
			Actor::Account(manufacturer.clone()),
			AuditChange::ModelSubmitted { spec },
		);
		Self::deposit_event(Event::ModelSubmitted { model, manufacturer, spec });
		Ok(model)
	}

	pub(crate) fn do_decide_model(
		model: ModelId,
		body: T::AccountId,
		decision: ModelDecision,
	) -> DispatchResult {
		Models::<T>::try_mutate(model, |entry| {
			let entry = entry.as_mut().ok_or(Error::<T>::UnknownModel)?;
			let (required, error) = match decision {
				ModelDecision::Approve | ModelDecision::Reject(_) => {
					(ModelStatus::Pending, Error::<T>::ModelNotPending)
				}
				ModelDecision::Withdraw(_) => (ModelStatus::Approved, Error::<T>::ModelNotApproved),
			};
			ensure!(entry.status == required, error);
			let actor = Actor::Account(body.clone());
			let subject = AuditSubject::Model(model);
			match decision {
				ModelDecision::Approve => {
					entry.status = ModelStatus::Approved;
					Self::append_audit(subject, actor, AuditChange::ModelApproved);
					Self::deposit_event(Event::ModelApproved { model, by: body });
				}
				ModelDecision::Reject(reason) => {
					entry.status = ModelStatus::Rejected;
					Self::append_audit(subject, actor, AuditChange::ModelRejected { reason });
					Self::deposit_event(Event::ModelRejected { model, by: body, reason });
				}
				ModelDecision::Withdraw(reason) => {
					entry.status = ModelStatus::Withdrawn;
					let change = AuditChange::ModelApprovalWithdrawn { reason };
					Self::append_audit(subject, actor, change);
					Self::deposit_event(Event::ModelApprovalWithdrawn { model, by: body, reason });
				}
			}
			Ok(())
		})
	}

	pub(crate) fn do_provision_meter(
		manufacturer: T::AccountId,
		model: ModelId,
		device_key: DeviceKey,
		serial: SerialOf<T>,
	) -> Result<MeterId, DispatchError> {
		let entry = Models::<T>::get(model).ok_or(Error::<T>::UnknownModel)?;
		ensure!(entry.status == ModelStatus::Approved, Error::<T>::ModelNotApproved);
		ensure!(entry.manufacturer == manufacturer, Error::<T>::NotModelManufacturer);
		ensure!(!DeviceKeys::<T>::contains_key(&device_key), Error::<T>::DeviceKeyInUse);
		ensure!(!Serials::<T>::contains_key(&manufacturer, &serial), Error::<T>::SerialInUse);
		let meter = NextMeterId::<T>::get();
		let next = meter.checked_add(1).ok_or(Error::<T>::IdsExhausted)?;

		let deposit = T::MeterDeposit::get();
		T::Currency::hold(&HoldReason::MeterDeposit.into(), &manufacturer, deposit)
			.map_err(|_| Error::<T>::InsufficientDeposit)?;

		Meters::<T>::insert(
			meter,
			Meter {
				model,
				manufacturer: manufacturer.clone(),
				serial: serial.clone(),
				device_key: device_key.clone(),
				status: MeterStatus::Provisioned,
				supply_point: None,
				verified_by: None,
				lr_program: None,
				deposit,
			},
		);
		DeviceKeys::<T>::insert(&device_key, meter);
		Serials::<T>::insert(&manufacturer, &serial, meter);
		NextMeterId::<T>::put(next);
		Self::append_audit(
			AuditSubject::Meter(meter),
			Actor::Account(manufacturer.clone()),
			AuditChange::MeterProvisioned { model, device_key: device_key.clone() },
		);
		Self::deposit_event(Event::MeterProvisioned {
			meter,
			model,
			manufacturer,
			device_key,
			deposit,
		});
		Self::frame_rules_changed(meter);
		Ok(meter)
	}

	pub(crate) fn do_verify_meter(
		meter: MeterId,
		body: T::AccountId,
		supply_point: SupplyPoint,
	) -> DispatchResult {
		Meters::<T>::try_mutate(meter, |entry| {
			let entry = entry.as_mut().ok_or(Error::<T>::UnknownMeter)?;
			ensure!(entry.status == MeterStatus::Provisioned, Error::<T>::IllegalStatusTransition);
			entry.status = MeterStatus::Active;
			entry.supply_point = Some(supply_point.clone());
			entry.verified_by = Some(body.clone());
			Ok::<_, DispatchError>(())
		})?;
		Self::append_audit(
			AuditSubject::Meter(meter),
			Actor::Account(body.clone()),
			AuditChange::MeterVerified { supply_point: supply_point.clone() },
		);
		Self::deposit_event(Event::MeterVerified { meter, by: body, supply_point });
		<T::OnMeterVerified as mensura_primitives::metering::OnMeterVerified>::meter_verified(
			meter,
		);
		Self::frame_rules_changed(meter);
		Ok(())
	}

	pub(crate) fn do_change_status(
		meter: MeterId,
		body: T::AccountId,
		to: MeterStatus,
		reason: StatusReason,
	) -> DispatchResult {
		let (from, manufacturer, deposit) = Meters::<T>::try_mutate(meter, |entry| {
			let entry = entry.as_mut().ok_or(Error::<T>::UnknownMeter)?;
			let from = entry.status;
			// Verification is its own call: it binds a supply point.
			ensure!(
				from != MeterStatus::Provisioned || to == MeterStatus::Revoked,
				Error::<T>::IllegalStatusTransition
			);
			ensure!(from.can_become(to), Error::<T>::IllegalStatusTransition);
			entry.status = to;
			let deposit = if to == MeterStatus::Revoked {
				core::mem::take(&mut entry.deposit)
			} else {
				Zero::zero()
			};
			Ok::<_, DispatchError>((from, entry.manufacturer.clone(), deposit))
		})?;
		if !deposit.is_zero() {
			let released = T::Currency::release(
				&HoldReason::MeterDeposit.into(),
				&manufacturer,
				deposit,
				Precision::BestEffort,
			)?;
			Self::deposit_event(Event::MeterDepositReleased {
				meter,
				manufacturer,
				amount: released,
			});
		}
		Self::append_audit(
			AuditSubject::Meter(meter),
			Actor::Account(body.clone()),
			AuditChange::StatusChanged { from, to, reason },
		);
		Self::deposit_event(Event::MeterStatusChanged { meter, by: body, from, to, reason });
		Self::frame_rules_changed(meter);
		Ok(())
	}

	/// `body` approves giving `meter` the key `new`; the key is replaced once
	/// [`Config::KeyRotationApprovals`] bodies that are still notified bodies approved it.
	pub(crate) fn approve_rotation(
		meter: MeterId,
		body: T::AccountId,
		new: DeviceKey,
	) -> DispatchResult {
		ensure!(!DeviceKeys::<T>::contains_key(&new), Error::<T>::DeviceKeyInUse);
		let record = Meters::<T>::get(meter).ok_or(Error::<T>::UnknownMeter)?;
		ensure!(record.status != MeterStatus::Revoked, Error::<T>::MeterRevoked);
		let mut pending = match PendingKeyRotations::<T>::get(meter) {
			Some(pending) if pending.key == new => pending,
			_ => PendingRotation { key: new.clone(), approvals: Default::default() },
		};
		// A removed body's approval no longer counts.
		pending.approvals.retain(|b| NotifiedBodies::<T>::contains_key(b));
		ensure!(!pending.approvals.contains(&body), Error::<T>::AlreadyApprovedRotation);
		pending
			.approvals
			.try_push(body.clone())
			.map_err(|_| Error::<T>::AlreadyApprovedRotation)?;
		let approvals = pending.approvals.len() as u32;
		Self::deposit_event(Event::DeviceKeyRotationApproved {
			meter,
			by: body.clone(),
			new: new.clone(),
			approvals,
		});
		if approvals >= T::KeyRotationApprovals::get() {
			PendingKeyRotations::<T>::remove(meter);
			Self::do_rotate_device_key(meter, Actor::Account(body), new)
		} else {
			PendingKeyRotations::<T>::insert(meter, pending);
			Ok(())
		}
	}

	pub(crate) fn do_rotate_device_key(
		meter: MeterId,
		by: Actor<T::AccountId>,
		new: DeviceKey,
	) -> DispatchResult {
		ensure!(!DeviceKeys::<T>::contains_key(&new), Error::<T>::DeviceKeyInUse);
		let old = Meters::<T>::try_mutate(meter, |entry| {
			let entry = entry.as_mut().ok_or(Error::<T>::UnknownMeter)?;
			ensure!(entry.status != MeterStatus::Revoked, Error::<T>::MeterRevoked);
			Ok::<_, DispatchError>(core::mem::replace(&mut entry.device_key, new.clone()))
		})?;
		// The old key stays registered to this meter, so it can never be reused.
		DeviceKeys::<T>::insert(&new, meter);
		PendingKeyRotations::<T>::remove(meter);
		Self::append_audit(
			AuditSubject::Meter(meter),
			by.clone(),
			AuditChange::DeviceKeyRotated { old: old.clone(), new: new.clone() },
		);
		Self::deposit_event(Event::DeviceKeyRotated { meter, by, old, new });
		<T::OnDeviceKeyRotated as mensura_primitives::metering::OnDeviceKeyRotated>::device_key_rotated(meter);
		Self::frame_rules_changed(meter);
		Ok(())
	}

	/// Tells [`Config::OnFrameRulesChanged`] what `meter`'s frames are now checked
	/// against, after a change to its record.
	pub(crate) fn frame_rules_changed(meter: MeterId) {
		if let Some(rules) = <Self as MeterRegistry>::frame_rules(meter) {
			<T::OnFrameRulesChanged as OnFrameRulesChanged>::frame_rules_changed(meter, rules);
		}
	}

	/// What telling [`Config::OnFrameRulesChanged`] of a change may weigh: its own weight
	/// and the reads of the record it is told from (cached by the change's own).
	pub fn frame_rules_weight() -> Weight {
		<T::OnFrameRulesChanged as OnFrameRulesChanged>::weight()
			.saturating_add(T::DbWeight::get().reads(2))
	}

	/// Appends an entry to `subject`'s audit trail and returns its index. The trail is
	/// append-only: an index is used once and its entry never changes.
	pub(crate) fn append_audit(
		subject: AuditSubject,
		actor: Actor<T::AccountId>,
		change: AuditChange,
	) -> AuditIndex {
		let index = AuditLength::<T>::get(subject);
		let entry = AuditEntry { block: frame_system::Pallet::<T>::block_number(), actor, change };
		AuditLog::<T>::insert(subject, index, entry);
		// 2^32 entries for one meter cannot happen; saturate rather than overwrite.
		AuditLength::<T>::insert(subject, index.saturating_add(1));
		index
	}

	/// Up to `limit` entries of `subject`'s trail, starting at index `from`.
	pub fn audit_trail(
		subject: AuditSubject,
		from: AuditIndex,
		limit: u32,
	) -> Vec<(AuditIndex, AuditEntry<T::AccountId, BlockNumberFor<T>>)> {
		let end = AuditLength::<T>::get(subject).min(from.saturating_add(limit));
		(from..end)
			.filter_map(|index| AuditLog::<T>::get(subject, index).map(|entry| (index, entry)))
			.collect()
	}

	/// The invariants of this pallet's storage; see [`types`] for what each means.
	#[cfg(any(feature = "try-runtime", feature = "std", test))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		crate::types::invariants::check::<T>()
	}
}
