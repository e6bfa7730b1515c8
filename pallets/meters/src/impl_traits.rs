//! How other pallets use the registry: reading meters ([`MeterRegistry`]) and appending to
//! the audit trails ([`AuditTrail`]), and binding LR programs ([`LrProgramBinding`]), never
//! touching this pallet's storage themselves.

use crate::{Config, Error, Meters, Models, Pallet};
use frame_support::ensure;
use mensura_primitives::{
	metering::{
		Actor, AuditChange, AuditIndex, AuditSubject, AuditTrail, MeterId, MeterRegistry,
		MeterStatus, MeterSummary, MeterSuspension, ProgramHash, StatusReason,
	},
	readings::LrProgramBinding,
};
use sp_runtime::{DispatchError, DispatchResult};

impl<T: Config> MeterRegistry for Pallet<T> {
	fn meter(meter: MeterId) -> Option<MeterSummary> {
		let meter = Meters::<T>::get(meter)?;
		let model = Models::<T>::get(meter.model)?;
		Some(MeterSummary {
			model: meter.model,
			spec: model.spec,
			device_key: meter.device_key,
			status: meter.status,
			supply_point: meter.supply_point,
			lr_program: meter.lr_program,
		})
	}

	fn meter_ids() -> alloc::vec::Vec<MeterId> {
		// The keys of a `Twox64Concat` map of `u64`s come in hash order.
		let mut ids: alloc::vec::Vec<MeterId> = Meters::<T>::iter_keys().collect();
		ids.sort_unstable();
		ids
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn benchmark_active_meter(
		key: mensura_primitives::metering::DeviceKey,
		program: ProgramHash,
	) -> MeterId {
		use crate::{DeviceKeys, Meter, MeterModel, NextMeterId, Serials};
		use codec::Encode;
		use mensura_primitives::metering::{MeasurementUnit, MeterKind, ModelSpec, ModelStatus};
		let maker: T::AccountId = frame_benchmarking::account("benchmark-maker", 0, 0);
		if !Models::<T>::contains_key(0) {
			Models::<T>::insert(
				0,
				MeterModel {
					manufacturer: maker.clone(),
					name: Default::default(),
					spec: ModelSpec {
						kind: MeterKind::Electricity,
						unit: MeasurementUnit::WattHour,
						resolution_milli: 1,
						max_permissible_error: sp_runtime::Permill::from_percent(1),
						min_interval_ms: 1_000,
						max_interval_ms: 3_600_000,
					},
					status: ModelStatus::Approved,
				},
			);
			crate::NextModelId::<T>::put(1);
		}
		let id = NextMeterId::<T>::get();
		let serial: crate::SerialOf<T> =
			id.encode().try_into().expect("8 bytes fit any serial bound of the runtime");
		Meters::<T>::insert(
			id,
			Meter {
				model: 0,
				manufacturer: maker.clone(),
				serial: serial.clone(),
				device_key: key.clone(),
				status: MeterStatus::Active,
				supply_point: Some(Default::default()),
				verified_by: None,
				lr_program: Some(program),
				deposit: Default::default(),
			},
		);
		DeviceKeys::<T>::insert(key, id);
		Serials::<T>::insert(maker, serial, id);
		NextMeterId::<T>::put(id + 1);
		Pallet::<T>::frame_rules_changed(id);
		id
	}
}

impl<T: Config> AuditTrail<T::AccountId> for Pallet<T> {
	fn record(
		subject: AuditSubject,
		actor: Actor<T::AccountId>,
		change: AuditChange,
	) -> AuditIndex {
		Pallet::<T>::append_audit(subject, actor, change)
	}
}

impl<T: Config> MeterSuspension<T::AccountId> for Pallet<T> {
	fn suspend(meter: MeterId, body: T::AccountId, reason: StatusReason) -> DispatchResult {
		ensure!(crate::NotifiedBodies::<T>::contains_key(&body), Error::<T>::NotANotifiedBody);
		Pallet::<T>::do_change_status(meter, body, MeterStatus::Suspended, reason)
	}

	fn notification_weight() -> sp_runtime::Weight {
		Pallet::<T>::frame_rules_weight()
	}
}

impl<T: Config> mensura_primitives::metering::NotifiedBodies<T::AccountId> for Pallet<T> {
	fn is_notified_body(who: &T::AccountId) -> bool {
		crate::NotifiedBodies::<T>::contains_key(who)
	}

	fn verifier_of(meter: MeterId) -> Option<T::AccountId> {
		Meters::<T>::get(meter)?.verified_by
	}
}

impl<T: Config> LrProgramBinding<T::AccountId> for Pallet<T> {
	fn bind_lr_program(
		meter: MeterId,
		program: ProgramHash,
		actor: Actor<T::AccountId>,
	) -> DispatchResult {
		Meters::<T>::try_mutate(meter, |entry| {
			let entry = entry.as_mut().ok_or(Error::<T>::UnknownMeter)?;
			ensure!(entry.status != MeterStatus::Revoked, Error::<T>::MeterRevoked);
			// A verified meter's program is its verifying body's decision (or the
			// regulator's); an unverified one's, any body's until one verifies it.
			if let (Actor::Account(body), Some(verifier)) = (&actor, &entry.verified_by) {
				ensure!(body == verifier, Error::<T>::NotVerifyingBody);
			}
			entry.lr_program = Some(program);
			Ok::<_, DispatchError>(())
		})?;
		Pallet::<T>::append_audit(
			AuditSubject::Meter(meter),
			actor,
			AuditChange::LrProgramBound { program },
		);
		Pallet::<T>::frame_rules_changed(meter);
		Ok(())
	}

	fn notification_weight() -> sp_runtime::Weight {
		Pallet::<T>::frame_rules_weight()
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn benchmark_meter() -> MeterId {
		let next = crate::NextMeterId::<T>::get();
		// An ed25519 key (variant 0) unique to this meter id.
		let mut raw = [0u8; 33];
		raw[1..9].copy_from_slice(&next.to_le_bytes());
		let key = <mensura_primitives::metering::DeviceKey as codec::Decode>::decode(&mut &raw[..])
			.expect("33 bytes of variant 0 are an ed25519 device key");
		let meter = <Self as MeterRegistry>::benchmark_active_meter(key, ProgramHash::zero());
		Meters::<T>::mutate(meter, |m| {
			if let Some(m) = m.as_mut() {
				m.lr_program = None;
			}
		});
		Pallet::<T>::frame_rules_changed(meter);
		meter
	}
}
