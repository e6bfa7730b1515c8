//! Every runtime API the Mensura runtime implements, in one place.
//!
//! Polkadot.js shows them under `api.call.*`; the node calls them to author, import and
//! validate blocks and transactions.

use crate::{
	AccountId, Aura, Balance, Block, Executive, Grandpa, InherentDataExt, Nonce, Runtime,
	RuntimeCall, RuntimeGenesisConfig, SessionKeys, System, TransactionPayment, VERSION,
};
use alloc::vec::Vec;
use frame_support::{
	genesis_builder_helper::{build_state, get_preset},
	weights::Weight,
};
use mensura_primitives::{
	metering::{
		AuditEntry, AuditIndex, AuditSubject, DeviceKey, MeterId, MeterRegistry, ModelId,
		ProgramHash,
	},
	readings::{FrameRejection, ReadingState, SignedFrame},
};
use pallet_grandpa::AuthorityId as GrandpaId;
use sp_api::impl_runtime_apis;
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_core::{crypto::KeyTypeId, OpaqueMetadata};
use sp_runtime::{
	traits::{Block as BlockT, NumberFor},
	transaction_validity::{TransactionSource, TransactionValidity},
	ApplyExtrinsicResult, ExtrinsicInclusionMode,
};
use sp_version::RuntimeVersion;

impl_runtime_apis! {
	impl sp_api::Core<Block> for Runtime {
		fn version() -> RuntimeVersion {
			VERSION
		}

		fn execute_block(block: <Block as BlockT>::LazyBlock) {
			Executive::execute_block(block);
		}

		fn initialize_block(header: &<Block as BlockT>::Header) -> ExtrinsicInclusionMode {
			Executive::initialize_block(header)
		}
	}

	impl sp_api::Metadata<Block> for Runtime {
		fn metadata() -> OpaqueMetadata {
			OpaqueMetadata::new(Runtime::metadata().into())
		}

		fn metadata_at_version(version: u32) -> Option<OpaqueMetadata> {
			Runtime::metadata_at_version(version)
		}

		fn metadata_versions() -> Vec<u32> {
			Runtime::metadata_versions()
		}
	}

	impl frame_support::view_functions::runtime_api::RuntimeViewFunction<Block> for Runtime {
		fn execute_view_function(
			id: frame_support::view_functions::ViewFunctionId,
			input: Vec<u8>,
		) -> Result<Vec<u8>, frame_support::view_functions::ViewFunctionDispatchError> {
			Runtime::execute_view_function(id, input)
		}
	}

	impl sp_block_builder::BlockBuilder<Block> for Runtime {
		fn apply_extrinsic(extrinsic: <Block as BlockT>::Extrinsic) -> ApplyExtrinsicResult {
			Executive::apply_extrinsic(extrinsic)
		}

		fn finalize_block() -> <Block as BlockT>::Header {
			Executive::finalize_block()
		}

		fn inherent_extrinsics(data: sp_inherents::InherentData) -> Vec<<Block as BlockT>::Extrinsic> {
			data.create_extrinsics()
		}

		fn check_inherents(
			block: <Block as BlockT>::LazyBlock,
			data: sp_inherents::InherentData,
		) -> sp_inherents::CheckInherentsResult {
			data.check_extrinsics(&block)
		}
	}

	impl sp_transaction_pool::runtime_api::TaggedTransactionQueue<Block> for Runtime {
		fn validate_transaction(
			source: TransactionSource,
			tx: <Block as BlockT>::Extrinsic,
			block_hash: <Block as BlockT>::Hash,
		) -> TransactionValidity {
			Executive::validate_transaction(source, tx, block_hash)
		}
	}

	impl sp_offchain::OffchainWorkerApi<Block> for Runtime {
		fn offchain_worker(header: &<Block as BlockT>::Header) {
			Executive::offchain_worker(header)
		}
	}

	impl sp_consensus_aura::AuraApi<Block, AuraId> for Runtime {
		fn slot_duration() -> sp_consensus_aura::SlotDuration {
			sp_consensus_aura::SlotDuration::from_millis(Aura::slot_duration())
		}

		fn authorities() -> Vec<AuraId> {
			pallet_aura::Authorities::<Runtime>::get().into_inner()
		}
	}

	impl sp_session::SessionKeys<Block> for Runtime {
		fn generate_session_keys(
			owner: Vec<u8>,
			seed: Option<Vec<u8>>,
		) -> sp_session::OpaqueGeneratedSessionKeys {
			SessionKeys::generate(&owner, seed).into()
		}

		fn decode_session_keys(encoded: Vec<u8>) -> Option<Vec<(Vec<u8>, KeyTypeId)>> {
			SessionKeys::decode_into_raw_public_keys(&encoded)
		}
	}

	impl sp_consensus_grandpa::GrandpaApi<Block> for Runtime {
		fn grandpa_authorities() -> sp_consensus_grandpa::AuthorityList {
			Grandpa::grandpa_authorities()
		}

		fn current_set_id() -> sp_consensus_grandpa::SetId {
			Grandpa::current_set_id()
		}

		fn submit_report_equivocation_unsigned_extrinsic(
			_equivocation_proof: sp_consensus_grandpa::EquivocationProof<
				<Block as BlockT>::Hash,
				NumberFor<Block>,
			>,
			_key_owner_proof: sp_consensus_grandpa::OpaqueKeyOwnershipProof,
		) -> Option<()> {
			// No session pallet, so no key-ownership proofs: equivocations are not
			// reported on chain (see `configs::consensus`).
			None
		}

		fn generate_key_ownership_proof(
			_set_id: sp_consensus_grandpa::SetId,
			_authority_id: GrandpaId,
		) -> Option<sp_consensus_grandpa::OpaqueKeyOwnershipProof> {
			None
		}
	}

	impl frame_system_rpc_runtime_api::AccountNonceApi<Block, AccountId, Nonce> for Runtime {
		fn account_nonce(account: AccountId) -> Nonce {
			System::account_nonce(account)
		}
	}

	impl pallet_transaction_payment_rpc_runtime_api::TransactionPaymentApi<Block, Balance> for Runtime {
		fn query_info(
			uxt: <Block as BlockT>::Extrinsic,
			len: u32,
		) -> pallet_transaction_payment_rpc_runtime_api::RuntimeDispatchInfo<Balance> {
			TransactionPayment::query_info(uxt, len)
		}

		fn query_fee_details(
			uxt: <Block as BlockT>::Extrinsic,
			len: u32,
		) -> pallet_transaction_payment::FeeDetails<Balance> {
			TransactionPayment::query_fee_details(uxt, len)
		}

		fn query_weight_to_fee(weight: Weight) -> Balance {
			TransactionPayment::weight_to_fee(weight)
		}

		fn query_length_to_fee(length: u32) -> Balance {
			TransactionPayment::length_to_fee(length)
		}
	}

	impl pallet_transaction_payment_rpc_runtime_api::TransactionPaymentCallApi<Block, Balance, RuntimeCall>
		for Runtime
	{
		fn query_call_info(
			call: RuntimeCall,
			len: u32,
		) -> pallet_transaction_payment::RuntimeDispatchInfo<Balance> {
			TransactionPayment::query_call_info(call, len)
		}

		fn query_call_fee_details(
			call: RuntimeCall,
			len: u32,
		) -> pallet_transaction_payment::FeeDetails<Balance> {
			TransactionPayment::query_call_fee_details(call, len)
		}

		fn query_weight_to_fee(weight: Weight) -> Balance {
			TransactionPayment::weight_to_fee(weight)
		}

		fn query_length_to_fee(length: u32) -> Balance {
			TransactionPayment::length_to_fee(length)
		}
	}

	impl pallet_meters_runtime_api::MetersApi<
		Block,
		AccountId,
		Balance,
		crate::BlockNumber,
		pallet_meters::NameOf<Runtime>,
		pallet_meters::SerialOf<Runtime>,
	> for Runtime {
		fn meter(meter: MeterId) -> Option<pallet_meters::MeterOf<Runtime>> {
			pallet_meters::Meters::<Runtime>::get(meter)
		}

		fn meters(from: MeterId, limit: u32) -> Vec<(MeterId, pallet_meters::MeterOf<Runtime>)> {
			let limit = limit.min(pallet_meters_runtime_api::MAX_METER_PAGE);
			let end = pallet_meters::NextMeterId::<Runtime>::get().min(from.saturating_add(limit.into()));
			(from..end)
				.filter_map(|id| pallet_meters::Meters::<Runtime>::get(id).map(|meter| (id, meter)))
				.collect()
		}

		fn model(model: ModelId) -> Option<pallet_meters::ModelOf<Runtime>> {
			pallet_meters::Models::<Runtime>::get(model)
		}

		fn meter_by_device_key(device_key: DeviceKey) -> Option<MeterId> {
			pallet_meters::DeviceKeys::<Runtime>::get(device_key)
		}

		fn audit_length(subject: AuditSubject) -> AuditIndex {
			pallet_meters::AuditLength::<Runtime>::get(subject)
		}

		fn audit_trail(
			subject: AuditSubject,
			from: AuditIndex,
			limit: u32,
		) -> Vec<(AuditIndex, AuditEntry<AccountId, crate::BlockNumber>)> {
			let limit = limit.min(pallet_meters_runtime_api::MAX_AUDIT_PAGE);
			crate::Meters::audit_trail(subject, from, limit)
		}
	}

	impl pallet_readings_runtime_api::ReadingsApi<Block, AccountId> for Runtime {
		fn reading(meter: MeterId) -> ReadingState<AccountId> {
			pallet_readings::Readings::<Runtime>::get(meter)
		}

		fn check_frame(
			frame: Vec<u8>,
			signature: sp_runtime::MultiSignature,
		) -> Result<u128, FrameRejection> {
			let frame = frame.try_into().map_err(|_| FrameRejection::Malformed)?;
			crate::Readings::dry_run(&SignedFrame { frame, signature })
		}

		fn signing_message(frame: Vec<u8>) -> Vec<u8> {
			crate::Readings::signing_message(&frame).to_vec()
		}
	}

	impl pallet_lr_programs_runtime_api::LrProgramsApi<
		Block,
		pallet_lr_programs::ProgramRecordOf<Runtime>,
	> for Runtime {
		fn program(hash: ProgramHash) -> Option<pallet_lr_programs::ProgramRecordOf<Runtime>> {
			crate::LrPrograms::program(hash)
		}

		fn program_of_meter(
			meter: MeterId,
		) -> Option<(ProgramHash, pallet_lr_programs::ProgramRecordOf<Runtime>)> {
			let hash = <crate::Meters as MeterRegistry>::lr_program(meter)?;
			crate::LrPrograms::program(hash).map(|program| (hash, program))
		}
	}

	impl pallet_billing_runtime_api::BillingApi<
		Block,
		AccountId,
		pallet_billing::TariffOf<Runtime>,
		pallet_billing::ContractOf<Runtime>,
		pallet_billing::InvoiceViewOf<Runtime>,
	> for Runtime {
		fn billing_period() -> u64 {
			pallet_billing::BillingPeriod::<Runtime>::get()
		}

		fn tariff(tariff: pallet_billing::TariffId) -> Option<pallet_billing::TariffOf<Runtime>> {
			pallet_billing::Tariffs::<Runtime>::get(tariff)
		}

		fn contract(
			contract: pallet_billing::ContractId,
		) -> Option<pallet_billing::ContractOf<Runtime>> {
			pallet_billing::Contracts::<Runtime>::get(contract)
		}

		fn open_period(contract: pallet_billing::ContractId) -> Option<pallet_billing::OpenPeriod> {
			crate::Billing::open_period(contract)
		}

		fn contract_of_meter(meter: MeterId) -> Option<pallet_billing::ContractId> {
			pallet_readings::Readings::<Runtime>::get(meter).supply_contract()
		}

		fn contracts_of(account: AccountId) -> Vec<pallet_billing::ContractId> {
			let mut ids: Vec<_> =
				pallet_billing::ContractsOf::<Runtime>::iter_key_prefix(&account).collect();
			ids.sort_unstable();
			ids
		}

		fn invoice(
			invoice: pallet_billing::InvoiceId,
		) -> Option<pallet_billing::InvoiceViewOf<Runtime>> {
			crate::Billing::invoice_view(invoice)
		}

		fn invoices_of_consumer(
			consumer: AccountId,
			from: pallet_billing::InvoiceId,
			limit: u32,
		) -> Vec<(pallet_billing::InvoiceId, pallet_billing::InvoiceViewOf<Runtime>)> {
			let limit = limit.min(pallet_billing_runtime_api::MAX_INVOICE_PAGE);
			crate::Billing::page_of_invoices(
				pallet_billing::ConsumerInvoices::<Runtime>::iter_key_prefix(&consumer),
				from,
				limit,
			)
		}

		fn invoices_of_contract(
			contract: pallet_billing::ContractId,
			from: pallet_billing::InvoiceId,
			limit: u32,
		) -> Vec<(pallet_billing::InvoiceId, pallet_billing::InvoiceViewOf<Runtime>)> {
			let limit = limit.min(pallet_billing_runtime_api::MAX_INVOICE_PAGE);
			crate::Billing::page_of_invoices(
				pallet_billing::ContractInvoices::<Runtime>::iter_key_prefix(contract),
				from,
				limit,
			)
		}

		fn outstanding(consumer: AccountId) -> u128 {
			pallet_billing::Outstanding::<Runtime>::get(consumer)
		}

		fn prepaid_balance(consumer: AccountId) -> u128 {
			crate::Billing::prepaid_of(&consumer)
		}
	}

	impl pallet_rewards_runtime_api::RewardsApi<
		Block,
		AccountId,
		Balance,
		pallet_rewards::Earnings<Balance>,
		pallet_rewards::Totals<Balance>,
	> for Runtime {
		fn measuring_fee() -> (Balance, sp_runtime::Perbill) {
			(pallet_rewards::MeasuringFee::<Runtime>::get(), pallet_rewards::AuthorShare::<Runtime>::get())
		}

		fn rewards_of(account: AccountId) -> (Balance, pallet_rewards::Earnings<Balance>) {
			(
				pallet_rewards::Accrued::<Runtime>::get(&account),
				pallet_rewards::MeasurerEarnings::<Runtime>::get(&account),
			)
		}

		fn deposit_of(supplier: AccountId) -> (Balance, Balance) {
			(crate::Rewards::deposit_of(&supplier), pallet_rewards::SupplierDebt::<Runtime>::get(&supplier))
		}

		fn totals() -> pallet_rewards::Totals<Balance> {
			pallet_rewards::Ledger::<Runtime>::get()
		}
	}

	impl sp_genesis_builder::GenesisBuilder<Block> for Runtime {
		fn build_state(config: Vec<u8>) -> sp_genesis_builder::Result {
			build_state::<RuntimeGenesisConfig>(config)
		}

		fn get_preset(id: &Option<sp_genesis_builder::PresetId>) -> Option<Vec<u8>> {
			get_preset::<RuntimeGenesisConfig>(id, crate::genesis_config_presets::get_preset)
		}

		fn preset_names() -> Vec<sp_genesis_builder::PresetId> {
			crate::genesis_config_presets::preset_names()
		}
	}

	#[cfg(feature = "runtime-benchmarks")]
	impl frame_benchmarking::Benchmark<Block> for Runtime {
		fn benchmark_metadata(extra: bool) -> (
			Vec<frame_benchmarking::BenchmarkList>,
			Vec<frame_support::traits::StorageInfo>,
		) {
			use frame_benchmarking::BenchmarkList;
			use frame_support::traits::StorageInfoTrait;
			use frame_system_benchmarking::Pallet as SystemBench;
			use frame_system_benchmarking::extensions::Pallet as SystemExtensionsBench;
			use frame_benchmarking::baseline::Pallet as BaselineBench;

			let mut list = Vec::<BenchmarkList>::new();
			use crate::{
				Balances, Billing, LrPrograms, Meters, Readings, Rewards, Sudo, Surveillance, Timestamp,
				TransactionPayment,
			};
			list_benchmarks!(list, extra);
			let storage_info = crate::AllPalletsWithSystem::storage_info();
			(list, storage_info)
		}

		#[allow(non_local_definitions)]
		fn dispatch_benchmark(
			config: frame_benchmarking::BenchmarkConfig,
		) -> Result<Vec<frame_benchmarking::BenchmarkBatch>, alloc::string::String> {
			use frame_benchmarking::{baseline, BenchmarkBatch};
			use frame_support::traits::WhitelistedStorageKeys;
			use frame_system_benchmarking::Pallet as SystemBench;
			use frame_system_benchmarking::extensions::Pallet as SystemExtensionsBench;
			use frame_benchmarking::baseline::Pallet as BaselineBench;

			impl frame_system_benchmarking::Config for Runtime {}
			impl pallet_transaction_payment::BenchmarkConfig for Runtime {}
			impl baseline::Config for Runtime {}

			let whitelist = crate::AllPalletsWithSystem::whitelisted_storage_keys();
			let mut batches = Vec::<BenchmarkBatch>::new();
			let params = (&config, &whitelist);
			use crate::{
				Balances, Billing, LrPrograms, Meters, Readings, Rewards, Sudo, Surveillance, Timestamp,
				TransactionPayment,
			};
			add_benchmarks!(params, batches);
			Ok(batches)
		}
	}

	#[cfg(feature = "try-runtime")]
	impl frame_try_runtime::TryRuntime<Block> for Runtime {
		fn on_runtime_upgrade(checks: frame_try_runtime::UpgradeCheckSelect) -> (Weight, Weight) {
			let weight = Executive::try_runtime_upgrade(checks).unwrap();
			use frame_support::traits::Get;
			(weight, crate::configs::RuntimeBlockWeights::get().max_block)
		}

		fn execute_block(
			block: <Block as BlockT>::LazyBlock,
			state_root_check: bool,
			signature_check: bool,
			select: frame_try_runtime::TryStateSelect,
		) -> Weight {
			Executive::try_execute_block(block, state_root_check, signature_check, select).unwrap()
		}
	}
}
