//! The progress display of long-running commands, on standard error: on a terminal one
//! line rewritten in place (at most once a second), elsewhere — a log file, CI — a line
//! every five seconds. The last line (`done`) is always shown.

use std::{
	io::{IsTerminal, Write},
	time::{Duration, Instant},
};

pub struct Progress {
	quiet: bool,
	terminal: bool,
	last_line: Option<Instant>,
}

impl Progress {
	/// A display on standard error; `quiet` shows nothing.
	pub fn new(quiet: bool) -> Progress {
		Progress { quiet, terminal: std::io::stderr().is_terminal(), last_line: None }
	}

	/// Shows the line `line` makes, if one is due (always when `done`).
	pub fn show(&mut self, line: impl FnOnce() -> String, done: bool) {
		if self.quiet {
			return;
		}
		let every = Duration::from_secs(if self.terminal { 1 } else { 5 });
		if !done && self.last_line.is_some_and(|t| t.elapsed() < every) {
			return;
		}
		self.last_line = Some(Instant::now());
		let line = line();
		let mut err = std::io::stderr();
		if self.terminal {
			let _ = write!(err, "\r\x1b[2K{line}");
			if done {
				let _ = writeln!(err);
			}
		} else {
			let _ = writeln!(err, "{line}");
		}
		let _ = err.flush();
	}
}
