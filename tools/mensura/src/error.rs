//! How the tool fails: every error carries the exit code scripts can rely on and a
//! message that says what to do.

/// The kinds of failure, each with its exit code (`mensura --help` lists them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
	Failure = 1,
	Usage = 2,
	Node = 3,
	Input = 4,
}

/// A failure, with a message that says what to do.
#[derive(Debug)]
pub struct Error {
	pub exit: Exit,
	pub message: String,
}

impl Error {
	pub fn failure(message: impl Into<String>) -> Error {
		Error { exit: Exit::Failure, message: message.into() }
	}
	pub fn usage(message: impl Into<String>) -> Error {
		Error { exit: Exit::Usage, message: message.into() }
	}
	pub fn node(message: impl Into<String>) -> Error {
		Error { exit: Exit::Node, message: message.into() }
	}
	pub fn input(message: impl Into<String>) -> Error {
		Error { exit: Exit::Input, message: message.into() }
	}
}

pub type Result<T> = std::result::Result<T, Error>;
