//! The run: frames sent at the rate asked for, then the summary that compares each
//! meter's register with what the LR program computes locally.

use super::*;

pub fn run(url: &str, args: SimulateArgs) -> Result<()> {
	let duration = parse_duration(&args.duration, "duration")?;
	let settle = parse_duration(&args.settle, "settle")?;
	let ahead = parse_duration(&args.clock_ahead, "clock-ahead")?.as_millis() as u64;
	// The meters' clock.
	let meter_now = || now_ms() + ahead;
	if !(args.rate.is_finite() && args.rate > 0.0 && args.rate <= 100.0) {
		return Err(Error::usage(format!(
			"--rate {}: expected frames per second per meter, above 0 and at most 100",
			args.rate
		)));
	}
	let interval = ((1000.0 / args.rate).round() as u64).max(10);
	let mut client = Client::new(url)?;
	let genesis = client.genesis_hash()?;
	let format = frames::format_of_version(args.format_version)?;
	let (spec_version, transaction_version) = client.runtime_version()?;
	let chain = ChainContext { genesis, spec_version, transaction_version };
	let mut fleet = prepare_fleet(&mut client, &args, &chain)?;
	if args.scenario.is_some() {
		prepare_scenario(&mut client, &args, &chain, &mut fleet)?;
	}
	if let Some(meter) = fleet.iter().find(|m| m.min_interval_ms > interval) {
		return Err(Error::usage(format!(
			"--rate {}: each frame would cover {interval} ms, but meter {}'s model allows frames \
			 of at least {} ms (at most {:.2} frame(s)/s)",
			args.rate,
			meter.id,
			meter.min_interval_ms,
			1000.0 / meter.min_interval_ms as f64
		)));
	}
	let ticks = duration.as_millis() as u64 / interval;
	let mut drops = Random(args.seed ^ 0xD409);
	say(
		&args,
		&format!(
			"simulating meters {} for {}s at {} frame(s)/s each, {} per transaction",
			fleet.iter().map(|m| m.id.to_string()).collect::<Vec<_>>().join(", "),
			duration.as_secs_f64(),
			args.rate,
			args.batch
		),
	);

	let mut progress = Progress::new(args.quiet);
	let started = Instant::now();
	// Intervals aligned to the clock, as meters align theirs (a 15-minute meter reports
	// :00–:15, …): a check meter's comparison windows then fall on frame boundaries.
	let origin = meter_now() / interval * interval;
	let mut last_refresh = Instant::now();
	let mut block = client.best_number()?;
	let mut tick: u64 = 1;
	// Frames the chain's clock has not reached yet, oldest first: sent again before any
	// newer frame, as a gateway would.
	let mut held: Vec<Outgoing> = Vec::new();
	loop {
		let end = origin + tick * interval;
		if Duration::from_millis(tick * interval) > duration {
			break;
		}
		// A frame is made once its interval is over.
		let now = meter_now();
		if end > now {
			std::thread::sleep(Duration::from_millis(end - now));
		}
		let mut outgoing: Vec<Outgoing> = std::mem::take(&mut held);
		// The true load of each meter this tick, for its check meter.
		let mut truth: BTreeMap<usize, Vec<Vec<i32>>> = BTreeMap::new();
		for i in 0..fleet.len() {
			let start = fleet[i].last_end.max(end - interval);
			// A meter verified mid-interval measures from its verification on: its
			// first frame waits for the tick that gives it its model's shortest interval.
			if end.saturating_sub(start) < fleet[i].min_interval_ms.max(1) {
				continue;
			}
			let mut channels = match fleet[i].tamper {
				// The same physical load through another instrument, with its own small
				// measurement noise.
				Tamper::Check { of } => match truth.get(&of) {
					Some(load) => {
						let profile = &mut fleet[i].profile;
						load.iter()
							.map(|channel| {
								channel
									.iter()
									.map(|s| {
										(*s as f64 * (1.0 + 0.001 * profile.noise())).round() as i32
									})
									.collect()
							})
							.collect()
					}
					None => continue,
				},
				_ => fleet[i].profile.frame(start, args.samples as usize),
			};
			truth.insert(i, channels.clone());
			let meter = &mut fleet[i];
			match meter.tamper {
				Tamper::Scaled(factor) => {
					for sample in channels[1].iter_mut() {
						*sample = (*sample as f64 * factor).round() as i32;
					}
				}
				Tamper::Drops(fraction) if drops.unit() < fraction => {
					meter.next_sequence += 1;
					meter.last_end = end;
					meter.dropped += 1;
					continue;
				}
				Tamper::Replays if tick == ticks / 2 => {
					// The first frame, long in a block: a replay the chain must refuse.
					if let Some(signed) = meter.first_signed.clone() {
						meter.replay_refusal =
							Some(match frames::submit(&mut client, &[signed])? {
								Ok(_) => "ACCEPTED".into(),
								Err(error) => frames::rejection(&error)
									.map(|r| r.name().to_string())
									.unwrap_or_else(|| frames::describe_refusal(&error)),
							});
					}
				}
				Tamper::Replays if tick == ticks / 2 + 1 => {
					if let Some(old) = meter.first_channels.clone() {
						channels = old;
						meter.replayed_samples_sequence = Some(meter.next_sequence);
					}
				}
				_ => {}
			}
			if meter.tamper == Tamper::Replays && meter.first_channels.is_none() {
				meter.first_channels = Some(channels.clone());
			}
			let frame =
				lr::Frame { meter: meter.id, sequence: meter.next_sequence, start, end, channels };

			let quantity = meter.program.execute(&frame).map_err(|e| {
				Error::failure(format!(
					"the LR program refuses a simulated frame of meter {}: {e:?}",
					meter.id
				))
			})?;
			let signed = frames::sign(&frame, format, &meter.key, &genesis)?;
			if meter.tamper == Tamper::Replays && meter.first_signed.is_none() {
				meter.first_signed = Some(signed.clone());
			}
			meter.next_sequence += 1;
			meter.last_end = end;
			meter.sent += 1;
			outgoing.push(Outgoing { meter: i, signed, quantity: quantity as u128, held: false });
		}
		held = send(&mut client, &args, &mut fleet, outgoing)?;
		if last_refresh.elapsed() >= Duration::from_secs(1) {
			block = refresh(&mut client, &mut fleet)?;
			last_refresh = Instant::now();
		}
		progress.show(|| progress_line(started.elapsed(), duration, &fleet, block), false);
		tick += 1;
	}

	// Send the held frames, then let the accepted frames land.
	let held_since = Instant::now();
	while !held.is_empty() {
		if held_since.elapsed() > settle {
			for Outgoing { meter: i, .. } in held.drain(..) {
				*fleet[i].refused.entry(FrameRejection::FutureInterval.name()).or_default() += 1;
			}
			break;
		}
		std::thread::sleep(Duration::from_millis(500));
		held = send(&mut client, &args, &mut fleet, std::mem::take(&mut held))?;
	}
	let settle_started = Instant::now();
	loop {
		block = refresh(&mut client, &mut fleet)?;
		let pending = fleet.iter().any(|m| m.measured < m.accepted);
		progress.show(|| progress_line(started.elapsed(), duration, &fleet, block), !pending);
		if !pending || settle_started.elapsed() > settle {
			if pending {
				progress.show(|| progress_line(started.elapsed(), duration, &fleet, block), true);
			}
			break;
		}
		std::thread::sleep(Duration::from_millis(500));
	}
	summarise(&args, &fleet, started.elapsed())
}

/// A signed frame to send.
struct Outgoing {
	/// Its meter's index in the fleet.
	meter: usize,
	signed: SignedFrame<Vec<u8>>,
	/// What the LR program computes for it locally.
	quantity: u128,
	/// Refused before as ahead of the chain's clock.
	held: bool,
}

/// Sends `outgoing` in transactions of `--batch` frames, in order, and returns the frames
/// held back: a transaction refused because a frame's interval ends after the chain's clock
/// (the last block's time, plus the drift allowed) is not a fault of the meter, which keeps
/// it and everything after it to send again, the same bytes, once blocks have moved the
/// clock on. Sending later frames first would leave a gap in their meters' sequences.
///
/// A transaction the pool refuses for being full is sent again after a pause.
///
/// The pool does not ban such a transaction (it is of unknown validity, not invalid), but a
/// node may still answer "temporarily banned" for it until its next block: the view of
/// the pool it builds for a new block tries the transaction again, finds it not valid yet,
/// and bans it in that view alone. A held transaction refused so is held again.
fn send(
	client: &mut Client,
	args: &SimulateArgs,
	fleet: &mut [SimMeter],
	mut outgoing: Vec<Outgoing>,
) -> Result<Vec<Outgoing>> {
	let batch = args.batch as usize;
	let mut sent = 0;
	while sent < outgoing.len() {
		let end = (sent + batch).min(outgoing.len());
		let chunk = &mut outgoing[sent..end];
		let signed: Vec<_> = chunk.iter().map(|o| o.signed.clone()).collect();
		match frames::submit(client, &signed)? {
			Ok(_) => {
				for o in chunk.iter() {
					let meter = &mut fleet[o.meter];
					meter.accepted += 1;
					meter.expected += o.quantity;
					meter.last_accepted_sequence =
						lr::Frame::decode(&o.signed.frame).ok().map(|f| f.sequence);
				}
			}
			// The pool is full: the gateway waits for a block to take from it and sends
			// the same transaction again.
			Err(error) if frames::pool_full(&error) => {
				std::thread::sleep(Duration::from_millis(500));
				continue;
			}
			Err(error)
				if frames::rejection(&error) == Some(FrameRejection::FutureInterval)
					|| (error.code == frames::POOL_TEMPORARILY_BANNED
						&& chunk.iter().any(|o| o.held)) =>
			{
				for o in chunk.iter_mut() {
					fleet[o.meter].held += 1;
					o.held = true;
				}
				return Ok(outgoing.split_off(sent));
			}
			Err(error) => {
				let reason = frames::rejection(&error).map(FrameRejection::name).unwrap_or("other");
				for o in chunk.iter() {
					*fleet[o.meter].refused.entry(reason).or_default() += 1;
				}
				if reason == "other" {
					say(args, &format!("\nrefused: {}", frames::describe_refusal(&error)));
				}
			}
		}
		sent = end;
	}
	Ok(Vec::new())
}

pub(super) fn summarise(args: &SimulateArgs, fleet: &[SimMeter], elapsed: Duration) -> Result<()> {
	let mut problems = Vec::new();
	let mut rows = Vec::new();
	for m in fleet {
		let delta = m.register.saturating_sub(m.initial_register);
		let refused: u64 = m.refused.values().sum();
		let matches = m.measured == m.accepted && delta == m.expected;
		if refused > 0 {
			problems.push(format!("meter {}: {refused} frames refused ({:?})", m.id, m.refused));
		}
		if m.measured != m.accepted {
			problems.push(format!(
				"meter {}: {} frames accepted but {} measured",
				m.id, m.accepted, m.measured
			));
		} else if delta != m.expected {
			problems.push(format!(
				"meter {}: the register rose by {} but the LR program computes {} locally",
				m.id,
				milli(delta),
				milli(m.expected)
			));
		}
		rows.push(json!({
			"meter": m.id, "key": m.uri, "unit": m.unit, "sent": m.sent, "accepted": m.accepted,
			"refused": m.refused, "measured": m.measured, "heldForChainClock": m.held,
			"registerBefore": m.initial_register.to_string(), "registerAfter": m.register.to_string(),
			"registerIncrease": delta.to_string(), "expectedIncrease": m.expected.to_string(),
			"lastSequence": m.last_accepted_sequence, "matches": matches,
		}));
	}
	// What the scenario injected, for `mensura audit` to find.
	let mut injected = Vec::new();
	let mut honest = Vec::new();
	for m in fleet {
		match m.tamper {
			Tamper::Honest => honest.push(m.id),
			Tamper::Check { of } => {
				injected.push(
					json!({"meter": fleet[of].id, "fault": "check meter", "checkMeter": m.id}),
				);
				honest.push(m.id);
			}
			Tamper::Scaled(factor) => {
				injected.push(json!({"meter": m.id, "fault": "scaled", "factor": factor}))
			}
			Tamper::Drops(fraction) => injected.push(json!({
				"meter": m.id, "fault": "drops frames", "fraction": fraction, "dropped": m.dropped,
			})),
			Tamper::Replays => {
				if m.replay_refusal.as_deref() == Some("ACCEPTED") {
					problems.push(format!("meter {}: a verbatim replay was accepted", m.id));
				}
				injected.push(json!({
					"meter": m.id, "fault": "replay",
					"verbatimReplayRefusedWith": m.replay_refusal,
					"replayedSamplesSequence": m.replayed_samples_sequence,
				}))
			}
			Tamper::ForgedBinding => injected.push(json!({
				"meter": m.id, "fault": "forged program binding",
				"program": hex(&sp_io::hashing::blake2_256(&m.program.encode().unwrap_or_default())),
			})),
		}
	}
	injected.retain(|f| f["fault"] != "check meter");
	let check_meters: Vec<_> = fleet
		.iter()
		.filter_map(|m| match m.tamper {
			Tamper::Check { of } => Some(json!({"meter": fleet[of].id, "check": m.id})),
			_ => None,
		})
		.collect();
	let total = |f: fn(&SimMeter) -> u64| fleet.iter().map(f).sum::<u64>();
	let (sent, accepted, measured) =
		(total(|m| m.sent), total(|m| m.accepted), total(|m| m.measured));
	let refused = total(|m| m.refused.values().sum());
	if args.json {
		let summary = json!({
			"meters": rows,
			"sent": sent, "accepted": accepted, "refused": refused, "measured": measured,
			"seconds": elapsed.as_secs_f64(),
			"ok": problems.is_empty(), "problems": problems,
		});
		let mut summary = summary;
		if args.scenario.is_some() {
			summary["scenario"] = json!({
				"name": args.scenario, "injected": injected, "checkMeters": check_meters,
				"honest": honest,
			});
		}
		println!("{}", serde_json::to_string_pretty(&summary).expect("JSON serialises"));
	} else {
		println!(
			"{:>5}  {:>6}  {:>8}  {:>7}  {:>8}  {:>18}  {:>18}  match",
			"meter", "sent", "accepted", "refused", "measured", "register increase", "LR computed"
		);
		for m in fleet {
			println!(
				"{:>5}  {:>6}  {:>8}  {:>7}  {:>8}  {:>18}  {:>18}  {}",
				m.id,
				m.sent,
				m.accepted,
				m.refused.values().sum::<u64>(),
				m.measured,
				format!("{} {}", milli(m.register.saturating_sub(m.initial_register)), m.unit),
				format!("{} {}", milli(m.expected), m.unit),
				if m.measured == m.accepted
					&& m.register.saturating_sub(m.initial_register) == m.expected
				{
					"yes"
				} else {
					"NO"
				}
			);
		}
		println!(
			"{sent} frames sent in {:.1}s: {accepted} accepted, {refused} refused, {measured} measured",
			elapsed.as_secs_f64()
		);
		if args.scenario.is_some() {
			println!("injected for the audit to find:");
			for fault in &injected {
				println!("  {fault}");
			}
			println!("honest meters: {honest:?}");
		}
	}
	if problems.is_empty() {
		Ok(())
	} else {
		Err(Error::failure(problems.join("; ")))
	}
}
