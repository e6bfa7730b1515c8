//! The runtime API of measurer rewards (`Rewards`), shown by Polkadot.js under
//! `api.call.rewardsApi`.

#![cfg_attr(not(feature = "std"), no_std)]

use codec::Codec;
use sp_runtime::Perbill;

sp_api::decl_runtime_apis! {
	/// Measurer rewards and suppliers' measurement deposits.
	pub trait RewardsApi<AccountId, Balance, Earnings, Totals>
	where
		AccountId: Codec,
		Balance: Codec,
		Earnings: Codec,
		Totals: Codec,
	{
		/// The fixed fee per measurement and the block author's share of it.
		fn measuring_fee() -> (Balance, Perbill);
		/// An account's rewards: what it can claim now, and (for a measurer) what it has
		/// earned, for how many measurements, and what suppliers owe it.
		fn rewards_of(account: AccountId) -> (Balance, Earnings);
		/// A supplier's measurement deposit (held) and its debt.
		fn deposit_of(supplier: AccountId) -> (Balance, Balance);
		/// The chain-wide totals: fees charged, shares, claimed, unfunded measurements.
		fn totals() -> Totals;
	}
}
