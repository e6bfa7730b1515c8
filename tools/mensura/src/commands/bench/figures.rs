//! Figures: weighted quantiles and the SVG plot of frames per second over time.

use super::*;

/// The `q`-quantile of weighted values (value, weight), nearest rank.
pub(super) fn quantile(values: &mut [(f64, u64)], q: f64) -> Option<f64> {
	values.sort_by(|a, b| a.0.total_cmp(&b.0));
	let total: u64 = values.iter().map(|v| v.1).sum();
	if total == 0 {
		return None;
	}
	let rank = ((q * total as f64).ceil() as u64).clamp(1, total);
	let mut seen = 0;
	for (value, weight) in values.iter() {
		seen += weight;
		if seen >= rank {
			return Some(*value);
		}
	}
	values.last().map(|v| v.0)
}

/// A line plot of frames/s per block over time, with the offered rate, as SVG.
pub(super) fn plot(blocks: &[BlockSeen], offered: f64, title: &str) -> String {
	let (w, h, left, bottom, top, right) = (760.0, 360.0, 70.0, 40.0, 30.0, 20.0);
	let points: Vec<(f64, f64)> =
		blocks.iter().map(|b| (b.seen, b.frames as f64 / SLOT_SECONDS)).collect();
	let x_max = points.iter().map(|p| p.0).fold(1.0, f64::max);
	let y_max = points.iter().map(|p| p.1).fold(offered, f64::max) * 1.1;
	let x = |v: f64| left + v / x_max * (w - left - right);
	let y = |v: f64| h - bottom - v / y_max * (h - bottom - top);
	let mut svg = format!(
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" \
		 font-family=\"sans-serif\" font-size=\"12\">\n\
		 <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
		 <text x=\"{}\" y=\"18\" text-anchor=\"middle\">{title}</text>\n",
		w / 2.0
	);
	for i in 0..=5 {
		let v = y_max * i as f64 / 5.0;
		svg += &format!(
			"<line x1=\"{left}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#ddd\"/>\
			 <text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{v:.0}</text>\n",
			w - right,
			left - 6.0,
			y(v) + 4.0,
			y = y(v)
		);
	}
	for i in 0..=6 {
		let v = x_max * i as f64 / 6.0;
		svg += &format!(
			"<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{v:.0}</text>\n",
			x(v),
			h - bottom + 16.0
		);
	}
	svg += &format!(
		"<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">seconds since the first frame was sent</text>\n\
		 <text x=\"14\" y=\"{}\" transform=\"rotate(-90 14 {})\" text-anchor=\"middle\">frames/s in the block (frames ÷ 6 s)</text>\n",
		(left + w - right) / 2.0,
		h - 6.0,
		h / 2.0,
		h / 2.0
	);
	svg += &format!(
		"<line x1=\"{left}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#c33\" stroke-dasharray=\"6 4\"/>\
		 <text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#c33\">offered {offered:.0}/s</text>\n",
		w - right,
		w - right - 4.0,
		y(offered) - 6.0,
		y = y(offered)
	);
	let line: Vec<String> =
		points.iter().map(|(a, b)| format!("{:.1},{:.1}", x(*a), y(*b))).collect();
	svg += &format!(
		"<polyline fill=\"none\" stroke=\"#236\" stroke-width=\"2\" points=\"{}\"/>\n",
		line.join(" ")
	);
	for (a, b) in &points {
		svg +=
			&format!("<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"2.5\" fill=\"#236\"/>\n", x(*a), y(*b));
	}
	svg + "</svg>\n"
}
