//! Durations and instants as the commands read them from the command line: one parser
//! of each, so that every option accepts the same forms.

use crate::{Error, Result};
use std::time::Duration;

/// The machine's clock, in Unix milliseconds.
pub fn now_ms() -> u64 {
	std::time::SystemTime::now()
		.duration_since(std::time::UNIX_EPOCH)
		.map(|d| d.as_millis() as u64)
		.unwrap_or(0)
}

/// Parses a duration: a number of seconds (`90`, `1.5`), or a number with a unit — `ms`,
/// `s`, `m`, `h` or `d` (`250ms`, `30s`, `15m`, `2h`, `7d`). `what` names the option in
/// the error.
pub fn parse_duration(text: &str, what: &str) -> Result<Duration> {
	let bad = || {
		Error::usage(format!(
			"--{what} {text}: expected seconds, or a number with ms, s, m, h or d"
		))
	};
	let (number, seconds_per) =
		[("ms", 0.001), ("s", 1.0), ("m", 60.0), ("h", 3_600.0), ("d", 86_400.0)]
			.iter()
			.find_map(|(unit, scale)| text.strip_suffix(unit).map(|number| (number, *scale)))
			.unwrap_or((text, 1.0));
	let value: f64 = number.parse().map_err(|_| bad())?;
	let seconds = value * seconds_per;
	if !(seconds.is_finite() && seconds >= 0.0) || seconds > u64::MAX as f64 / 1_000.0 {
		return Err(bad());
	}
	Ok(Duration::from_secs_f64(seconds))
}

/// Parses an instant in Unix milliseconds: the number itself, `now`, or `now` plus or
/// minus a duration as [`parse_duration`] reads it (`now-1h`, `now+30m`, `now-7d`).
pub fn parse_time(text: &str, now: u64) -> Result<u64> {
	let bad = || {
		Error::usage(format!(
			"`{text}` is not a time: use Unix milliseconds, `now`, or `now-<duration>` \
			 (a number with ms, s, m, h or d)"
		))
	};
	if let Ok(ms) = text.parse::<u64>() {
		return Ok(ms);
	}
	let rest = text.strip_prefix("now").ok_or_else(bad)?;
	if rest.is_empty() {
		return Ok(now);
	}
	let (sign, offset) = rest.split_at(1);
	let offset = parse_duration(offset, "time").map_err(|_| bad())?.as_millis();
	let offset = u64::try_from(offset).map_err(|_| bad())?;
	match sign {
		"-" => now.checked_sub(offset).ok_or_else(bad),
		"+" => now.checked_add(offset).ok_or_else(bad),
		_ => Err(bad()),
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn durations_take_every_unit_and_refuse_the_rest() {
		let ms = |text: &str| parse_duration(text, "x").map(|d| d.as_millis());
		assert_eq!(ms("90").unwrap(), 90_000);
		assert_eq!(ms("1.5").unwrap(), 1_500);
		assert_eq!(ms("250ms").unwrap(), 250);
		assert_eq!(ms("30s").unwrap(), 30_000);
		assert_eq!(ms("15m").unwrap(), 900_000);
		assert_eq!(ms("2h").unwrap(), 7_200_000);
		assert_eq!(ms("7d").unwrap(), 604_800_000);
		for bad in ["", "s", "-1s", "1x", "1 h", "NaNs", "infh", "1e300d"] {
			assert!(ms(bad).is_err(), "{bad:?} accepted");
		}
	}

	#[test]
	fn instants_are_milliseconds_or_offsets_from_now_with_the_same_units() {
		let now = 1_800_000_000_000;
		assert_eq!(parse_time("1700000000000", now).unwrap(), 1_700_000_000_000);
		assert_eq!(parse_time("now", now).unwrap(), now);
		assert_eq!(parse_time("now-1h", now).unwrap(), now - 3_600_000);
		assert_eq!(parse_time("now+30m", now).unwrap(), now + 1_800_000);
		assert_eq!(parse_time("now-7d", now).unwrap(), now - 604_800_000);
		assert_eq!(parse_time("now-500ms", now).unwrap(), now - 500);
		assert_eq!(parse_time("now-90", now).unwrap(), now - 90_000);
		for bad in ["yesterday", "now*1h", "now-", "now-1y", "now+1e300d"] {
			assert!(parse_time(bad, now).is_err(), "{bad:?} accepted");
		}
		assert!(parse_time("now-100000d", 5).is_err(), "before the epoch");
	}
}
