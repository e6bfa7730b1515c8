//! The roles of the registry as `EnsureOrigin` types: a signed origin whose account holds
//! the role, with the account as the success value.

use crate::{Config, Manufacturers, NotifiedBodies};
use core::marker::PhantomData;
use frame_support::traits::EnsureOrigin;
use frame_system::RawOrigin;

/// A signed origin whose account is a notified body.
pub struct EnsureNotifiedBody<T>(PhantomData<T>);

/// A signed origin whose account is an admitted manufacturer.
pub struct EnsureManufacturer<T>(PhantomData<T>);

macro_rules! role_origin {
	($origin:ident, $storage:ident, $name:literal) => {
		impl<T: Config> EnsureOrigin<T::RuntimeOrigin> for $origin<T> {
			type Success = T::AccountId;

			fn try_origin(origin: T::RuntimeOrigin) -> Result<Self::Success, T::RuntimeOrigin> {
				origin.into().and_then(|raw| match raw {
					RawOrigin::Signed(who) if $storage::<T>::contains_key(&who) => Ok(who),
					other => Err(other.into()),
				})
			}

			/// An account made to hold the role, for benchmarks.
			#[cfg(feature = "runtime-benchmarks")]
			fn try_successful_origin() -> Result<T::RuntimeOrigin, ()> {
				let who: T::AccountId = frame_benchmarking::account($name, 0, 0);
				$storage::<T>::insert(&who, crate::NameOf::<T>::default());
				Ok(RawOrigin::Signed(who).into())
			}
		}
	};
}

role_origin!(EnsureNotifiedBody, NotifiedBodies, "notified-body");
role_origin!(EnsureManufacturer, Manufacturers, "manufacturer");
