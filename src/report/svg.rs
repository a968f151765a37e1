//! The report's charts as plain SVG (the `svg` crate writes it, attributes
//! sorted): no script, no external font or stylesheet, so a browser or a
//! Markdown viewer shows them as they are. Every data point is its own mark
//! with a class (`bar`, `point`, `copy`, `fault`) and a `<title>` that says
//! what it is; coordinates are written with one decimal, so the same data
//! always gives the same bytes.

use super::stats::HOUR_MS;
use super::timeline::Timeline;
use sim::lineage::EndCause;
use svg::node::element::{Circle, Group, Line, Polyline, Rectangle, Text, Title};
use svg::Document;

/// Colours of the designs, in the order the report lists them.
const PALETTE: [&str; 6] = [
    "#c0392b", "#2471a3", "#229954", "#b9770e", "#7d3c98", "#566573",
];

/// The colour of the `i`th design.
pub fn colour(i: usize) -> &'static str {
    PALETTE[i % PALETTE.len()]
}

/// A coordinate or length with one decimal.
fn n(x: f64) -> String {
    format!("{x:.1}")
}

fn text(x: f64, y: f64, anchor: &str, size: u32, s: &str) -> Text {
    Text::new(s)
        .set("x", n(x))
        .set("y", n(y))
        .set("text-anchor", anchor)
        .set("font-size", size)
}

fn line(x1: f64, y1: f64, x2: f64, y2: f64, stroke: &str) -> Line {
    Line::new()
        .set("x1", n(x1))
        .set("y1", n(y1))
        .set("x2", n(x2))
        .set("y2", n(y2))
        .set("stroke", stroke)
        .set("stroke-width", 1)
}

fn document(width: f64, height: f64, title: &str) -> Document {
    Document::new()
        .set("width", n(width))
        .set("height", n(height))
        .set("viewBox", format!("0 0 {} {}", n(width), n(height)))
        .set("font-family", "sans-serif")
        .add(Title::new(title))
        .add(
            Rectangle::new()
                .set("class", "background")
                .set("width", "100%")
                .set("height", "100%")
                .set("fill", "#ffffff"),
        )
}

/// The SVG text of `doc`, with an XML declaration and a final newline.
fn finish(doc: Document) -> String {
    format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{doc}\n")
}

/// A round upper bound for an axis that must reach `max`, and its step.
fn nice_axis(max: f64) -> (f64, f64) {
    if max <= 0.0 {
        return (1.0, 0.25);
    }
    let raw = max / 4.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    ((max / step).ceil() * step, step)
}

/// A tick step in ms for a time axis of `span_ms`: at most about 8 ticks.
fn time_step(span_ms: u64) -> u64 {
    let h = HOUR_MS;
    [h, 3 * h, 6 * h, 12 * h, 24 * h, 48 * h, 168 * h]
        .into_iter()
        .find(|s| span_ms / s <= 8)
        .unwrap_or(336 * h)
}

/// `1d 06:00`, or `1d` on a day boundary.
fn time_label(ms: u64) -> String {
    let s = ms / 1000;
    let (d, h, m) = (s / 86_400, (s / 3600) % 24, (s / 60) % 60);
    if h == 0 && m == 0 {
        format!("{d}d")
    } else {
        format!("{d}d {h:02}:{m:02}")
    }
}

/// One bar of the loss-rate chart.
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    /// The scenario.
    pub scenario: String,
    /// The design.
    pub design: String,
    /// The index of the design in the report (its colour).
    pub design_index: usize,
    /// Seeds that broke the promise.
    pub broke: u64,
    /// Seeds run.
    pub seeds: u64,
}

/// Loss rate per design and scenario: one `rect.bar` per cell, grouped by
/// scenario, height the share of seeds that broke the promise.
pub fn loss_rate(bars: &[Bar], designs: &[String]) -> String {
    let scenarios: Vec<&str> = {
        let mut v: Vec<&str> = Vec::new();
        for b in bars {
            if !v.contains(&b.scenario.as_str()) {
                v.push(&b.scenario);
            }
        }
        v
    };
    let per_group = designs.len().max(1) as f64;
    let bar_w = 36.0;
    let group_w = per_group * bar_w + 40.0;
    let (left, top, plot_h) = (60.0, 40.0, 220.0);
    let width = (left + group_w * scenarios.len().max(1) as f64 + 20.0).max(420.0);
    let height = top + plot_h + 60.0 + 20.0 * designs.len() as f64;
    let mut doc = document(
        width,
        height,
        "Loss rate: share of seeds that broke the promise, per scenario and design",
    );
    doc = doc.add(text(
        left,
        24.0,
        "start",
        14,
        "Seeds that broke the promise (%)",
    ));
    let y = |pct: f64| top + plot_h * (1.0 - pct / 100.0);
    let mut axis = Group::new().set("class", "axis");
    for pct in [0.0, 25.0, 50.0, 75.0, 100.0] {
        axis = axis
            .add(line(left, y(pct), width - 20.0, y(pct), "#dddddd"))
            .add(text(
                left - 6.0,
                y(pct) + 4.0,
                "end",
                11,
                &format!("{pct:.0}%"),
            ));
    }
    doc = doc.add(axis);
    let mut marks = Group::new().set("class", "bars");
    for (g, scenario) in scenarios.iter().enumerate() {
        let gx = left + 20.0 + g as f64 * group_w;
        for b in bars.iter().filter(|b| b.scenario == *scenario) {
            let pct = if b.seeds == 0 {
                0.0
            } else {
                100.0 * b.broke as f64 / b.seeds as f64
            };
            let x = gx + b.design_index as f64 * bar_w;
            let title = format!(
                "{} / {}: {} of {} seeds broke the promise ({pct:.0}%)",
                b.scenario, b.design, b.broke, b.seeds
            );
            marks = marks
                .add(
                    Rectangle::new()
                        .set("class", "bar")
                        .set("data-scenario", b.scenario.as_str())
                        .set("data-design", b.design.as_str())
                        .set("x", n(x + 4.0))
                        .set("y", n(y(pct)))
                        .set("width", n(bar_w - 8.0))
                        .set("height", n(plot_h * pct / 100.0))
                        .set("fill", colour(b.design_index))
                        .add(Title::new(title)),
                )
                .add(text(
                    x + bar_w / 2.0,
                    y(pct) - 4.0,
                    "middle",
                    10,
                    &format!("{pct:.0}%"),
                ));
        }
        marks = marks.add(text(
            gx + per_group * bar_w / 2.0,
            top + plot_h + 18.0,
            "middle",
            12,
            scenario,
        ));
    }
    doc = doc.add(marks);
    doc = doc.add(legend(designs, left, top + plot_h + 40.0));
    finish(doc)
}

fn legend(designs: &[String], x: f64, y: f64) -> Group {
    let mut g = Group::new().set("class", "legend");
    for (i, d) in designs.iter().enumerate() {
        let yy = y + 20.0 * i as f64;
        g = g
            .add(
                Rectangle::new()
                    .set("x", n(x))
                    .set("y", n(yy - 10.0))
                    .set("width", 12)
                    .set("height", 12)
                    .set("fill", colour(i)),
            )
            .add(text(x + 18.0, yy, "start", 12, d));
    }
    g
}

/// One design's exposure series in one scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// The design.
    pub design: String,
    /// The index of the design in the report (its colour).
    pub design_index: usize,
    /// Per simulated hour: records exposed, on average over the seeds.
    pub per_hour: Vec<f64>,
}

/// Exposure over simulated time in one scenario: per design, one
/// `circle.point` per simulated hour (the mean number of records with
/// exactly one surviving copy in that hour), joined by a line.
pub fn exposure(scenario: &str, series: &[Series], designs: &[String], heal_at_ms: u64) -> String {
    let hours = series
        .iter()
        .map(|s| s.per_hour.len())
        .max()
        .unwrap_or(0)
        .max(1);
    let max = series
        .iter()
        .flat_map(|s| s.per_hour.iter().copied())
        .fold(0.0, f64::max);
    let (ymax, ystep) = nice_axis(max);
    let (left, top, plot_w, plot_h) = (70.0, 40.0, 640.0, 240.0);
    let width = left + plot_w + 30.0;
    let height = top + plot_h + 60.0 + 20.0 * designs.len() as f64;
    let mut doc = document(
        width,
        height,
        &format!("Exposure over simulated time in {scenario}"),
    );
    doc = doc.add(text(
        left,
        24.0,
        "start",
        14,
        &format!("{scenario}: records with exactly one surviving copy (mean over seeds, per hour)"),
    ));
    let span = hours as u64 * HOUR_MS;
    let x = |ms: f64| left + plot_w * ms / span as f64;
    let y = |v: f64| top + plot_h * (1.0 - v / ymax);
    let mut axis = Group::new().set("class", "axis");
    let mut v = 0.0;
    while v <= ymax + ystep / 2.0 {
        axis = axis
            .add(line(left, y(v), left + plot_w, y(v), "#dddddd"))
            .add(text(left - 6.0, y(v) + 4.0, "end", 11, &trim_float(v)));
        v += ystep;
    }
    let step = time_step(span);
    let mut t = 0;
    while t <= span {
        axis = axis
            .add(line(
                x(t as f64),
                top + plot_h,
                x(t as f64),
                top + plot_h + 4.0,
                "#333333",
            ))
            .add(text(
                x(t as f64),
                top + plot_h + 18.0,
                "middle",
                11,
                &time_label(t),
            ));
        t += step;
    }
    if heal_at_ms > 0 && heal_at_ms <= span {
        let hx = x(heal_at_ms as f64);
        axis = axis
            .add(line(hx, top, hx, top + plot_h, "#888888").set("stroke-dasharray", "4 3"))
            .add(text(hx + 4.0, top + 12.0, "start", 10, "heal"));
    }
    doc = doc.add(axis);
    for s in series {
        let c = colour(s.design_index);
        let points: Vec<String> = s
            .per_hour
            .iter()
            .enumerate()
            .map(|(h, v)| format!("{},{}", n(x((h as f64 + 0.5) * HOUR_MS as f64)), n(y(*v))))
            .collect();
        let mut g = Group::new()
            .set("class", "series")
            .set("data-design", s.design.as_str())
            .add(
                Polyline::new()
                    .set("class", "line")
                    .set("points", points.join(" "))
                    .set("fill", "none")
                    .set("stroke", c)
                    .set("stroke-width", 1.5),
            );
        for (h, v) in s.per_hour.iter().enumerate() {
            g = g.add(
                Circle::new()
                    .set("class", "point")
                    .set("cx", n(x((h as f64 + 0.5) * HOUR_MS as f64)))
                    .set("cy", n(y(*v)))
                    .set("r", 2.5)
                    .set("fill", c)
                    .add(Title::new(format!(
                        "{}: hour {} ({}): {:.2} records exposed",
                        s.design,
                        h,
                        time_label(h as u64 * HOUR_MS),
                        v
                    ))),
            );
        }
        doc = doc.add(g);
    }
    doc = doc.add(legend(designs, left, top + plot_h + 40.0));
    finish(doc)
}

/// `2`, `2.5`, `0.25`: a tick value without trailing zeros.
fn trim_float(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// The timeline of one record: one lane per place, one `rect.copy` per
/// copy (from its creation to its end, or to the check), one
/// `circle.fault` per fault that hit the lane, at the time it fired.
pub fn timeline(t: &Timeline, scenario: &str, design: &str) -> String {
    let (left, top, plot_w, lane_h) = (190.0, 50.0, 600.0, 40.0);
    let lanes = t.lanes.len().max(1) as f64;
    let width = left + plot_w + 30.0;
    let height = top + lane_h * lanes + 70.0;
    let span = t.end.as_millis().max(1);
    let x = |ms: u64| left + plot_w * ms as f64 / span as f64;
    let mut doc = document(
        width,
        height,
        &format!(
            "Timeline of {} ({}) in {scenario} seed {} under {design}",
            t.record, t.verdict, t.seed
        ),
    );
    doc = doc.add(text(
        20.0,
        24.0,
        "start",
        14,
        &format!(
            "{scenario} / {design} seed {}: copies of {} ({}) and the faults that hit them",
            t.seed, t.record, t.verdict
        ),
    ));
    let mut axis = Group::new().set("class", "axis");
    let step = time_step(span);
    let bottom = top + lane_h * lanes;
    let mut tick = 0;
    while tick <= span {
        axis = axis
            .add(line(x(tick), top, x(tick), bottom, "#eeeeee"))
            .add(text(
                x(tick),
                bottom + 16.0,
                "middle",
                11,
                &time_label(tick),
            ));
        tick += step;
    }
    if let Some(h) = t.heal_at {
        let hx = x(h.as_millis());
        axis = axis
            .add(line(hx, top - 6.0, hx, bottom, "#888888").set("stroke-dasharray", "4 3"))
            .add(text(hx + 4.0, top - 8.0, "start", 10, "heal"));
    }
    doc = doc.add(axis);
    for (i, lane) in t.lanes.iter().enumerate() {
        let ly = top + lane_h * i as f64;
        let mid = ly + lane_h / 2.0;
        let mut g = Group::new()
            .set("class", "lane")
            .set("data-store", lane.store.as_str())
            .add(line(
                left,
                ly + lane_h,
                left + plot_w,
                ly + lane_h,
                "#cccccc",
            ))
            .add(text(left - 8.0, mid - 2.0, "end", 12, &lane.role))
            .add(text(left - 8.0, mid + 11.0, "end", 10, &lane.store));
        for c in &lane.copies {
            let to = c.to.map_or(span, |t| t.as_millis());
            let (x0, x1) = (x(c.from.as_millis()), x(to));
            let ended = match (&c.cause, c.fault) {
                (Some(cause), Some(f)) => format!("ended at {} ({cause}, fault {f})", c_time(to)),
                (Some(cause), None) => format!("ended at {} ({cause})", c_time(to)),
                _ => "still there at the check".to_string(),
            };
            let fill = match (c.fault, c.cause) {
                (Some(_), _) => "#e6b0aa",
                (None, Some(EndCause::Superseded)) | (None, None) => "#a9cce3",
                _ => "#f5cba7",
            };
            g = g.add(
                Rectangle::new()
                    .set("class", "copy")
                    .set("x", n(x0))
                    .set("y", n(mid - 9.0))
                    .set("width", n((x1 - x0).max(1.0)))
                    .set("height", 18)
                    .set("fill", fill)
                    .set("stroke", "#34495e")
                    .set("stroke-width", 0.5)
                    .add(Title::new(format!(
                        "{} of {} on {}: created at {}, {ended}",
                        c.version,
                        t.record,
                        lane.store,
                        c_time(c.from.as_millis())
                    ))),
            );
            if x1 - x0 >= 40.0 {
                g = g.add(text((x0 + x1) / 2.0, mid + 4.0, "middle", 10, &c.version));
            }
        }
        if lane.copies.is_empty() {
            g = g.add(
                text(left + 8.0, mid + 4.0, "start", 11, "never held a copy")
                    .set("fill", "#888888"),
            );
        }
        for f in &lane.faults {
            g = g.add(
                Circle::new()
                    .set("class", "fault")
                    .set("cx", n(x(f.at.as_millis())))
                    .set("cy", n(mid))
                    .set("r", 5)
                    .set("fill", "#922b21")
                    .set("stroke", "#ffffff")
                    .set("stroke-width", 1)
                    .add(Title::new(format!(
                        "fault {}: {} on {} at {}",
                        f.id,
                        f.kind,
                        f.target,
                        c_time(f.at.as_millis())
                    ))),
            );
        }
        doc = doc.add(g);
    }
    let ky = bottom + 40.0;
    let key = Group::new()
        .set("class", "legend")
        .add(
            Rectangle::new()
                .set("x", n(left))
                .set("y", n(ky - 10.0))
                .set("width", 14)
                .set("height", 12)
                .set("fill", "#a9cce3"),
        )
        .add(text(
            left + 20.0,
            ky,
            "start",
            11,
            "copy (superseded or kept)",
        ))
        .add(
            Rectangle::new()
                .set("x", n(left + 190.0))
                .set("y", n(ky - 10.0))
                .set("width", 14)
                .set("height", 12)
                .set("fill", "#e6b0aa"),
        )
        .add(text(left + 210.0, ky, "start", 11, "copy ended by a fault"))
        .add(
            Circle::new()
                .set("cx", n(left + 375.0))
                .set("cy", n(ky - 4.0))
                .set("r", 5)
                .set("fill", "#922b21"),
        )
        .add(text(left + 385.0, ky, "start", 11, "fault fired"));
    doc = doc.add(key);
    finish(doc)
}

/// `1d 01:00:00.000`.
fn c_time(ms: u64) -> String {
    sim::time::SimTime(ms).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_round_up() {
        assert_eq!(nice_axis(0.0), (1.0, 0.25));
        assert_eq!(nice_axis(7.0), (8.0, 2.0));
        assert_eq!(nice_axis(100.0), (100.0, 25.0));
    }

    #[test]
    fn time_labels() {
        assert_eq!(time_label(0), "0d");
        assert_eq!(time_label(30 * HOUR_MS), "1d 06:00");
        assert_eq!(time_step(4 * 24 * HOUR_MS), 12 * HOUR_MS);
    }
}
