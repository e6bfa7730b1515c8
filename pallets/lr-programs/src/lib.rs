//! # LR programs: the registry of approved, identifiable legally relevant computations
//!
//! ## Overview
//!
//! A **measurer** publishes an LR program — a pipeline of operators in the byte format of
//! `mensura_lr::program` — with a human version, holding a deposit. The program is
//! identified by the BLAKE2b-256 hash of its bytes. It may compute measurements only once
//! [`RequiredApprovals`] notified bodies have approved **that hash**; a notified body then
//! binds meters to it. Exposed in the runtime as `LrPrograms`.
//!
//! Lifecycle: `Proposed` → `Approved` → `Deprecated`.
//! - A proposed program may be withdrawn by its measurer: it has measured nothing, so it
//!   is removed and the deposit released.
//! - An approved program may be deprecated by its measurer or a notified body: frames of
//!   meters still bound to it are refused from then on. The record stays for ever (every
//!   measurement it computed names it), and the deposit is released.
//!
//! Every step lands in the program's audit trail (`AuditSubject::Program`), and every
//! binding in the meter's (`AuditChange::LrProgramBound`).
//!
//! ## Interface
//!
//! - signed (a measurer): [`Pallet::publish_program`], [`Pallet::withdraw_program`],
//!   [`Pallet::deprecate_program`];
//! - notified body: [`Pallet::approve_program`], [`Pallet::deprecate_program`],
//!   [`Pallet::bind_meter`];
//! - regulator: [`Pallet::set_required_approvals`].
//!
//! The ingestion pallet reads usable programs through
//! [`mensura_primitives::readings::LrProgramProvider`], implemented by [`Pallet`].

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod features;
mod impl_traits;
pub mod migrations;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod types;
pub mod weights;

pub use pallet::*;
pub use types::*;
pub use weights::WeightInfo;

use mensura_primitives::metering::ProgramVersion;

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use alloc::vec::Vec;
	use frame_support::{
		pallet_prelude::*,
		traits::fungible::{Mutate, MutateHold},
	};
	use frame_system::pallet_prelude::*;
	use mensura_primitives::{
		metering::{Actor, AuditTrail, MeterId, ProgramHash},
		readings::LrProgramBinding,
	};

	const STORAGE_VERSION: StorageVersion = StorageVersion::new(2);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// Default values for the configuration a test runtime rarely changes.
	pub mod config_preludes {
		use super::*;
		use frame_support::derive_impl;

		/// For mock runtimes: the largest programs, 4 approvals, weights of `()`.
		pub struct TestDefaultConfig;

		#[derive_impl(frame_system::config_preludes::TestDefaultConfig, no_aggregated_types)]
		impl frame_system::DefaultConfig for TestDefaultConfig {}

		#[frame_support::register_default_impl(TestDefaultConfig)]
		impl DefaultConfig for TestDefaultConfig {
			type MaxProgramLen = ConstU32<1024>;
			type MaxApprovals = ConstU32<4>;
			type MaxProgramsPerBody = ConstU32<16>;
			type WeightInfo = ();
		}
	}

	#[pallet::config(with_default)]
	pub trait Config: frame_system::Config {
		/// The currency in which program deposits are held.
		#[pallet::no_default]
		type Currency: Mutate<Self::AccountId>
			+ MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;

		/// The overarching hold reason.
		#[pallet::no_default]
		type RuntimeHoldReason: From<HoldReason>;

		/// The regulator: sets how many approvals a program needs (root in Mensura).
		#[pallet::no_default]
		type RegulatorOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// A notified body (`pallet_meters::EnsureNotifiedBody` in Mensura).
		#[pallet::no_default]
		type NotifiedBodyOrigin: EnsureOrigin<Self::RuntimeOrigin, Success = Self::AccountId>;

		/// Where meters are bound to programs (the meter registry).
		#[pallet::no_default]
		type Binding: LrProgramBinding<Self::AccountId>;

		/// Who is a notified body now (the meter registry): only current bodies'
		/// approvals and deprecation votes count.
		#[pallet::no_default]
		type Bodies: mensura_primitives::metering::NotifiedBodies<Self::AccountId>;

		/// The audit trails.
		#[pallet::no_default]
		type Audit: AuditTrail<Self::AccountId>;

		/// The deposit held for a published program, whatever its size.
		#[pallet::constant]
		#[pallet::no_default]
		type ProgramDeposit: Get<BalanceOf<Self>>;

		/// The deposit held per byte of a program's code, on top.
		#[pallet::constant]
		#[pallet::no_default]
		type ProgramByteDeposit: Get<BalanceOf<Self>>;

		/// The longest program, in bytes.
		#[pallet::constant]
		type MaxProgramLen: Get<u32>;

		/// The most approvals a program records (and the most that can be required).
		#[pallet::constant]
		type MaxApprovals: Get<u32>;

		/// The most programs one notified body's approvals may stand for (bounds what
		/// removing a body costs).
		#[pallet::constant]
		type MaxProgramsPerBody: Get<u32>;

		/// Weights of this pallet's calls.
		type WeightInfo: WeightInfo;
	}

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// A measurer's deposit for a published program.
		ProgramDeposit,
	}

	/// How many distinct notified bodies must approve a program's hash before it computes.
	#[pallet::storage]
	pub type RequiredApprovals<T: Config> = StorageValue<_, u32, ValueQuery, ConstU32<1>>;

	/// The programs each notified body approved (dropped with the body's approvals when
	/// the regulator removes it).
	#[pallet::storage]
	pub type ApprovedBy<T: Config> = StorageMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		BoundedVec<ProgramHash, T::MaxProgramsPerBody>,
		ValueQuery,
	>;

	/// Notified bodies' votes to deprecate an approved program: it is deprecated once as
	/// many current bodies as [`RequiredApprovals`] voted.
	#[pallet::storage]
	pub type DeprecationVotes<T: Config> =
		StorageMap<_, Identity, ProgramHash, BoundedVec<T::AccountId, T::MaxApprovals>, ValueQuery>;

	/// Published programs, by the hash of their code.
	#[pallet::storage]
	pub type Programs<T: Config> =
		StorageMap<_, Identity, ProgramHash, ProgramRecordOf<T>, OptionQuery>;

	/// How many approved programs have each number of operators. Only an approved
	/// program computes, so its most ([`OpsCounts::most`]) bounds the program of any
	/// frame the chain accepts now: the ingestion pallet declares a frame's weight with
	/// it before the frame's meter, hence its program, is read
	/// ([`LrProgramProvider::most_ops`](mensura_primitives::readings::LrProgramProvider::most_ops)).
	/// Kept wherever a program becomes approved or stops being so.
	#[pallet::storage]
	pub type ApprovedOps<T: Config> = StorageValue<_, OpsCounts, ValueQuery>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// The approvals a program needs; 0 keeps the default of 1.
		pub required_approvals: u32,
		/// Programs: measurer, version, code, approving notified bodies, meters bound to
		/// it. The measurer holds the deposit; the meters must exist (`Meters` builds
		/// first).
		pub programs: Vec<GenesisProgram<T::AccountId>>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			if self.required_approvals > 0 {
				assert!(self.required_approvals <= T::MaxApprovals::get(), "genesis: approvals");
				RequiredApprovals::<T>::put(self.required_approvals);
			}
			for (measurer, version, code, approvers, meters) in &self.programs {
				let hash = Pallet::<T>::do_publish(measurer.clone(), code.clone(), version.clone())
					.expect("genesis: program publishable (valid code, deposit affordable)");
				for body in approvers {
					Pallet::<T>::do_approve(hash, body.clone()).expect("genesis: approvable");
				}
				for meter in meters {
					Pallet::<T>::do_bind(*meter, hash, body_or_first(approvers))
						.expect("genesis: meter bindable to an approved program");
				}
			}
			fn body_or_first<A: Clone>(approvers: &[A]) -> A {
				approvers
					.first()
					.cloned()
					.expect("genesis: a program bound at genesis has approvers")
			}
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A measurer published a program, holding `deposit`.
		ProgramPublished {
			program: ProgramHash,
			measurer: T::AccountId,
			version: ProgramVersion,
			deposit: BalanceOf<T>,
		},
		/// A notified body approved a program's hash.
		ProgramApprovalGiven { program: ProgramHash, by: T::AccountId, approvals: u32 },
		/// The program has the approvals it needs: it may be bound and compute.
		ProgramApproved { program: ProgramHash },
		/// The measurer withdrew a program that was never approved.
		ProgramWithdrawn { program: ProgramHash },
		/// The program was deprecated: by its measurer, the regulator, or the notified
		/// body whose vote completed the deprecation.
		ProgramDeprecated { program: ProgramHash, by: Actor<T::AccountId> },
		/// A notified body voted to deprecate the program; `votes` current bodies have.
		ProgramDeprecationVoted { program: ProgramHash, by: T::AccountId, votes: u32 },
		/// The regulator removed a notified body that approved the program, which now has
		/// fewer approvals than it needs: it is proposed again, and frames of meters bound
		/// to it are refused until enough bodies approve it.
		ProgramApprovalLost { program: ProgramHash },
		/// A notified body bound a meter to an approved program.
		MeterBound { meter: MeterId, program: ProgramHash, by: T::AccountId },
		/// The regulator changed how many approvals a program needs.
		RequiredApprovalsSet { approvals: u32 },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The code is not a valid LR program (see `mensura_lr::ProgramError`).
		InvalidProgram,
		/// The code is longer than `MaxProgramLen`.
		ProgramTooLong,
		/// The version is longer than 32 bytes.
		VersionTooLong,
		/// A program with the same code (hence hash) is already published.
		ProgramExists,
		/// No program has this hash.
		UnknownProgram,
		/// This notified body already approved the program.
		AlreadyApproved,
		/// This notified body already voted to deprecate the program.
		AlreadyVoted,
		/// The notified body's approvals stand for as many programs as they may.
		TooManyProgramsApproved,
		/// The program is deprecated.
		ProgramDeprecated,
		/// The program is not approved (yet).
		ProgramNotApproved,
		/// The program is no longer merely proposed.
		ProgramNotProposed,
		/// The caller is neither the program's measurer nor a notified body.
		NotProgramMeasurer,
		/// The program already has `MaxApprovals` approvals.
		TooManyApprovals,
		/// Approvals required must be between 1 and `MaxApprovals`.
		BadApprovalCount,
		/// The measurer cannot afford the deposit.
		InsufficientDeposit,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Publishes the LR program `code` as `version`, holding `ProgramDeposit` plus
		/// `ProgramByteDeposit` per byte. The program is checked (`mensura_lr`) and
		/// identified by the BLAKE2b-256 hash of `code`.
		///
		/// Origin: signed (the measurer). Emits `ProgramPublished`.
		/// Errors: `ProgramTooLong`, `VersionTooLong`, `InvalidProgram`, `ProgramExists`,
		/// `InsufficientDeposit`.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::publish_program(code.len() as u32))]
		pub fn publish_program(
			origin: OriginFor<T>,
			code: Vec<u8>,
			version: Vec<u8>,
		) -> DispatchResult {
			let measurer = ensure_signed(origin)?;
			Self::do_publish(measurer, code, version).map(|_| ())
		}

		/// Approves the program `program` (its exact hash). When it reaches
		/// `RequiredApprovals`, it becomes `Approved`.
		///
		/// Origin: a notified body. Emits `ProgramApprovalGiven`, then `ProgramApproved`
		/// on the decisive approval. Errors: `UnknownProgram`, `ProgramDeprecated`,
		/// `AlreadyApproved`, `TooManyApprovals`.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::approve_program())]
		pub fn approve_program(origin: OriginFor<T>, program: ProgramHash) -> DispatchResult {
			let body = T::NotifiedBodyOrigin::ensure_origin(origin)?;
			Self::do_approve(program, body)
		}

		/// Withdraws a program that was never approved: it is removed and its deposit
		/// released.
		///
		/// Origin: the program's measurer. Emits `ProgramWithdrawn`.
		/// Errors: `UnknownProgram`, `NotProgramMeasurer`, `ProgramNotProposed`.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::withdraw_program().saturating_add(
			// The index of each body that approved it (fewer than required).
			T::DbWeight::get().reads_writes(
				u64::from(T::MaxApprovals::get()),
				u64::from(T::MaxApprovals::get()),
			)
		))]
		pub fn withdraw_program(origin: OriginFor<T>, program: ProgramHash) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let record = Programs::<T>::get(program).ok_or(Error::<T>::UnknownProgram)?;
			ensure!(record.measurer == who, Error::<T>::NotProgramMeasurer);
			ensure!(record.status == ProgramStatus::Proposed, Error::<T>::ProgramNotProposed);
			Self::release(&record)?;
			Programs::<T>::remove(program);
			for body in &record.approvals {
				ApprovedBy::<T>::mutate(body, |programs| programs.retain(|p| *p != program));
			}
			Self::deposit_event(Event::ProgramWithdrawn { program });
			Ok(())
		}

		/// Deprecates an approved program: frames of meters bound to it are refused from
		/// now on. The record stays; the deposit is released. Its measurer or the
		/// regulator deprecates it at once; a notified body votes, and the program is
		/// deprecated once as many current bodies as [`RequiredApprovals`] voted (one body
		/// cannot stop every meter bound to a program).
		///
		/// Origin: the program's measurer, the regulator or a notified body. Emits
		/// `ProgramDeprecationVoted` (a body's vote) and `ProgramDeprecated`.
		/// Errors: `UnknownProgram`, `NotProgramMeasurer`, `ProgramNotApproved`,
		/// `AlreadyVoted`.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::deprecate_program().saturating_add(
			// The votes, and whether each voter is still a notified body.
			T::DbWeight::get().reads_writes(1 + u64::from(T::MaxApprovals::get()), 1)
		))]
		pub fn deprecate_program(origin: OriginFor<T>, program: ProgramHash) -> DispatchResult {
			let by = match T::RegulatorOrigin::try_origin(origin) {
				Ok(_) => Actor::Regulator,
				Err(origin) => match T::NotifiedBodyOrigin::try_origin(origin) {
					Ok(body) => return Self::vote_deprecation(program, body),
					Err(origin) => Actor::Account(ensure_signed(origin)?),
				},
			};
			let record = Programs::<T>::get(program).ok_or(Error::<T>::UnknownProgram)?;
			if let Actor::Account(who) = &by {
				ensure!(record.measurer == *who, Error::<T>::NotProgramMeasurer);
			}
			Self::deprecate(program, record, by)
		}

		/// Binds `meter` to the approved program `program`; its frames are computed by it
		/// from then on. Lands in the meter's audit trail.
		///
		/// Origin: a notified body. Emits `MeterBound`. Errors: `UnknownProgram`,
		/// `ProgramNotApproved`, `ProgramDeprecated`, and the meter registry's
		/// `UnknownMeter`, `MeterRevoked`.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::bind_meter().saturating_add(T::Binding::notification_weight()))]
		pub fn bind_meter(
			origin: OriginFor<T>,
			meter: MeterId,
			program: ProgramHash,
		) -> DispatchResult {
			let body = T::NotifiedBodyOrigin::ensure_origin(origin)?;
			Self::do_bind(meter, program, body)
		}

		/// Sets how many notified bodies must approve a program. Programs already
		/// approved stay approved; a proposed program is judged at its next approval.
		///
		/// Origin: the regulator. Emits `RequiredApprovalsSet`. Errors: `BadApprovalCount`.
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::set_required_approvals())]
		pub fn set_required_approvals(origin: OriginFor<T>, approvals: u32) -> DispatchResult {
			T::RegulatorOrigin::ensure_origin(origin)?;
			ensure!(
				(1..=T::MaxApprovals::get()).contains(&approvals),
				Error::<T>::BadApprovalCount
			);
			RequiredApprovals::<T>::put(approvals);
			Self::deposit_event(Event::RequiredApprovalsSet { approvals });
			Ok(())
		}
	}
}
