//! What billing does, by concern: each file adds the `do_*` functions behind the calls
//! of its concern to [`crate::Pallet`].

mod contracts;
mod disputes;
mod periods;
mod settlement;
mod tariffs;
