//! How other pallets use the registry: reading meters ([`MeterRegistry`]) and appending to
//! the audit trails ([`AuditTrail`]), never touching this pallet's storage themselves.

use crate::{Config, Meters, Models, Pallet};
use mensura_primitives::metering::{
	Actor, AuditChange, AuditIndex, AuditSubject, AuditTrail, MeterId, MeterRegistry, MeterSummary,
};

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
