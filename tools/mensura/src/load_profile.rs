//! Simulated households: a load profile (a time-of-day curve, a base load, appliances
//! switching on and off, measurement noise and the odd current spike) and a mains voltage
//! with drift and noise, drawn from a small deterministic random generator so that a run
//! repeats exactly. `mensura simulate` and `mensura bench` sign frames of these samples.

/// SplitMix64: small, fast, and the same sequence on every machine.
pub(crate) struct Random(pub(crate) u64);

impl Random {
	pub(crate) fn next(&mut self) -> u64 {
		self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
		let mut z = self.0;
		z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
		z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
		z ^ (z >> 31)
	}

	/// Uniform in [0, 1).
	pub(crate) fn unit(&mut self) -> f64 {
		(self.next() >> 11) as f64 / (1u64 << 53) as f64
	}

	/// Roughly normal, mean 0 and standard deviation 1 (sum of 12 uniforms).
	pub(crate) fn normal(&mut self) -> f64 {
		(0..12).map(|_| self.unit()).sum::<f64>() - 6.0
	}
}

/// Appliances a household switches on: (current in A, mean frames it stays on).
pub(crate) const APPLIANCES: [(f64, f64); 4] = [(8.7, 4.0), (10.0, 20.0), (2.1, 30.0), (0.8, 60.0)];

/// One simulated household supply.
pub(crate) struct LoadProfile {
	pub(crate) random: Random,
	/// Always-on load, A.
	pub(crate) base: f64,
	/// Appliances that are on: (current, frames left).
	pub(crate) running: Vec<(f64, u32)>,
	/// Slow mains-voltage drift, as a phase.
	pub(crate) drift: f64,
}

impl LoadProfile {
	pub(crate) fn new(seed: u64, meter: u64) -> Self {
		let mut random = Random(seed ^ meter.wrapping_mul(0xA24B_AED4_963E_E407));
		let base = 0.2 + 1.3 * random.unit();
		let drift = random.unit() * std::f64::consts::TAU;
		LoadProfile { random, base, running: Vec::new(), drift }
	}

	/// A household's typical shape over the day: low at night, peaks in the morning and
	/// the evening.
	pub(crate) fn time_of_day(ms: u64) -> f64 {
		let hour = (ms / 1000 % 86_400) as f64 / 3600.0;
		let bump = |centre: f64, width: f64| (-((hour - centre) / width).powi(2)).exp();
		0.5 + 0.8 * bump(7.5, 1.5) + 1.1 * bump(19.5, 2.5) + 0.3 * bump(13.0, 2.0)
	}

	/// Measurement noise of another instrument: roughly normal, standard deviation 1.
	pub(crate) fn noise(&mut self) -> f64 {
		self.random.normal()
	}

	/// The two channels of one frame of the interval starting at `start`: voltage in mV,
	/// current in mA.
	pub(crate) fn frame(&mut self, start: u64, samples: usize) -> Vec<Vec<i32>> {
		// Appliances switch on at a random sample of the frame and run for a while.
		let mut switch_on = None;
		if self.random.unit() < 0.08 {
			let (amps, mean) = APPLIANCES[(self.random.next() % APPLIANCES.len() as u64) as usize];
			let frames = 1 + (self.random.unit() * 2.0 * mean) as u32;
			switch_on = Some(((self.random.next() % samples as u64) as usize, amps, frames));
		}
		let running: f64 = self.running.iter().map(|(amps, _)| amps).sum();
		let load = self.base * Self::time_of_day(start) + running;
		self.drift += 0.01;
		let volts = 230.0 * (1.0 + 0.015 * self.drift.sin());
		let spike =
			(self.random.unit() < 0.02).then(|| (self.random.next() % samples as u64) as usize);

		let mut voltage = Vec::with_capacity(samples);
		let mut current = Vec::with_capacity(samples);
		for i in 0..samples {
			let extra = match switch_on {
				Some((at, amps, _)) if i >= at => amps,
				_ => 0.0,
			};
			let v = volts * (1.0 + 0.002 * self.random.normal());
			let mut a = (load + extra) * (1.0 + 0.01 * self.random.normal());
			if spike == Some(i) {
				a = 90.0; // a switching transient the LR program's median filter removes
			}
			voltage.push((v * 1000.0).round() as i32);
			current.push((a.max(0.0) * 1000.0).round() as i32);
		}
		self.running.retain_mut(|(_, left)| {
			*left = left.saturating_sub(1);
			*left > 0
		});
		if let Some((_, amps, frames)) = switch_on {
			self.running.push((amps, frames));
		}
		vec![voltage, current]
	}
}
