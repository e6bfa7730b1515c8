//! The pallets benchmarked by `mensura-node benchmark pallet` (feature `runtime-benchmarks`).

frame_benchmarking::define_benchmarks!(
	[frame_benchmarking, BaselineBench::<Runtime>]
	[frame_system, SystemBench::<Runtime>]
	[frame_system_extensions, SystemExtensionsBench::<Runtime>]
	[pallet_balances, Balances]
	[pallet_timestamp, Timestamp]
	[pallet_sudo, Sudo]
	[pallet_transaction_payment, TransactionPayment]
	[pallet_meters, Meters]
	[pallet_lr_programs, LrPrograms]
	[pallet_readings, Readings]
	[pallet_rewards, Rewards]
	[pallet_billing, Billing]
	[pallet_surveillance, Surveillance]
);
