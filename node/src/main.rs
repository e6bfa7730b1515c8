//! The Mensura node.

mod chain_spec;
mod cli;
mod command;
mod ports;
mod rpc;
mod service;

fn main() {
	if let Err(error) = command::run() {
		// One line a user can act on, never a panic or a debug dump.
		eprintln!("Error: {}", command::explain(&error));
		std::process::exit(1);
	}
}
