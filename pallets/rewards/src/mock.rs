//! A test runtime: System, Balances and Rewards, with supply contracts, program
//! measurers and the block author kept in test-controlled tables.

use crate as pallet_rewards;
use core::cell::RefCell;
use frame_support::{derive_impl, traits::VariantCountOf};
use frame_system::EnsureRoot;
use mensura_primitives::{
	billing::{BlockAuthor, OnSupplied, ProgramMeasurer, SupplyContracts},
	metering::{MeterId, ProgramHash},
	readings::StoredMeasurement,
};
use sp_core::H256;
use sp_runtime::{BuildStorage, Perbill};
use std::collections::BTreeMap;

type Block = frame_system::mocking::MockBlock<Test>;

#[frame_support::runtime]
mod runtime {
	#[runtime::runtime]
	#[runtime::derive(
		RuntimeCall,
		RuntimeEvent,
		RuntimeError,
		RuntimeOrigin,
		RuntimeFreezeReason,
		RuntimeHoldReason,
		RuntimeSlashReason,
		RuntimeLockId,
		RuntimeTask,
		RuntimeViewFunction
	)]
	pub struct Test;

	#[runtime::pallet_index(0)]
	pub type System = frame_system;
	#[runtime::pallet_index(1)]
	pub type Balances = pallet_balances;
	#[runtime::pallet_index(2)]
	pub type Rewards = pallet_rewards;
}

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountData = pallet_balances::AccountData<u64>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type AccountStore = System;
	type RuntimeHoldReason = RuntimeHoldReason;
	type MaxFreezes = VariantCountOf<RuntimeFreezeReason>;
}

thread_local! {
	static SUPPLIERS: RefCell<BTreeMap<MeterId, u64>> = RefCell::new(BTreeMap::new());
	static BLOCK_AUTHOR: RefCell<Option<u64>> = const { RefCell::new(None) };
}

/// Meter → supplier, as supply contracts would say.
pub struct TestSuppliers;
impl SupplyContracts<u64> for TestSuppliers {
	fn supplier_of(meter: MeterId) -> Option<u64> {
		SUPPLIERS.with(|s| s.borrow().get(&meter).copied())
	}

	fn supplied_meters(supplier: &u64) -> u32 {
		SUPPLIERS.with(|s| s.borrow().values().filter(|s| *s == supplier).count() as u32)
	}

	/// Rewards never asks for consumers: these tests know suppliers only.
	fn consumer_of(_: MeterId) -> Option<u64> {
		None
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn benchmark_supply(meter: MeterId, supplier: u64) {
		set_supplier(meter, Some(supplier));
	}
}

/// Measurer `n` published the program [`program`]`(n)`.
pub struct TestMeasurers;
impl ProgramMeasurer<u64> for TestMeasurers {
	fn measurer(program: &ProgramHash) -> Option<u64> {
		let bytes = program.as_bytes();
		(bytes[8] == 1).then(|| u64::from_le_bytes(bytes[..8].try_into().unwrap()))
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn benchmark_program(measurer: u64) -> ProgramHash {
		program(measurer)
	}
}

pub struct TestAuthor;
impl BlockAuthor<u64> for TestAuthor {
	fn block_author() -> Option<u64> {
		BLOCK_AUTHOR.with(|a| *a.borrow())
	}
}

#[derive_impl(pallet_rewards::config_preludes::TestDefaultConfig)]
impl pallet_rewards::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type RegulatorOrigin = EnsureRoot<u64>;
	type Suppliers = TestSuppliers;
	type Measurers = TestMeasurers;
	type Author = TestAuthor;
}

/// Accounts of the tests.
pub const SUPPLIER: u64 = 10;
pub const OTHER_SUPPLIER: u64 = 11;
/// Measurer 3 published program(3).
pub const MEASURER: u64 = 3;
pub const AUTHOR: u64 = 20;
pub const CONSUMER: u64 = 30;

/// The fee of the tests.
pub const FEE: u64 = 5;

pub fn program(measurer: u64) -> ProgramHash {
	let mut bytes = [0u8; 32];
	bytes[..8].copy_from_slice(&measurer.to_le_bytes());
	bytes[8] = 1;
	H256(bytes)
}

pub fn set_supplier(meter: MeterId, supplier: Option<u64>) {
	SUPPLIERS.with(|s| match supplier {
		Some(supplier) => s.borrow_mut().insert(meter, supplier),
		None => s.borrow_mut().remove(&meter),
	});
}

pub fn set_author(author: Option<u64>) {
	BLOCK_AUTHOR.with(|a| *a.borrow_mut() = author);
}

/// Tells Rewards of a measurement of `meter` computed by `measurer`'s program, alone in
/// its block: the block ends (settling it) and the next begins.
pub fn measure(meter: MeterId, measurer: u64, quantity: u128) {
	measure_in_block(meter, measurer, quantity);
	end_block();
}

/// Ends the block: `on_finalize` settles its fees; the next block begins.
pub fn end_block() {
	let n = System::block_number();
	<crate::Pallet<Test> as frame_support::traits::Hooks<u64>>::on_finalize(n);
	System::set_block_number(n + 1);
}

/// Tells Rewards of a measurement within the current block, in a transaction of its own,
/// without ending the block.
pub fn measure_in_block(meter: MeterId, measurer: u64, quantity: u128) {
	let _ = measure_in_transaction(meter, measurer, quantity);
	<crate::Pallet<Test> as OnSupplied<u64>>::end_of_transaction();
}

/// Tells Rewards of a measurement within the current transaction, without ending it;
/// returns the weight it took.
pub fn measure_in_transaction(
	meter: MeterId,
	measurer: u64,
	quantity: u128,
) -> frame_support::weights::Weight {
	let m = StoredMeasurement {
		meter,
		index: 0,
		start: 0,
		end: 1,
		quantity,
		program: program(measurer),
		register: quantity,
		surveilled: false,
	};
	// As billing tells it: the supplier of the meter's contract.
	<crate::Pallet<Test> as OnSupplied<u64>>::on_supplied(
		&m,
		TestSuppliers::supplier_of(meter).as_ref(),
	)
}

/// Meters 0 and 1 are supplied by SUPPLIER, who holds a deposit of 20 (four fees);
/// meter 2 by OTHER_SUPPLIER, who holds none; meter 9 has no supplier.
pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> {
		balances: vec![(SUPPLIER, 1_000), (OTHER_SUPPLIER, 1_000), (MEASURER, 1), (AUTHOR, 1)],
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	pallet_rewards::GenesisConfig::<Test> {
		measuring_fee: FEE,
		author_share: Perbill::zero(),
		deposits: vec![(SUPPLIER, 4 * FEE)],
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		System::set_block_number(1);
		set_supplier(0, Some(SUPPLIER));
		set_supplier(1, Some(SUPPLIER));
		set_supplier(2, Some(OTHER_SUPPLIER));
		set_author(None);
	});
	ext
}

/// Runs `test` and then checks the pallet's invariants.
pub fn run(test: impl FnOnce()) {
	new_test_ext().execute_with(|| {
		test();
		crate::Pallet::<Test>::do_try_state().expect("invariants hold");
	});
}
