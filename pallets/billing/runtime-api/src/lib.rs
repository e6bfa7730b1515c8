//! The runtime API of billing (`Billing`), shown by Polkadot.js under
//! `api.call.billingApi`.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

use alloc::vec::Vec;
use codec::Codec;
use mensura_primitives::{
	billing::{ContractId, InvoiceId, OpenPeriod, TariffId},
	metering::MeterId,
};

/// The most invoices one call returns; ask again from the next id for more.
pub const MAX_INVOICE_PAGE: u32 = 100;

sp_api::decl_runtime_apis! {
	/// Tariffs, supply contracts and invoices.
	///
	/// Version 2 adds `open_period`: from runtime 114 an active contract's open period
	/// is kept in its meter's reading record, no longer in the contract.
	#[api_version(2)]
	pub trait BillingApi<AccountId, Tariff, Contract, InvoiceView>
	where
		AccountId: Codec,
		Tariff: Codec,
		Contract: Codec,
		InvoiceView: Codec,
	{
		/// The length of a billing period, in milliseconds (periods are aligned to the
		/// Unix epoch).
		fn billing_period() -> u64;
		/// A tariff: its supplier, bands with prices per register unit, standing charge.
		fn tariff(tariff: TariffId) -> Option<Tariff>;
		/// A supply contract.
		fn contract(contract: ContractId) -> Option<Contract>;
		/// The open billing period of an active contract: what has been measured since
		/// it began, by band of its tariff. `None` for a contract that is not active.
		#[api_version(2)]
		fn open_period(contract: ContractId) -> Option<OpenPeriod>;
		/// The active contract of a meter.
		fn contract_of_meter(meter: MeterId) -> Option<ContractId>;
		/// The contracts an account is a party to (as supplier or consumer).
		fn contracts_of(account: AccountId) -> Vec<ContractId>;
		/// An invoice, with what is left to pay and whether it is overdue.
		fn invoice(invoice: InvoiceId) -> Option<InvoiceView>;
		/// Up to `limit` (at most 100) invoices of a consumer, from id `from` on.
		fn invoices_of_consumer(consumer: AccountId, from: InvoiceId, limit: u32) -> Vec<(InvoiceId, InvoiceView)>;
		/// Up to `limit` (at most 100) invoices of a contract, from id `from` on.
		fn invoices_of_contract(contract: ContractId, from: InvoiceId, limit: u32) -> Vec<(InvoiceId, InvoiceView)>;
		/// What a consumer owes over all its invoices.
		fn outstanding(consumer: AccountId) -> u128;
		/// A consumer's prepaid balance.
		fn prepaid_balance(consumer: AccountId) -> u128;
	}
}
