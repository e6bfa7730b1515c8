//! One module per command, as `mensura --help` lists them. A command uses the shared
//! helpers of the crate root (chain access, frames, keys, time, progress, errors), never
//! another command's.

pub mod audit;
pub mod bench;
pub mod frame;
pub mod key;
pub mod query;
pub mod simulate;
pub mod submit;
