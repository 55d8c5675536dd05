//! What each lane reports, and the devnet report: a terminal summary, `report.md`,
//! `summary.json` and one SVG chart per plotted series set.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result};
use plotters::prelude::*;

/// A fault the devnet injected (or a property it relies on), and whether the lane caught it.
#[derive(Clone, Debug)]
pub(crate) struct Check {
    pub(crate) what: String,
    pub(crate) ok: bool,
}

/// One line of a chart.
#[derive(Clone, Debug)]
pub(crate) struct Series {
    pub(crate) name: String,
    pub(crate) points: Vec<(f64, f64)>,
}

/// A chart: several series over one pair of axes.
#[derive(Clone, Debug)]
pub(crate) struct Chart {
    /// File name stem (`<stem>.svg`).
    pub(crate) stem: String,
    pub(crate) title: String,
    pub(crate) x_label: String,
    pub(crate) y_label: String,
    pub(crate) series: Vec<Series>,
}

/// What one lane did and caught.
#[derive(Clone, Debug, Default)]
pub(crate) struct LaneReport {
    pub(crate) name: &'static str,
    /// Facts worth a line each ("6 shards of 768 KiB", "40 answers accepted", …).
    pub(crate) facts: Vec<String>,
    pub(crate) checks: Vec<Check>,
    pub(crate) charts: Vec<Chart>,
    /// Wall-clock seconds the lane took.
    pub(crate) seconds: f64,
}

impl LaneReport {
    pub(crate) fn new(name: &'static str) -> Self {
        LaneReport {
            name,
            ..Default::default()
        }
    }

    pub(crate) fn fact(&mut self, line: impl Into<String>) {
        self.facts.push(line.into());
    }

    pub(crate) fn check(&mut self, what: impl Into<String>, ok: bool) {
        self.checks.push(Check {
            what: what.into(),
            ok,
        });
    }

    pub(crate) fn passed(&self) -> bool {
        self.checks.iter().all(|c| c.ok)
    }
}

/// Prints one lane to the terminal.
pub(crate) fn print_lane(lane: &LaneReport) {
    println!(
        "\n== {} ({:.1} s) {}",
        lane.name,
        lane.seconds,
        if lane.passed() { "ok" } else { "FAILED" }
    );
    for f in &lane.facts {
        println!("   {f}");
    }
    for c in &lane.checks {
        println!("   [{}] {}", if c.ok { "caught" } else { "MISSED" }, c.what);
    }
}

/// Writes `report.md`, `summary.json` and the charts into `dir`.
pub(crate) fn write(dir: &Path, seed: u64, lanes: &[LaneReport]) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut md = String::new();
    let _ = writeln!(md, "# zg devnet report\n");
    let _ = writeln!(
        md,
        "Seed `{seed}`: every lane runs in the deterministic simulator, so the same seed gives the \
         same run. Reproduce with `cargo run --release -p zg-examples --bin devnet -- --seed {seed}`.\n"
    );
    let _ = writeln!(
        md,
        "| lane | checks | result | wall time |\n|---|---|---|---|"
    );
    for lane in lanes {
        let caught = lane.checks.iter().filter(|c| c.ok).count();
        let _ = writeln!(
            md,
            "| {} | {caught}/{} | {} | {:.1} s |",
            lane.name,
            lane.checks.len(),
            if lane.passed() { "ok" } else { "**FAILED**" },
            lane.seconds
        );
    }
    for lane in lanes {
        let _ = writeln!(md, "\n## {}\n", lane.name);
        for f in &lane.facts {
            let _ = writeln!(md, "- {f}");
        }
        let _ = writeln!(md);
        for c in &lane.checks {
            let _ = writeln!(md, "- [{}] {}", if c.ok { "x" } else { " " }, c.what);
        }
        for chart in &lane.charts {
            let file = format!("{}.svg", chart.stem);
            draw(&dir.join(&file), chart)?;
            let _ = writeln!(md, "\n![{}]({file})", chart.title);
        }
    }
    let md_path = dir.join("report.md");
    std::fs::write(&md_path, md).with_context(|| format!("cannot write {}", md_path.display()))?;

    let summary = serde_json::json!({
        "seed": seed,
        "passed": lanes.iter().all(LaneReport::passed),
        "lanes": lanes.iter().map(|l| serde_json::json!({
            "name": l.name,
            "passed": l.passed(),
            "seconds": l.seconds,
            "facts": l.facts,
            "checks": l.checks.iter().map(|c| serde_json::json!({"what": c.what, "ok": c.ok})).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    });
    let json_path = dir.join("summary.json");
    std::fs::write(&json_path, serde_json::to_string_pretty(&summary)?)
        .with_context(|| format!("cannot write {}", json_path.display()))?;
    Ok(())
}

const COLOURS: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
];

/// Draws a line chart as SVG.
fn draw(path: &Path, chart: &Chart) -> Result<()> {
    let points = chart.series.iter().flat_map(|s| s.points.iter());
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, 0.0f64, f64::MIN);
    for &(x, y) in points {
        x0 = x0.min(x);
        x1 = x1.max(x);
        y0 = y0.min(y);
        y1 = y1.max(y);
    }
    if x0 > x1 {
        (x0, x1, y1) = (0.0, 1.0, 1.0);
    }
    if x1 <= x0 {
        x1 = x0 + 1.0;
    }
    if y1 <= y0 {
        y1 = y0 + 1.0;
    }
    let root = SVGBackend::new(path, (760, 380)).into_drawing_area();
    let err = |e: &dyn std::fmt::Display| anyhow::anyhow!("chart {}: {e}", path.display());
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let mut c = ChartBuilder::on(&root)
        .caption(&chart.title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(56)
        .build_cartesian_2d(x0..x1, y0..y1 * 1.05)
        .map_err(|e| err(&e))?;
    c.configure_mesh()
        .x_desc(chart.x_label.as_str())
        .y_desc(chart.y_label.as_str())
        .draw()
        .map_err(|e| err(&e))?;
    for (i, s) in chart.series.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        c.draw_series(LineSeries::new(
            s.points.iter().copied(),
            colour.stroke_width(2),
        ))
        .map_err(|e| err(&e))?
        .label(s.name.as_str())
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], colour));
    }
    c.configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperLeft)
        .draw()
        .map_err(|e| err(&e))?;
    root.present().map_err(|e| err(&e))?;
    Ok(())
}
