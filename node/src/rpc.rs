//! The node's JSON-RPC methods beyond the standard ones that `sc-service` provides
//! (chain, state, author, system): account nonces (`system_accountNextIndex`, …) and
//! fee estimates (`payment_queryInfo`, `payment_queryFeeDetails`), and Mensura's own
//! `mensura_*` methods (meters, measurements and consumption as JSON with pagination,
//! from the `mensura-rpc` crate; documented in `docs/polkadot-js.md`).

use std::sync::Arc;

use jsonrpsee::RpcModule;
use mensura_runtime::{opaque::Block, AccountId, Balance, BlockNumber, Nonce, Runtime};
use sc_transaction_pool_api::TransactionPool;
use sp_api::ProvideRuntimeApi;
use sp_block_builder::BlockBuilder;
use sp_blockchain::{Error as BlockChainError, HeaderBackend, HeaderMetadata};

/// What the RPC methods need from the node.
pub struct FullDeps<C, P> {
	/// The client, to read chain state and call runtime APIs.
	pub client: Arc<C>,
	/// The transaction pool, for nonces that count pending transactions.
	pub pool: Arc<P>,
}

/// All of Mensura's RPC extensions, merged into one module.
pub fn create_full<C, P>(
	deps: FullDeps<C, P>,
) -> Result<RpcModule<()>, Box<dyn std::error::Error + Send + Sync>>
where
	C: ProvideRuntimeApi<Block>
		+ HeaderBackend<Block>
		+ HeaderMetadata<Block, Error = BlockChainError>
		+ Send
		+ Sync
		+ 'static,
	C::Api: substrate_frame_rpc_system::AccountNonceApi<Block, AccountId, Nonce>
		+ pallet_transaction_payment_rpc::TransactionPaymentRuntimeApi<Block, Balance>
		+ BlockBuilder<Block>
		+ pallet_meters_runtime_api::MetersApi<
			Block,
			AccountId,
			Balance,
			BlockNumber,
			pallet_meters::NameOf<Runtime>,
			pallet_meters::SerialOf<Runtime>,
		> + pallet_readings_runtime_api::ReadingsApi<Block, AccountId>
		+ pallet_lr_programs_runtime_api::LrProgramsApi<
			Block,
			pallet_lr_programs::ProgramRecordOf<Runtime>,
		>,
	P: TransactionPool + 'static,
{
	use mensura_rpc::{Mensura, MensuraApiServer};
	use pallet_transaction_payment_rpc::{TransactionPayment, TransactionPaymentApiServer};
	use substrate_frame_rpc_system::{System, SystemApiServer};

	let mut module = RpcModule::new(());
	let FullDeps { client, pool } = deps;

	module.merge(System::new(client.clone(), pool).into_rpc())?;
	module.merge(TransactionPayment::new(client.clone()).into_rpc())?;
	module.merge(Mensura::new(client).into_rpc())?;

	Ok(module)
}
