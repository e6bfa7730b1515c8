//! The run: send, follow, drain, count, and print every figure.

use super::*;

pub fn run(args: BenchArgs) -> Result<()> {
	let settings = args.settings()?;
	let quiet = args.quiet;
	let node_path = match &args.node {
		Some(path) => path.clone(),
		None => std::env::current_exe()
			.map_err(|e| Error::usage(format!("cannot locate this tool ({e}); pass --node")))?
			.with_file_name("mensura-node"),
	};
	if !node_path.exists() {
		return Err(Error::usage(format!(
			"{}: no node binary there; build it (cargo build --release -p mensura-node) or \
			 pass --node",
			node_path.display()
		)));
	}

	say(quiet, &format!("measuring one core's {} verification rate …", settings.scheme.name()));
	let verify_rate = verification_rate(settings.scheme, Duration::from_secs(2));
	say(quiet, &format!("  {verify_rate:.0} verifications/s"));

	say(quiet, &format!("deriving {} meter keys and writing the chain spec …", settings.meters));
	let keys: Vec<MeterKey> = (0..settings.meters).map(|i| meter_key(settings.scheme, i)).collect();
	let (spec, first_id) = chain_spec(&node_path, &settings, &keys)?;
	say(quiet, &format!("starting {} validator(s) …", settings.validators));
	let started_nodes = Instant::now();
	let mut network = start_network(&node_path, &settings, &spec, &args.node_args, args.keep)?;
	say(
		quiet,
		&format!(
			"  up in {:.1}s (built the genesis, then started again on its database: {} resident after the first start); logs in {}",
			started_nodes.elapsed().as_secs_f64(),
			network
				.nodes
				.iter()
				.map(|n| format!("{} {:.0} MiB", n.name, n.first_start_rss_kib as f64 / 1024.0))
				.collect::<Vec<_>>()
				.join(", "),
			network.dir.display()
		),
	);
	let urls: Vec<String> = network.nodes.iter().map(Node::url).collect();
	let mut probe_client = Client::new(&urls[0])?;
	let genesis = probe_client.genesis_hash()?;

	let offered = (settings.rate * settings.duration.as_secs_f64()).ceil() as usize;
	let valid_share = 1.0 - settings.bad_fraction;
	// Frames per meter: its share of the offer, or, if more, one for every block of the
	// window: a meter sends its next frame once the last is in a block, so one the pool
	// takes first may have a frame in every block while others wait in its backlog.
	let share = ((offered as f64 * valid_share) / settings.meters as f64).ceil() as usize;
	let blocks_in_window =
		(settings.duration.as_millis() / u128::from(mensura_runtime::SLOT_DURATION)) as usize;
	let per_meter = share.max(blocks_in_window + 1) + 1;
	say(
		quiet,
		&format!(
			"pre-signing {} frames ({} per meter, 2 channels × {} samples) …",
			per_meter * settings.meters,
			per_meter,
			settings.samples
		),
	);
	let signing_started = Instant::now();
	let baseline_chain = if settings.baseline {
		let (spec_version, transaction_version) = probe_client.runtime_version()?;
		Some(frames::ChainContext { genesis, spec_version, transaction_version })
	} else {
		None
	};
	let mut fleet = presign(
		&keys,
		first_id,
		per_meter,
		settings.samples,
		settings.format,
		genesis,
		baseline_chain.as_ref(),
	)?;
	// Version-2 frames differ in length with their samples: the mean over the fleet.
	let (frames_signed, frame_bytes, signed_bytes) = fleet
		.iter()
		.flat_map(|m| &m.frames)
		.fold((0usize, 0usize, 0usize), |(n, bytes, signed), f| {
			(n + 1, bytes + f.frame.len(), signed + f.encoded_size())
		});
	let frame_bytes = frame_bytes as f64 / frames_signed.max(1) as f64;
	say(
		quiet,
		&format!(
			"  {:.1}s; a frame is {frame_bytes:.0} bytes on average (format version {}), {:.0} \
			 with its signature",
			signing_started.elapsed().as_secs_f64(),
			settings.format.version(),
			signed_bytes as f64 / frames_signed.max(1) as f64,
		),
	);
	// Under attack, the last meter is the hostile one: it sends its own frames, not the
	// fleet's, and is counted apart.
	let hostile = if settings.attack {
		let meter = fleet.pop().ok_or_else(|| Error::usage("--attack needs at least 2 meters"))?;
		let start = lr::Frame::decode(&meter.frames[0].frame)
			.map_err(|e| Error::failure(format!("a pre-signed frame does not decode: {e:?}")))?
			.start;
		let key = keys.last().expect("a key per meter");
		say(quiet, &format!("signing the hostile meter {}'s frames …", meter.id));
		Some(attack::hostile(key, meter.id, start, settings.format, genesis)?)
	} else {
		None
	};
	let before = attack::best_hash(&mut probe_client)?;
	let fees_before = attack::supplier_fees(&mut probe_client, &before)?;
	let start_block = probe_client.best_number()?;
	let metrics_before: Vec<_> = network.nodes.iter().map(Node::metrics).collect();
	let cpu_before: Vec<Option<f64>> = network.nodes.iter().map(Node::cpu_seconds).collect();
	let tool_cpu_before = cpu_seconds("self");

	// Threads: senders, the follower, and this one deciding what to send.
	let origin = Instant::now();
	let stats = Arc::new(Mutex::new(SendStats::default()));
	let stop = Arc::new(AtomicBool::new(false));
	let (job_tx, job_rx) = mpsc::sync_channel::<Job>(settings.senders * 4);
	let job_rx = Arc::new(Mutex::new(job_rx));
	let (back_tx, back_rx) = mpsc::channel::<Back>();
	let (track_tx, track_rx) = mpsc::channel::<Track>();
	// The dispatch class whose block weight the run's transactions fill.
	let class = if settings.baseline {
		frame_support::dispatch::DispatchClass::Normal
	} else {
		pallet_readings::FRAME_CLASS
	};
	let class_limit_us = <mensura_runtime::Runtime as frame_system::Config>::BlockWeights::get()
		.get(class)
		.max_total
		.map_or(f64::INFINITY, |w| w.ref_time() as f64 / 1e6);
	let followed = Arc::new(Mutex::new(Followed {
		class_limit_us,
		validators: settings.validators,
		..Default::default()
	}));
	let follower = {
		let (url, back, state, stop) =
			(urls[0].clone(), back_tx.clone(), followed.clone(), stop.clone());
		std::thread::spawn(move || {
			follow(url, origin, start_block, class, track_rx, back, state, stop)
		})
	};
	// The baseline sends as a generic chain's user does: submits, and nothing more.
	let ask_again = !settings.baseline;
	let senders: Vec<_> = (0..settings.senders)
		.map(|i| {
			let url = urls[i % urls.len()].clone();
			let (jobs, stats, back, track, followed) = (
				job_rx.clone(),
				stats.clone(),
				back_tx.clone(),
				track_tx.clone(),
				followed.clone(),
			);
			std::thread::spawn(move || sender(url, jobs, stats, back, track, followed, ask_again))
		})
		.collect();
	drop(back_tx);
	// Only the senders receive jobs: if they all stop (their node died), sending a job
	// fails instead of waiting for room in the queue for ever.
	drop(job_rx);
	let attack_stop = Arc::new(AtomicBool::new(false));
	let hostile_id = hostile.as_ref().map(|h| h.id);
	let attacker = hostile.map(|hostile| {
		let (url, stop) = (urls[0].clone(), attack_stop.clone());
		std::thread::spawn(move || attack::attacker(url, hostile, stop))
	});

	let mut progress = Progress::new(quiet);
	let mut ready: VecDeque<usize> = (0..fleet.len()).collect();
	let mut replayable: VecDeque<(usize, usize)> = VecDeque::new();
	let mut in_flight: HashMap<usize, usize> = HashMap::new();
	let (mut valid_sent, mut bad_sent, mut starved) = (0u64, 0u64, 0u64);
	let mut bad_kinds: BTreeMap<Bad, u64> = BTreeMap::new();
	let mut rpc_probe: Vec<(f64, u64)> = Vec::new();
	let mut rpc_probe_failures = 0u64;
	let mut last_probe = Instant::now();
	let mut memory_series: Vec<(f64, Vec<u64>)> = Vec::new();
	let mut exhausted = false;
	let mut resends = Resends::default();
	let mut rebatches = Rebatches::new(settings.baseline, settings.validators);
	let mut last_resend_scan = Instant::now();
	let validators = settings.validators;
	let remember = |replayable: &mut VecDeque<(usize, usize)>, frames: Vec<(usize, usize)>| {
		replayable.extend(frames);
		while replayable.len() > 10_000 {
			replayable.pop_front();
		}
	};
	let release = |back: Back,
	               ready: &mut VecDeque<usize>,
	               in_flight: &mut HashMap<usize, usize>,
	               replayable: &mut VecDeque<(usize, usize)>| match back {
		Back::Release(meters) => {
			for m in meters {
				in_flight.remove(&m);
				ready.push_back(m);
			}
		}
		Back::Included(frames) => {
			for &(m, _) in &frames {
				in_flight.remove(&m);
				ready.push_back(m);
			}
		}
		// A replay is a frame every node the tool sends to already has in a block, and
		// in its pool's view: once finalized. (A node that has not imported the block
		// holding it yet would rightly take it as new; so does a pool whose view of the
		// block just imported is still being built: one validator sent frames of the
		// best block it had just announced accepted 2 of 2,324 such replays, none of
		// which reached a block.)
		Back::Finalized(frames) => remember(replayable, frames),
		// Still in flight: taken back by the caller (`Rebatches`).
		Back::Dropped { .. } => {}
	};
	// A transaction's bytes, rebuilt from its frames exactly as they were sent.
	let baseline = settings.baseline;
	let bytes_of = |fleet: &[BenchMeter], picked: &[(usize, usize)]| -> Result<Vec<u8>> {
		Ok(if baseline {
			let &[(m, f)] = picked else { unreachable!("a baseline transaction is one frame") };
			fleet[m].remarks[f].clone()
		} else {
			let signed: Vec<_> = picked.iter().map(|&(m, f)| fleet[m].frames[f].clone()).collect();
			frames::general_transaction(frames::submission(&signed)?)
		})
	};
	// What the run's largest transaction declares, as the node's runtime counts it (the
	// block builder takes a transaction only while that much is left): a held transaction
	// is let go only after blocks with that room went by without it.
	if !baseline {
		let largest: Vec<(usize, usize)> =
			(0..settings.batch.min(fleet.len())).map(|m| (m, 0)).collect();
		let declared_us =
			declared_weight_us(&mut probe_client, &bytes_of(&fleet, &largest)?, class)?;
		say(
			quiet,
			&format!(
				"  a transaction of {} frame(s) declares {:.1} ms of block weight",
				largest.len(),
				declared_us / 1e3
			),
		);
		followed.lock().expect("follower state").declared_us = declared_us;
	}
	while origin.elapsed() < settings.duration {
		// (Not the baseline's: a generic chain's user submits and nothing more; and a
		// remark, signed with its account's nonce, cannot go in another transaction.)
		if !baseline && last_resend_scan.elapsed() >= Duration::from_secs(5) {
			last_resend_scan = Instant::now();
			resends.resend_overdue(&mut probe_client, &followed, &mut rebatches, |p| {
				bytes_of(&fleet, p)
			})?;
		}
		for back in back_rx.try_iter() {
			match back {
				Back::Dropped { hash, frames, best_then } => {
					rebatches.let_go(hash, frames, best_then)
				}
				back => release(back, &mut ready, &mut in_flight, &mut replayable),
			}
		}
		rebatches.take_back_due(&followed, &track_tx, &job_tx, |p| bytes_of(&fleet, p))?;
		let due = (settings.rate * origin.elapsed().as_secs_f64()) as u64;
		// Sending blocks while the senders are busy: hand over what is due for at most
		// 20 ms, then read what came back (meters out of flight, frames let go), so a
		// rate the node cannot take neither starves the meters nor stretches the window.
		let slice = Instant::now();
		while valid_sent + bad_sent < due
			&& slice.elapsed() < Duration::from_millis(20)
			&& origin.elapsed() < settings.duration
		{
			let bad_due = ((valid_sent + bad_sent + 1) as f64 * settings.bad_fraction) as u64;
			if bad_sent < bad_due {
				let replay = bad_sent % 2 == 1 && !replayable.is_empty();
				let (kind, signed) = if replay {
					let (m, f) = replayable[(bad_sent as usize * 7919) % replayable.len()];
					(Bad::Replayed, fleet[m].frames[f].clone())
				} else {
					// The next frame of a meter, with its signature damaged: a forgery of
					// the very frame the meter is about to send.
					let m = (bad_sent as usize * 104_729) % fleet.len();
					let f = fleet[m].next.min(fleet[m].frames.len() - 1);
					let mut signed = fleet[m].frames[f].clone();
					let mut raw = signed.signature.encode();
					if let Some(byte) = raw.last_mut() {
						*byte ^= 0x5a;
					}
					signed.signature =
						codec::Decode::decode(&mut &raw[..]).expect("a signature re-decodes");
					(Bad::Forged, signed)
				};
				let bytes = frames::general_transaction(frames::submission(&[signed])?);
				let hash = sp_io::hashing::blake2_256(&bytes);
				let _ = track_tx.send(Track::Bad { hash });
				job_tx
					.send(Job { hash, bytes, payload: Payload::Bad(kind), supersedes: None })
					.map_err(|_| Error::failure("the senders stopped"))?;
				bad_sent += 1;
				*bad_kinds.entry(kind).or_default() += 1;
				continue;
			}
			// Gateways send full batches.
			let owed = (due - valid_sent - bad_sent) as usize;
			if owed < settings.batch {
				break;
			}
			// With one validator, a lone frame the pool let go goes first in the batch (see
			// `Rebatches::lone`), which then holds at least one fresh frame beside it.
			let mut picked = Vec::with_capacity(settings.batch + 1);
			let mut at = Instant::now();
			if validators == 1 {
				for (frame, first_sent) in rebatches.lone.drain(..) {
					picked.push(frame);
					at = at.min(first_sent);
				}
			}
			let taken_back = picked.len();
			let want =
				if taken_back == 0 { settings.batch } else { settings.batch.max(taken_back + 1) };
			while picked.len() < want {
				let Some(m) = ready.pop_front() else { break };
				if fleet[m].next >= fleet[m].frames.len() {
					exhausted = true;
					continue;
				}
				picked.push((m, fleet[m].next));
				fleet[m].next += 1;
			}
			if picked.len() == taken_back {
				rebatches.lone.extend(picked.into_iter().map(|frame| (frame, at)));
				starved += 1;
				break;
			}
			let bytes = bytes_of(&fleet, &picked)?;
			let hash = sp_io::hashing::blake2_256(&bytes);
			for &(m, f) in &picked[taken_back..] {
				in_flight.insert(m, f);
			}
			valid_sent += (picked.len() - taken_back) as u64;
			rebatches.frames += taken_back as u64;
			let _ = track_tx.send(Track::Sent { hash, at, frames: picked.clone() });
			job_tx
				.send(Job { hash, bytes, payload: Payload::Valid(picked), supersedes: None })
				.map_err(|_| Error::failure("the senders stopped"))?;
		}
		if last_probe.elapsed() >= Duration::from_millis(500) {
			last_probe = Instant::now();
			let started = Instant::now();
			match probe_client.call("system_health", json!([])) {
				Ok(_) => rpc_probe.push((started.elapsed().as_secs_f64(), 1)),
				Err(_) => rpc_probe_failures += 1,
			}
			let rss: Vec<u64> = network.nodes.iter_mut().map(Node::sample_memory).collect();
			memory_series.push((origin.elapsed().as_secs_f64(), rss));
		}
		progress.show(
			|| {
				let state = followed.lock().expect("follower state");
				let included: u64 = state.blocks.iter().map(|b| b.frames).sum();
				format!(
					"[{:>5.1}s/{:.0}s] sent {valid_sent} valid + {bad_sent} bad  in blocks {included}  \
					 finalized #{}  in flight {}",
					origin.elapsed().as_secs_f64(),
					settings.duration.as_secs_f64(),
					state.finalized_number,
					in_flight.len()
				)
			},
			false,
		);
		std::thread::sleep(Duration::from_millis(2));
	}
	let window = origin.elapsed();
	attack_stop.store(true, Ordering::Relaxed);
	let attack_stats = match attacker {
		Some(attacker) => Some(attacker.join().expect("the attacker panicked")?),
		None => None,
	};
	// Let everything in flight be finalized; the senders keep asking the pool about what
	// they sent, and what the pool let go is sent again.
	stop.store(true, Ordering::Relaxed);
	let drain_started = Instant::now();
	// The baseline's remarks that a pool let go are not sent again, and a pool may keep
	// them without ever putting them in a block: its drain ends once the last blocks
	// carried none of its remarks and the last block that did is final.
	let mut baseline_settled = false;
	let mut last_settle_check = Instant::now();
	while !follower.is_finished() {
		if drain_started.elapsed() > Duration::from_secs(180) {
			break;
		}
		// A node that died will finalize nothing more: stop here, saying why.
		if let Some(exit) = network.nodes.iter_mut().find_map(Node::exited) {
			return Err(Error::failure(exit));
		}
		if baseline && last_settle_check.elapsed() >= Duration::from_secs(5) {
			last_settle_check = Instant::now();
			if follow::settled(&followed.lock().expect("follower state")) {
				baseline_settled = true;
				break;
			}
		}
		for back in back_rx.try_iter() {
			if let Back::Dropped { hash, frames, best_then } = back {
				rebatches.let_go(hash, frames, best_then)
			}
		}
		rebatches.take_back_due(&followed, &track_tx, &job_tx, |p| bytes_of(&fleet, p))?;
		if !baseline && last_resend_scan.elapsed() >= Duration::from_secs(5) {
			last_resend_scan = Instant::now();
			resends.resend_overdue(&mut probe_client, &followed, &mut rebatches, |p| {
				bytes_of(&fleet, p)
			})?;
		}
		let rss: Vec<u64> = network.nodes.iter_mut().map(Node::sample_memory).collect();
		memory_series.push((origin.elapsed().as_secs_f64(), rss));
		progress.show(
			|| {
				let state = followed.lock().expect("follower state");
				format!(
					"[drain {:>4.0}s] waiting for {} transactions to be finalized (#{})",
					drain_started.elapsed().as_secs_f64(),
					state.pending(),
					state.finalized_number
				)
			},
			false,
		);
		std::thread::sleep(Duration::from_secs(1));
	}
	drop(job_tx);
	drop(track_tx);
	for sender in senders {
		sender.join().expect("a sender panicked")?;
	}
	progress.show(|| "done sending and following".into(), true);
	let drained = follower.is_finished();
	if drained {
		follower.join().expect("the follower panicked")?;
	}
	for node in &mut network.nodes {
		node.sample_memory();
	}

	// The chain's own count: every meter's measurements and last sequence.
	let state = followed.lock().expect("follower state");
	let mut inclusion = Vec::new();
	let mut finality = Vec::new();
	let mut finalized_frames = 0u64;
	let mut last_finalized_at: Option<Instant> = None;
	for tracked in state.tracked.values() {
		let n = tracked.frames.len() as u64;
		match (tracked.included, tracked.finalized) {
			(Some(included), Some(finalized)) => {
				inclusion.push((included.duration_since(tracked.sent).as_secs_f64(), n));
				finality.push((finalized.duration_since(tracked.sent).as_secs_f64(), n));
				finalized_frames += n;
				last_finalized_at = Some(last_finalized_at.map_or(finalized, |t| t.max(finalized)));
				for &(m, _) in &tracked.frames {
					fleet[m].finalized += 1;
				}
			}
			_ => {}
		}
	}
	// Every valid frame was sent once as new, and a frame is stored at most once (a copy
	// is refused as `Replayed`), in whichever transaction carried it: what is not
	// finalized in one is lost — refused, let go by the pool and never sent again, or
	// still waiting.
	let unfinalized_frames = valid_sent.saturating_sub(finalized_frames);
	// What the chain counted for each meter: its measurements, or in the baseline its
	// account's nonce (one per remark included).
	let chain_counts = if settings.baseline {
		let finalized = probe_client.finalized_number()?;
		let at = probe_client.block_hash(finalized)?;
		account_nonces(&mut probe_client, &keys, &at)?
	} else {
		measurement_counts(&mut probe_client, first_id, fleet.len())?
	};
	let mut count_mismatches = Vec::new();
	let mut chain_total = 0u64;
	for (meter, on_chain) in fleet.iter().zip(&chain_counts) {
		chain_total += on_chain;
		if *on_chain != meter.finalized && count_mismatches.len() < 10 {
			count_mismatches.push(format!(
				"meter {}: {} {} on chain, {} frames finalized",
				meter.id,
				on_chain,
				if settings.baseline { "remarks (account nonce)" } else { "measurements" },
				meter.finalized
			));
		}
	}
	// State bytes per meter, read at the last finalized block from the meter with the
	// most frames finalized in the run, and projected to its full retention window.
	let sampled = fleet.iter().enumerate().max_by_key(|(_, m)| m.finalized).map_or(0, |(i, _)| i);
	let finalized_number = probe_client.finalized_number()?;
	let finalized_at = probe_client.block_hash(finalized_number)?;
	let state_entries = if settings.baseline {
		account_state(&mut probe_client, &keys[sampled], &finalized_at)?
	} else {
		meter_state(&mut probe_client, fleet[sampled].id, &finalized_at)?
	};
	let state_bytes: usize = state_entries.iter().map(|e| e.bytes).sum();
	let stats = stats.lock().expect("stats");
	// Every measurement of the run, the hostile meter's too, paid its supplier's fee once.
	// (Read at one block: the hostile meter's backlog may still be reaching blocks.)
	let end_block = probe_client.best_number()?;
	let at = probe_client.block_hash(end_block)?;
	let hostile_measured = match hostile_id {
		Some(id) => attack::measurements_at(&mut probe_client, id, &at)?,
		None => 0,
	};
	let fees_after = attack::supplier_fees(&mut probe_client, &at)?;
	let (charged, owed, fee) = (
		fees_after.0.saturating_sub(fees_before.0),
		fees_after.1.saturating_sub(fees_before.1),
		fees_after.2,
	);
	// (The baseline's remarks are no measurements: nothing is owed for them.)
	let measured_in_run =
		if settings.baseline { 0 } else { u128::from(chain_total + hostile_measured) };
	let fees_exact = charged + owed == fee * measured_in_run;

	// The run's blocks: from the first with a bench frame to the last.
	let blocks: Vec<BlockSeen> = {
		let with = |b: &&BlockSeen| b.frames > 0;
		let first = state.blocks.iter().position(|b| with(&b)).unwrap_or(0);
		let last = state.blocks.iter().rposition(|b| with(&b)).unwrap_or(0);
		state.blocks.get(first..=last).map(<[BlockSeen]>::to_vec).unwrap_or_default()
	};
	let block_frames: u64 = blocks.iter().map(|b| b.frames).sum();
	let chain_rate = follow::chain_rate(&blocks);
	let end_to_end = last_finalized_at
		.map(|t| finalized_frames as f64 / t.duration_since(origin).as_secs_f64())
		.unwrap_or(0.0);
	let peak_block = blocks.iter().map(|b| b.frames).max().unwrap_or(0);
	// Block bytes per frame: the run's blocks' extrinsics (timestamps included) over
	// their frames.
	let bytes_per_frame = if block_frames > 0 {
		blocks.iter().map(|b| b.bytes).sum::<usize>() as f64 / block_frames as f64
	} else {
		0.0
	};
	// What the blocks counted for a frame, its transaction's base weight and extensions
	// included (bench frames are the only transactions of their class in the run's blocks).
	let weight_per_frame_us = if block_frames > 0 {
		blocks.iter().map(|b| b.frame_weight_us).sum::<f64>() / block_frames as f64
	} else {
		0.0
	};
	// Building and importing the run's blocks.
	let run_numbers =
		blocks.first().map_or(1..=0, |f| f.number..=blocks.last().map_or(0, |l| l.number));
	let authored: Vec<_> = network
		.nodes
		.iter()
		.flat_map(Node::authored)
		.filter(|(number, _, _, _)| run_numbers.contains(number))
		.collect();
	let mut build_ms: Vec<(f64, u64)> =
		authored.iter().map(|(_, ms, _, _)| (*ms as f64, 1)).collect();
	let mut end_reasons: BTreeMap<String, u64> = BTreeMap::new();
	for (_, _, _, end) in &authored {
		*end_reasons.entry(end.clone()).or_default() += 1;
	}
	let discarded_proposals: u64 = network.nodes.iter().map(Node::discarded_proposals).sum();
	// CPU: the nodes' and this tool's, over the window and the drain.
	let node_cpu: f64 = network
		.nodes
		.iter()
		.zip(&cpu_before)
		.filter_map(|(node, before)| Some(node.cpu_seconds()? - before.as_ref()?))
		.sum();
	let tool_cpu = cpu_seconds("self").zip(tool_cpu_before).map(|(a, b)| a - b);
	let busy = last_finalized_at.map_or(window, |t| t.duration_since(origin)).as_secs_f64();
	let metrics_after: Vec<_> = network.nodes.iter().map(Node::metrics).collect();
	let import_ms: Vec<(String, Option<f64>)> = network
		.nodes
		.iter()
		.zip(metrics_before.iter().zip(&metrics_after))
		.map(|(node, (before, after))| {
			(
				node.name.to_string(),
				histogram_mean_ms(before, after, "substrate_block_verification_and_import_time"),
			)
		})
		.collect();
	// Each node's transaction-pool validations over the run, every kind counted.
	let validations: Vec<(String, PoolValidations)> = network
		.nodes
		.iter()
		.zip(metrics_before.iter().zip(&metrics_after))
		.map(|(node, (before, after))| {
			(node.name.to_string(), PoolValidations::between(before, after, stats.transactions))
		})
		.collect();
	let peak_rss: Vec<(String, u64)> =
		network.nodes.iter().map(|n| (n.name.to_string(), n.peak_rss_kib)).collect();
	let peak_anon: Vec<(String, u64)> =
		network.nodes.iter().map(|n| (n.name.to_string(), n.peak_anon_kib)).collect();
	let lifetime_peak: Vec<(String, u64)> =
		network.nodes.iter().map(|n| (n.name.to_string(), n.lifetime_peak_kib())).collect();
	let max_rss_mib = peak_rss.iter().map(|r| r.1).max().unwrap_or(0) as f64 / 1024.0;
	// Under `--memory-limit`: each node's cgroup's peak use (page cache included) and the
	// kernel's kills for memory.
	let limited: Vec<(String, f64, u64, u64)> = network
		.nodes
		.iter()
		.filter_map(|n| {
			let cgroup = n.cgroup.as_ref()?;
			let peak = cgroup.peak_bytes().unwrap_or(0) as f64 / (1024.0 * 1024.0);
			let kills = cgroup.oom_kills().unwrap_or(0);
			Some((n.name.to_string(), peak, kills, n.files_starved_samples))
		})
		.collect();
	let ms = |v: Option<f64>| v.map(|s| (s * 1000.0).round());
	let mut submit: Vec<(f64, u64)> = stats.submit_seconds.iter().map(|s| (*s, 1)).collect();
	let bad_accepted: u64 = stats.bad_accepted.values().sum();
	let bad_refused: u64 = stats.bad_refused.values().sum();
	// Valid frames not finalized: lost by Mensura's rules. The baseline's remarks that a
	// pool let go are the generic approach's own losses: reported, not a failure.
	let lost = if settings.baseline { 0 } else { unfinalized_frames };
	let summary = json!({
		"settings": {
			"validators": settings.validators,
			"meters": settings.meters,
			"offeredRate": settings.rate,
			"windowSeconds": window.as_secs_f64(),
			// What the senders really handed the node: below `offeredRate` when the
			// pool was full and they waited for room (`frames.poolFullRetries`).
			"sentRate": (valid_sent + bad_sent) as f64 / window.as_secs_f64(),
			"batch": settings.batch,
			"samplesPerChannel": settings.samples,
			"channels": 2,
			"frameBytes": frame_bytes,
			"frameFormatVersion": settings.format.version(),
			"scheme": settings.scheme.name(),
			"badPercent": settings.bad_fraction * 100.0,
			"senders": settings.senders,
			"baseline": settings.baseline,
		},
		"throughput": {
			"chainFramesPerSecond": chain_rate,
			"endToEndFramesPerSecond": end_to_end,
			"blocks": blocks.len(),
			"framesInBlocks": block_frames,
			"peakFramesInABlock": peak_block,
			"blockWeightPerFrameUs": weight_per_frame_us,
			"blockBytesPerFrame": bytes_per_frame,
		},
		"stateBytesPerMeter": {
			"meter": fleet[sampled].id,
			"framesFinalized": fleet[sampled].finalized,
			"bytes": state_bytes,
			"entries": state_entries.iter().map(|e| (e.item.to_string(), json!({"count": e.count, "bytes": e.bytes}))).collect::<serde_json::Map<_, _>>(),
		},
		"signatureVerification": {
			"perSecondOneCore": verify_rate,
			"fractionOfOneCore": chain_rate / verify_rate,
		},
		"latencyMs": {
			"inclusionP50": ms(quantile(&mut inclusion, 0.5)),
			"inclusionP95": ms(quantile(&mut inclusion, 0.95)),
			"finalityP50": ms(quantile(&mut finality, 0.5)),
			"finalityP95": ms(quantile(&mut finality, 0.95)),
			"submitP50": ms(quantile(&mut submit, 0.5)),
			"submitP95": ms(quantile(&mut submit, 0.95)),
			"rpcProbeP50": ms(quantile(&mut rpc_probe, 0.5)),
			"rpcProbeMax": ms(rpc_probe.iter().map(|p| p.0).reduce(f64::max)),
			"rpcProbeFailures": rpc_probe_failures,
		},
		"blockTimeMs": {
			"buildP50": quantile(&mut build_ms, 0.5),
			"buildMax": build_ms.iter().map(|b| b.0).reduce(f64::max),
			"buildEndReasons": end_reasons,
			"discardedProposals": discarded_proposals,
			"importMeanByNode": import_ms.iter().map(|(n, ms)| (n.clone(), json!(ms))).collect::<serde_json::Map<_, _>>(),
		},
		"poolValidations": validations.iter().map(|(n, v)| (n.clone(), json!({
			"all": v.all,
			"ofWhichViewRevalidations": v.view_revalidations,
			"transactionsSubmitted": stats.transactions,
			"perTransactionSubmitted": v.per_transaction,
			"signatureBatchesVerified": v.signature_batches_verified,
			"signatureBatchesRemembered": v.signature_batches_remembered,
		}))).collect::<serde_json::Map<_, _>>(),
		"cpu": {
			"nodesCoreSeconds": node_cpu,
			"nodesCores": node_cpu / busy,
			"nodesMsPerFinalizedFrame": if finalized_frames > 0 { 1000.0 * node_cpu / finalized_frames as f64 } else { 0.0 },
			"benchToolCoreSeconds": tool_cpu,
			"seconds": busy,
			"machineCores": std::thread::available_parallelism().map_or(0, |n| n.get()),
		},
		"memory": {
			"peakRssUnderLoadMiB": peak_rss.iter().map(|(n, k)| (n.clone(), json!(*k as f64 / 1024.0))).collect::<serde_json::Map<_, _>>(),
			"peakAnonymousUnderLoadMiB": peak_anon.iter().map(|(n, k)| (n.clone(), json!(*k as f64 / 1024.0))).collect::<serde_json::Map<_, _>>(),
			"rssSeriesMiB": memory_series.iter().map(|(t, rss)| {
				let mut point = vec![json!((t * 10.0).round() / 10.0)];
				point.extend(rss.iter().map(|k| json!(k / 1024)));
				point
			}).collect::<Vec<_>>(),
			"limitMiB": settings.memory_limit_mib,
			"limitPeakUseMiB": limited.iter().map(|(n, peak, ..)| (n.clone(), json!(peak))).collect::<serde_json::Map<_, _>>(),
			"limitOomKills": limited.iter().map(|(n, _, kills, _)| (n.clone(), json!(kills))).collect::<serde_json::Map<_, _>>(),
			"limitFilesStarvedSamples": limited.iter().map(|(n, .., starved)| (n.clone(), json!(starved))).collect::<serde_json::Map<_, _>>(),
			"firstStartReadyRssMiB": network.nodes.iter().map(|n| (n.name.to_string(), json!(n.first_start_rss_kib as f64 / 1024.0))).collect::<serde_json::Map<_, _>>(),
			"lifetimePeakMiB": lifetime_peak.iter().map(|(n, k)| (n.clone(), json!(*k as f64 / 1024.0))).collect::<serde_json::Map<_, _>>(),
		},
		"frames": {
			"validSent": valid_sent,
			"validFinalized": finalized_frames,
			"validRefusedByPool": stats.valid_refused_frames,
			"validRefusedReasons": stats.valid_refused,
			"validNotFinalized": unfinalized_frames,
			"measurementsOnChain": chain_total,
			"countMismatches": count_mismatches,
			"badSent": bad_kinds.iter().map(|(k, n)| (k.name().to_string(), json!(n))).collect::<serde_json::Map<_, _>>(),
			"badRefused": stats.bad_refused.iter().map(|((k, r), n)| (format!("{}: {r}", k.name()), json!(n))).collect::<serde_json::Map<_, _>>(),
			"badAccepted": bad_accepted,
			"badInBlocks": state.bad_included,
			"poolFullRetries": stats.pool_full_retries,
			// Valid transactions in no block asked about again (the same bytes sent
			// again) every few seconds, and what the pool answered.
			"askedAgain": { "transactions": stats.asked_again, "takenBack": stats.taken_again, "heldOutOfBlocksWithRoom": stats.held_out, "otherAnswers": stats.asked_again_answers },
			// Of them, the ones the pool had let go (banned, in no block): in a block
			// after all, or their frames sent again in new batches.
			"droppedByPool": { "transactions": stats.dropped_transactions, "frames": stats.dropped_frames },
			"droppedButIncluded": rebatches.included_all_the_same,
			"takenBack": { "transactions": rebatches.transactions, "frames": rebatches.frames },
			"takenBackRefused": stats.rebatch_refused,
			"baselineLostRemarks": if settings.baseline { unfinalized_frames } else { 0 },
			"resentTransactions": resends.transactions,
			"resentFrames": resends.frames,
			"resentAnswers": resends.answers,
			"rebatchedFrames": resends.rebatched_frames,
			"meterStarvedRounds": starved,
			"framesExhausted": exhausted,
		},
		"supplierFees": {
			"fee": fee.to_string(),
			"measurements": measured_in_run as u64,
			"charged": charged.to_string(),
			"owed": owed.to_string(),
			"exactlyOncePerMeasurement": fees_exact,
		},
		"attack": attack_stats.as_ref().map(|a| json!({
			"hostileMeter": hostile_id,
			"hostileValidSent": a.hostile_valid_sent,
			"hostileValidAccepted": a.hostile_valid_accepted,
			"hostileMeasured": hostile_measured,
			"hostileShortSent": a.hostile_short_accepted + a.hostile_short_refused,
			"hostileShortAccepted": a.hostile_short_accepted,
			"remarksSent": a.remarks_sent,
			"remarksAccepted": a.remarks_accepted,
			"remarksRefused": a.remarks_refused,
			"blocks": end_block.saturating_sub(start_block),
		})),
		"blocks": blocks.iter().map(|b| json!({
			"number": b.number, "seenSeconds": b.seen, "frames": b.frames,
			"extrinsics": b.extrinsics, "bytes": b.bytes, "frameWeightUs": b.frame_weight_us,
		})).collect::<Vec<_>>(),
	});

	let title = if settings.baseline {
		format!(
			"remark baseline, {} validator(s), {} meter accounts, each frame a signed \
			 System::remark: {:.0} frames/s on chain",
			settings.validators, settings.meters, chain_rate
		)
	} else {
		format!(
			"{} validator(s), {} meters, batches of {}: {:.0} frames/s on chain",
			settings.validators, settings.meters, settings.batch, chain_rate
		)
	};
	if let Some(out) = &args.out {
		std::fs::create_dir_all(out)
			.map_err(|e| Error::failure(format!("cannot create {}: {e}", out.display())))?;
		std::fs::write(
			out.join("bench.json"),
			serde_json::to_string_pretty(&summary).expect("JSON"),
		)
		.map_err(|e| Error::failure(format!("cannot write bench.json: {e}")))?;
		std::fs::write(out.join("frames-per-second.svg"), plot(&blocks, settings.rate, &title))
			.map_err(|e| Error::failure(format!("cannot write the plot: {e}")))?;
	}

	let l = &summary["latencyMs"];
	let f = &summary["frames"];
	println!("Mensura ingestion benchmark — {title}");
	println!(
		"  frames: {} channels × {} samples, {frame_bytes:.0} bytes (format version {}), {} signatures; offered {:.0}/s, sent {:.0}/s for {:.0} s ({}% bad; below the offer when the pool was full and the senders waited)",
		2,
		settings.samples,
		settings.format.version(),
		settings.scheme.name(),
		settings.rate,
		(valid_sent + bad_sent) as f64 / window.as_secs_f64(),
		window.as_secs_f64(),
		settings.bad_fraction * 100.0
	);
	println!(
		"  throughput: {chain_rate:.0} frames/s on chain ({block_frames} frames in {} blocks, at most {peak_block} in one, {weight_per_frame_us:.0} µs of block weight each); {end_to_end:.0} frames/s from first send to last finality",
		blocks.len()
	);
	println!(
		"  bytes: {bytes_per_frame:.0} block bytes per frame; state per meter {state_bytes} bytes (meter {}, {} frames in the run: {})",
		fleet[sampled].id,
		fleet[sampled].finalized,
		state_entries
			.iter()
			.filter(|e| e.count > 0)
			.map(|e| format!("{} {}×{}", e.item, e.count, e.bytes / e.count))
			.collect::<Vec<_>>()
			.join(", ")
	);
	println!(
		"  one core verifies {verify_rate:.0} {} signatures/s: the chain reaches {:.1}% of that",
		settings.scheme.name(),
		100.0 * chain_rate / verify_rate
	);
	println!(
		"  latency: inclusion p50 {} ms, p95 {} ms; finality p50 {} ms, p95 {} ms; submit call p50 {} ms, p95 {} ms",
		l["inclusionP50"], l["inclusionP95"], l["finalityP50"], l["finalityP95"], l["submitP50"], l["submitP95"]
	);
	println!(
		"  blocks: built in p50 {} ms, at most {} ms (6 s slots: Aura gives a proposal 4 s); proposals discarded for outlasting their slot {}; imported by other nodes in {} on average",
		summary["blockTimeMs"]["buildP50"],
		summary["blockTimeMs"]["buildMax"],
		summary["blockTimeMs"]["discardedProposals"],
		if settings.validators > 1 {
			import_ms
				.iter()
				.map(|(n, ms)| format!("{n} {}", ms.map_or("-".into(), |m| format!("{m:.0} ms"))))
				.collect::<Vec<_>>()
				.join(", ")
		} else {
			"- (one node)".to_string()
		}
	);
	println!(
		"  CPU from the first send to the last finality ({busy:.0} s): nodes {node_cpu:.0} core-seconds ({:.2} of {} cores, {:.2} ms per finalized frame), this tool {:.0}; blocks ended by {:?}",
		node_cpu / busy,
		std::thread::available_parallelism().map_or(0, |n| n.get()),
		if finalized_frames > 0 { 1000.0 * node_cpu / finalized_frames as f64 } else { 0.0 },
		tool_cpu.unwrap_or(0.0),
		end_reasons
	);
	println!(
		"  transaction-pool validations per transaction submitted ({} submitted; all kinds, and of them view revalidations): {}",
		stats.transactions,
		validations
			.iter()
			.map(|(n, v)| format!(
				"{n} {:.2} ({:.0}, of them {:.0})",
				v.per_transaction, v.all, v.view_revalidations
			))
			.collect::<Vec<_>>()
			.join(", ")
	);
	println!(
		"  batches of sr25519 signatures checked together, in the pool and in blocks (a single frame's signature is checked apart): {}",
		validations
			.iter()
			.map(|(n, v)| format!(
				"{n} {:.0} verified, {:.0} answered valid from memory",
				v.signature_batches_verified, v.signature_batches_remembered
			))
			.collect::<Vec<_>>()
			.join("; ")
	);
	println!(
		"  RPC under load: system_health p50 {} ms, max {} ms, {} failures",
		l["rpcProbeP50"], l["rpcProbeMax"], rpc_probe_failures
	);
	println!(
		"  memory: peak RSS under load {} (max {max_rss_mib:.0} MiB), of it anonymous (not ParityDB's mapped files) {}; lifetime peak, with reading the genesis, {}",
		peak_rss.iter().map(|(n, k)| format!("{n} {:.0} MiB", *k as f64 / 1024.0)).collect::<Vec<_>>().join(", "),
		peak_anon.iter().map(|(n, k)| format!("{n} {:.0} MiB", *k as f64 / 1024.0)).collect::<Vec<_>>().join(", "),
		lifetime_peak.iter().map(|(n, k)| format!("{n} {:.0} MiB", *k as f64 / 1024.0)).collect::<Vec<_>>().join(", ")
	);
	if let Some(limit) = settings.memory_limit_mib {
		println!(
			"  memory limit: {limit} MiB a node (a memory cgroup, page cache included); peak use {}; killed for memory {}; samples with less than {} MiB left for the node's code and database pages {} of {}",
			limited.iter().map(|(n, peak, ..)| format!("{n} {peak:.0} MiB")).collect::<Vec<_>>().join(", "),
			limited.iter().map(|(n, _, kills, _)| format!("{n} {kills}")).collect::<Vec<_>>().join(", "),
			cgroup::LEAST_ROOM_FOR_FILES / (1024 * 1024),
			limited.iter().map(|(n, .., starved)| format!("{n} {starved}")).collect::<Vec<_>>().join(", "),
			memory_series.len()
		);
	}
	println!(
		"  valid frames: {valid_sent} sent, {finalized_frames} finalized, {unfinalized_frames} not finalized; the pool refused {} (copies of frames another transaction stored among them); {chain_total} {} on chain",
		stats.valid_refused_frames,
		if settings.baseline { "remarks (account nonces)" } else { "measurements" }
	);
	println!(
		"  bad frames: {bad_sent} sent ({}), {bad_refused} refused ({}), {bad_accepted} accepted, {} in blocks",
		f["badSent"], f["badRefused"], state.bad_included
	);
	println!(
		"  pool-full retries {}, rounds without a free meter {starved}",
		stats.pool_full_retries
	);
	println!(
		"  asked the pool again about transactions in no block {} s after sending: {} times, {} taken back, {} held while {} blocks with room went by (let go), other answers {:?}",
		ASK_AGAIN_AFTER.as_secs(),
		stats.asked_again,
		stats.taken_again,
		stats.held_out,
		state.held_out_after(),
		stats.asked_again_answers
	);
	println!(
		"  let go by the pool after taking them: {} transactions, {} frames; of them in a block all the same {}; sent again in {} transactions ({} frames), refused {:?}",
		stats.dropped_transactions,
		stats.dropped_frames,
		rebatches.included_all_the_same,
		rebatches.transactions,
		rebatches.frames,
		stats.rebatch_refused
	);
	if settings.baseline && unfinalized_frames > 0 {
		println!(
			"  baseline: {unfinalized_frames} remarks never finalized (let go by the pool; a generic chain's user is not told, and a remark cannot go in another transaction)"
		);
	}
	println!(
		"  sent again (not final {} s after sending): {} transactions, {} frames ({} of them in new batches); answered {:?}",
		RESEND_AFTER.as_secs(),
		resends.transactions,
		resends.frames,
		resends.rebatched_frames,
		resends.answers
	);
	println!(
		"  supplier fees: {charged} charged + {owed} owed for {measured_in_run} measurements at {fee} each: {}",
		if fees_exact { "exactly one fee per measurement" } else { "MISMATCH" }
	);
	if let Some(a) = &attack_stats {
		println!(
			"  attack: hostile meter {} sent {} valid frames ({} accepted by the pool), {} measured in {} blocks (at most 16 a block); {} frames of 1 ms, {} accepted; {} tipped remarks sent, {} accepted, refused {:?}",
			hostile_id.unwrap_or_default(),
			a.hostile_valid_sent,
			a.hostile_valid_accepted,
			hostile_measured,
			end_block.saturating_sub(start_block),
			a.hostile_short_accepted + a.hostile_short_refused,
			a.hostile_short_accepted,
			a.remarks_sent,
			a.remarks_accepted,
			a.remarks_refused
		);
	}
	if let Some(out) = &args.out {
		println!(
			"  wrote {} and {}",
			out.join("bench.json").display(),
			out.join("frames-per-second.svg").display()
		);
	}

	let mut problems = Vec::new();
	// (The baseline's remarks still waiting are its lost remarks, reported above.)
	if !drained && !baseline_settled && !baseline {
		problems.push(format!("{} transactions were not finalized within 180 s", state.pending()));
	}
	if lost > 0 {
		problems.push(format!("{lost} valid frames were lost"));
	}
	if !count_mismatches.is_empty() {
		problems.push(format!("the chain's counts differ: {}", count_mismatches.join("; ")));
	}
	if chain_total != finalized_frames {
		problems.push(format!(
			"{chain_total} {} on chain for {finalized_frames} finalized frames",
			if settings.baseline { "remarks (account nonces)" } else { "measurements" }
		));
	}
	if bad_accepted > 0 || state.bad_included > 0 {
		problems.push(format!(
			"{bad_accepted} bad frames accepted by the pool, {} in blocks",
			state.bad_included
		));
	}
	if !fees_exact {
		problems.push(format!(
			"the supplier paid {charged} + owes {owed} for {measured_in_run} measurements at {fee}"
		));
	}
	if let Some(a) = &attack_stats {
		if a.hostile_short_accepted > 0 {
			problems.push(format!("{} frames of 1 ms were accepted", a.hostile_short_accepted));
		}
		let blocks = end_block.saturating_sub(start_block) + 1;
		if hostile_measured > 16 * blocks {
			problems.push(format!(
				"the hostile meter has {hostile_measured} measurements in {blocks} blocks"
			));
		}
	}
	if rpc_probe_failures > 0 {
		problems.push(format!("{rpc_probe_failures} RPC probes failed under load"));
	}
	if finalized_frames == 0 {
		problems.push("no frame was finalized".into());
	}
	if exhausted {
		problems.push("the pre-signed frames ran out (a bug in the sizing)".into());
	}
	for node in &mut network.nodes {
		if let Some(exit) = node.exited() {
			problems.push(exit);
		}
	}
	if problems.is_empty() {
		Ok(())
	} else {
		Err(Error::failure(problems.join("; ")))
	}
}

/// The measurements on chain of the meters `first_id..first_id + meters`, in order.
fn measurement_counts(client: &mut Client, first_id: u64, meters: usize) -> Result<Vec<u64>> {
	let mut counts: BTreeMap<u64, u64> = BTreeMap::new();
	let mut from = first_id;
	let last_id = first_id + meters as u64 - 1;
	while from <= last_id {
		let page: mensura_rpc::MeterPage =
			client.call_as("mensura_meters", json!([from, (last_id - from + 1).min(1000)]))?;
		for meter in page.meters {
			counts.insert(meter.id, meter.measurements);
		}
		match page.next {
			Some(next) if next <= last_id => from = next,
			_ => break,
		}
	}
	Ok((first_id..=last_id).map(|id| counts.get(&id).copied().unwrap_or(0)).collect())
}

/// The nonce of each meter's account at block `at` (`--baseline`), read 1,000 accounts a
/// call with `state_queryStorageAt`.
fn account_nonces(client: &mut Client, keys: &[MeterKey], at: &str) -> Result<Vec<u64>> {
	let mut nonces = Vec::with_capacity(keys.len());
	for chunk in keys.chunks(1000) {
		let storage_keys: Vec<String> = chunk
			.iter()
			.map(|key| match key {
				MeterKey::Sr25519(pair) => {
					Ok(hex(&frame_system::Account::<mensura_runtime::Runtime>::hashed_key_for(
						AccountId::from(pair.public()),
					)))
				}
				_ => Err(Error::usage("--baseline: meter accounts must be sr25519")),
			})
			.collect::<Result<_>>()?;
		let answer = client.call("state_queryStorageAt", json!([storage_keys, at]))?;
		let changes: HashMap<String, Option<String>> = answer[0]["changes"]
			.as_array()
			.ok_or_else(|| Error::node(format!("state_queryStorageAt at {at}: no changes")))?
			.iter()
			.filter_map(|c| Some((c[0].as_str()?.to_string(), c[1].as_str().map(String::from))))
			.collect();
		for key in &storage_keys {
			let nonce = match changes.get(key).cloned().flatten() {
				Some(value) => {
					let raw = unhex(&value).map_err(Error::node)?;
					let info = <frame_system::AccountInfo<
						mensura_runtime::Nonce,
						<mensura_runtime::Runtime as frame_system::Config>::AccountData,
					> as codec::Decode>::decode(&mut &raw[..])
					.map_err(|e| Error::node(format!("an account does not decode: {e}")))?;
					u64::from(info.nonce)
				}
				None => 0,
			};
			nonces.push(nonce);
		}
	}
	Ok(nonces)
}

/// A node's transaction-pool validations between two scrapes of its metrics. In
/// sc-transaction-pool 48 every validation of an external transaction — its submission,
/// its submission to each new block's view, the mempool's periodic revalidation and a
/// view's revalidation of its ready transactions — runs through the pool's asynchronous
/// `validate_transaction`, counted by `substrate_sub_txpool_validations_finished`; only
/// local submissions take the blocking path, which it does not count. Of them, the view
/// revalidations are also counted apart (`…_view_revalidation_resubmitted_txs_total` +
/// `…_invalid_txs_total`: the results a new view applied).
struct PoolValidations {
	all: f64,
	view_revalidations: f64,
	/// All of them, per transaction the senders submitted (each validates all its frames).
	per_transaction: f64,
	/// Batches of sr25519 signatures the node verified (in the pool and in blocks), and
	/// those it answered valid from its memory of valid batches
	/// (`mensura_sr25519_batches_total`).
	signature_batches_verified: f64,
	signature_batches_remembered: f64,
}

impl PoolValidations {
	fn between(
		before: &std::collections::HashMap<String, f64>,
		after: &std::collections::HashMap<String, f64>,
		submitted: u64,
	) -> Self {
		let delta = |name: &str| {
			after.get(name).copied().unwrap_or(0.0) - before.get(name).copied().unwrap_or(0.0)
		};
		let all = delta("substrate_sub_txpool_validations_finished");
		let view_revalidations =
			delta("substrate_sub_txpool_view_revalidation_resubmitted_txs_total")
				+ delta("substrate_sub_txpool_view_revalidation_invalid_txs_total");
		let per_transaction = if submitted > 0 { all / submitted as f64 } else { 0.0 };
		Self {
			all,
			view_revalidations,
			per_transaction,
			signature_batches_verified: delta(
				r#"mensura_sr25519_batches_total{answer="verified"}"#,
			),
			signature_batches_remembered: delta(
				r#"mensura_sr25519_batches_total{answer="remembered"}"#,
			),
		}
	}
}

/// The weight (ref time, µs) the transaction `bytes` declares at the node's best block:
/// its call's and extensions' (`TransactionPaymentApi_query_info`, which reads what the
/// declaration depends on, such as the approved programs' most operators) and the
/// extrinsic base weight of its dispatch `class`.
fn declared_weight_us(
	client: &mut Client,
	bytes: &[u8],
	class: frame_support::dispatch::DispatchClass,
) -> Result<f64> {
	let extrinsic = <mensura_runtime::UncheckedExtrinsic as codec::Decode>::decode(&mut &bytes[..])
		.map_err(|e| Error::failure(format!("a bench transaction does not decode: {e}")))?;
	let (weight, _class, _fee): (
		frame_support::weights::Weight,
		frame_support::dispatch::DispatchClass,
		u128,
	) = client.runtime_call("TransactionPaymentApi_query_info", (extrinsic, bytes.len() as u32))?;
	let base = <mensura_runtime::Runtime as frame_system::Config>::BlockWeights::get()
		.get(class)
		.base_extrinsic;
	Ok(weight.saturating_add(base).ref_time() as f64 / 1e6)
}
