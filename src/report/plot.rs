//! The three SVG plots of the report, drawn with plotters' SVG backend into strings.
//! Text is left to the browser (SVG `<text>`), so no font files are needed; every range
//! is checked finite and non-empty before plotters sees it.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{Ended, ReportError};
use crate::journal::latency::Distribution;
use crate::num::Decimal;

const SIZE: (u32, u32) = (900, 480);

/// Axis and legend text (the backend's default is about 10 px).
const LABEL: (&str, u32) = ("sans-serif", 14);

/// Tableau 10: distinct on white, and readable for most colour-blind readers.
const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// The outcomes, bottom to top on the timeline, with their colours.
pub(super) const OUTCOMES: [(&str, RGBColor); 4] = [
    ("filled", RGBColor(44, 160, 44)),
    ("rebalanced", RGBColor(31, 119, 180)),
    ("flat", RGBColor(255, 127, 14)),
    ("unhedged", RGBColor(214, 39, 40)),
];

fn plot_err<E: std::fmt::Display>(e: E) -> ReportError {
    ReportError::Plot(e.to_string())
}

/// Draws with `draw` on a fresh SVG canvas and returns the SVG text.
fn svg(
    draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> Result<(), ReportError>,
) -> Result<String, ReportError> {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(plot_err)?;
        draw(&root)?;
        root.present().map_err(plot_err)?;
    }
    Ok(out)
}

/// `lo..hi` widened to at least `min_width`, or `None` if not finite.
fn span(lo: f64, hi: f64, min_width: f64) -> Option<(f64, f64)> {
    if !lo.is_finite() || !hi.is_finite() || lo > hi {
        return None;
    }
    let pad = ((hi - lo) * 0.08).max(min_width / 2.0);
    Some((lo - pad, hi + pad))
}

/// `90%`, `99%`, `99.9%` … for the decade `x` of 1/(1-p).
fn percentile_label(x: f64) -> String {
    let k = x.round();
    if (x - k).abs() > 1e-6 || k < 0.0 {
        return format!("{:.3}%", 100.0 * (1.0 - 10f64.powf(-x)));
    }
    match k as u32 {
        0 => "0%".to_string(),
        1 => "90%".to_string(),
        2 => "99%".to_string(),
        n => format!("99.{}%", "9".repeat(n as usize - 2)),
    }
}

/// `1 ns` … `10 ms` for the decade `y` of a latency in ns.
fn ns_label(y: f64) -> String {
    let k = y.round();
    if (y - k).abs() > 1e-6 {
        return String::new();
    }
    let k = k as i32;
    let (unit, scale) = match k {
        i32::MIN..=2 => ("ns", 0),
        3..=5 => ("µs", 3),
        6..=8 => ("ms", 6),
        _ => ("s", 9),
    };
    format!("{} {unit}", 10f64.powi(k - scale))
}

/// A stage's curve: (log10 1/(1-p), log10 ns), leaving out p = 1 (at infinity) unless
/// it is all there is (one value), which then shows at 0%.
fn curve(d: &Distribution) -> Vec<(f64, f64)> {
    let y = |v: f64| v.max(1.0).log10();
    let c: Vec<(f64, f64)> = d
        .points
        .iter()
        .filter(|p| p.quantile < 1.0)
        .map(|p| ((1.0 / (1.0 - p.quantile)).log10(), y(p.value_ns)))
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .collect();
    match d.points.first() {
        Some(p) if c.is_empty() && p.value_ns.is_finite() => vec![(0.0, y(p.value_ns))],
        _ => c,
    }
}

/// Latency percentile distribution per stage, HdrHistogram style: x is 1/(1-p) on a log
/// axis (labelled 0%, 90%, 99%, 99.9%, …), y the latency on a log axis (stages differ
/// by orders of magnitude). One line a stage that has values.
pub(super) fn latency(dists: &[Distribution]) -> Result<String, ReportError> {
    let curves: Vec<(&str, Vec<(f64, f64)>)> = dists
        .iter()
        .map(|d| (d.stage, curve(d)))
        .filter(|(_, c)| !c.is_empty())
        .collect();
    let all = curves.iter().flat_map(|(_, c)| c.iter());
    let x_hi = all.clone().map(|p| p.0).fold(1.0, f64::max).ceil();
    let y_lo = all.clone().map(|p| p.1).fold(f64::INFINITY, f64::min);
    let y_hi = all.map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
    let (y_lo, y_hi) = if y_lo <= y_hi {
        (y_lo.floor(), y_hi.ceil().max(y_lo.floor() + 1.0))
    } else {
        (0.0, 3.0)
    };
    svg(|root| {
        let mut chart = ChartBuilder::on(root)
            .margin(16)
            .x_label_area_size(44)
            .y_label_area_size(72)
            .build_cartesian_2d(0.0..x_hi, y_lo..y_hi)
            .map_err(plot_err)?;
        chart
            .configure_mesh()
            .label_style(LABEL)
            .axis_desc_style(LABEL)
            .x_labels(x_hi as usize + 1)
            .y_labels((y_hi - y_lo) as usize + 1)
            .x_label_formatter(&|x| percentile_label(*x))
            .y_label_formatter(&|y| ns_label(*y))
            .x_desc("percentile")
            .y_desc("latency")
            .draw()
            .map_err(plot_err)?;
        for (i, (stage, c)) in curves.iter().enumerate() {
            let color = PALETTE[i % PALETTE.len()];
            chart
                .draw_series(LineSeries::new(c.iter().copied(), color.stroke_width(2)))
                .map_err(plot_err)?
                .label(*stage)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
                });
            if c.len() < 3 {
                // Too few rows for a visible line (a stage with one or two values).
                chart
                    .draw_series(c.iter().map(|&p| Circle::new(p, 3, color.filled())))
                    .map_err(plot_err)?;
            }
        }
        if !curves.is_empty() {
            chart
                .configure_series_labels()
                .label_font(LABEL)
                .position(SeriesLabelPosition::LowerRight)
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK)
                .draw()
                .map_err(plot_err)?;
        }
        Ok(())
    })
}

fn bps(x: &Option<Decimal>) -> Option<f64> {
    x.map(Decimal::to_f64).filter(|v| v.is_finite())
}

/// `(expected, actual)` slippage in bps of every leg that filled, one series a venue
/// and instrument, in order of first appearance.
fn slippage_series(groups: &[&Ended]) -> Vec<(String, Vec<(f64, f64)>)> {
    let mut series: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
    for g in groups {
        for l in &g.group.legs {
            let (Some(x), Some(y)) = (bps(&l.expected_slippage_bps), bps(&l.slippage_bps)) else {
                continue;
            };
            let name = format!("{} {}", l.venue, l.instrument);
            match series.iter_mut().find(|(n, _)| *n == name) {
                Some((_, v)) => v.push((x, y)),
                None => series.push((name, vec![(x, y)])),
            }
        }
    }
    series
}

/// Expected against actual slippage, one point a leg that filled, one colour a venue
/// and instrument, and the y = x line where the ranges meet (above it: worse than the
/// walk expected).
pub(super) fn slippage(groups: &[&Ended]) -> Result<String, ReportError> {
    let series = slippage_series(groups);
    let pts = || series.iter().flat_map(|(_, v)| v.iter());
    let lo_hi = |f: fn(&(f64, f64)) -> f64| {
        let lo = pts().map(f).fold(0.0, f64::min);
        let hi = pts().map(f).fold(0.0, f64::max);
        span(lo, hi, 0.02).unwrap_or((-1.0, 1.0))
    };
    let (x0, x1) = lo_hi(|p| p.0);
    let (y0, y1) = lo_hi(|p| p.1);
    // Headroom above every point for the legend in the upper left.
    let y1 = y1 + 0.3 * (y1 - y0);
    svg(|root| {
        let mut chart = ChartBuilder::on(root)
            .margin(16)
            .x_label_area_size(44)
            .y_label_area_size(72)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(plot_err)?;
        chart
            .configure_mesh()
            .label_style(LABEL)
            .axis_desc_style(LABEL)
            .x_desc("expected slippage, bps (the pre-flight walk)")
            .y_desc("actual slippage, bps (the fills)")
            .draw()
            .map_err(plot_err)?;
        let (d0, d1) = (x0.max(y0), x1.min(y1));
        if d0 < d1 {
            let grey = RGBColor(90, 90, 90);
            chart
                .draw_series(DashedLineSeries::new(
                    [(d0, d0), (d1, d1)],
                    6,
                    4,
                    grey.stroke_width(1),
                ))
                .map_err(plot_err)?
                .label("y = x")
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], grey));
        }
        for (i, (name, v)) in series.iter().enumerate() {
            let color = PALETTE[i % PALETTE.len()];
            chart
                .draw_series(v.iter().map(|&p| Circle::new(p, 5, color.filled())))
                .map_err(plot_err)?
                .label(name.as_str())
                .legend(move |(x, y)| Circle::new((x + 10, y), 5, color.filled()));
        }
        chart
            .configure_series_labels()
            .label_font(LABEL)
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()
            .map_err(plot_err)?;
        Ok(())
    })
}

/// Group ends over time: x the end in s from the journal's first record, y (and colour)
/// the outcome, each point labelled with its group id.
pub(super) fn outcomes(ends: &[Ended], t0_ns: u64) -> Result<String, ReportError> {
    let row = |o: &str| OUTCOMES.iter().position(|(n, _)| *n == o);
    let pts: Vec<(f64, usize, usize)> = ends
        .iter()
        .filter_map(|e| {
            let s = e.t_ns.saturating_sub(t0_ns) as f64 / 1e9;
            Some((s, row(&e.group.outcome)?, e.group.id))
        })
        .collect();
    let t_hi = pts.iter().map(|p| p.0).fold(0.0, f64::max);
    let (x0, x1) = span(0.0, t_hi, 0.01).unwrap_or((0.0, 1.0));
    svg(|root| {
        let mut chart = ChartBuilder::on(root)
            .margin(16)
            .x_label_area_size(44)
            .y_label_area_size(96)
            .build_cartesian_2d(x0..x1, -0.5f64..3.5)
            .map_err(plot_err)?;
        chart
            .configure_mesh()
            .label_style(LABEL)
            .axis_desc_style(LABEL)
            .y_labels(5)
            .y_label_formatter(&|y| {
                let k = y.round();
                if (y - k).abs() > 1e-6 || !(0.0..=3.0).contains(&k) {
                    return String::new();
                }
                OUTCOMES[k as usize].0.to_string()
            })
            .disable_y_mesh()
            .x_desc("group end, s from the first record (the run's loop clock)")
            .draw()
            .map_err(plot_err)?;
        for (r, (_, color)) in OUTCOMES.iter().enumerate() {
            let mine = pts.iter().filter(|p| p.1 == r);
            let color = *color;
            chart
                .draw_series(
                    mine.clone()
                        .map(|p| Circle::new((p.0, r as f64), 6, color.filled())),
                )
                .map_err(plot_err)?;
            chart
                // Above and below in turn, so that ids of close ends stay apart.
                .draw_series(mine.enumerate().map(|(k, p)| {
                    let dy = if k % 2 == 0 { 0.18 } else { -0.1 };
                    Text::new(
                        format!("g{}", p.2),
                        (p.0, r as f64 + dy),
                        ("sans-serif", 12).into_font().color(&BLACK),
                    )
                }))
                .map_err(plot_err)?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_labels() {
        let p: Vec<String> = (0..5).map(|k| percentile_label(f64::from(k))).collect();
        assert_eq!(p, ["0%", "90%", "99%", "99.9%", "99.99%"]);
        let n: Vec<String> = [0, 2, 3, 7, 9]
            .iter()
            .map(|&k| ns_label(k as f64))
            .collect();
        assert_eq!(n, ["1 ns", "100 ns", "1 µs", "10 ms", "1 s"]);
        assert_eq!(ns_label(2.5), "");
        assert_eq!(span(f64::NAN, 1.0, 1.0), None);
        assert_eq!(span(1.0, 1.0, 1.0), Some((0.5, 1.5)));
    }

    #[test]
    fn every_stage_with_values_gets_a_curve() {
        use crate::journal::latency::Point;
        use crate::telemetry::{Stage, Telemetry};
        let mut t = Telemetry::new();
        t.record(Stage::Risk, 1_000);
        let text = t.distribution(Stage::Risk);
        let rows: Vec<Point> = text
            .lines()
            .filter_map(|l| {
                let c: Vec<&str> = l.split_whitespace().collect();
                Some(Point {
                    value_ns: c.first()?.parse().ok()?,
                    quantile: c.get(1)?.parse().ok()?,
                    total: c.get(2)?.parse().ok()?,
                })
            })
            .collect();
        let d = Distribution {
            stage: "risk",
            count: 1,
            points: rows,
        };
        let c = curve(&d);
        assert!(!c.is_empty(), "{text}");
        assert!(
            c.iter().all(|&(x, y)| x >= 0.0 && (y - 3.0).abs() < 0.01),
            "{c:?}"
        );
        let svg = latency(&[d]).expect("draws");
        assert!(
            svg.contains(">\nrisk\n</text>"),
            "the legend names the stage"
        );
    }
}
