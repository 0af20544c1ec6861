//! The charts and `report.html` of a study's results, drawn into memory and then written into a
//! results folder (`isrsim run` and `isrsim plot`).
//!
//! `charts` draws each chart and `html` lays out the page around them; this module only puts
//! the two together and writes them, so neither needs the other's files or the disk.

use std::io;
use std::path::Path;

use super::charts::{self, Chart};
use super::html::{self, Section};
use crate::output;
use crate::results::StudyResults;

pub const CHARTS_DIR: &str = "charts";
pub const REPORT_FILE: &str = "report.html";

/// Every chart of a study's results, in report order, and the report that shows them.
#[derive(Clone, Debug, PartialEq)]
pub struct Figures {
    pub charts: Vec<Chart>,
    pub report_html: String,
}

/// Draws the charts and the report of `results`.
pub fn draw(results: &StudyResults) -> io::Result<Figures> {
    draw_with(results, None)
}

/// `draw`, with `extra` as a section of the report and its chart among the charts written.
pub fn draw_with(results: &StudyResults, extra: Option<&Section>) -> io::Result<Figures> {
    let mut charts = charts::draw_all(results)?;
    let report_html = html::render(results, &charts, extra);
    charts.extend(extra.map(|e| e.chart.clone()));
    Ok(Figures {
        charts,
        report_html,
    })
}

impl Figures {
    /// Writes `charts/{name}.svg`, `charts/{name}.png` and `report.html` into `dir`.
    pub fn write_into(&self, dir: &Path) -> io::Result<()> {
        let charts_dir = dir.join(CHARTS_DIR);
        std::fs::create_dir_all(&charts_dir)?;
        for chart in &self.charts {
            std::fs::write(charts_dir.join(format!("{}.svg", chart.name)), chart.svg())?;
            std::fs::write(charts_dir.join(format!("{}.png", chart.name)), &chart.png)?;
        }
        std::fs::write(dir.join(REPORT_FILE), &self.report_html)
    }
}

/// Redraws the charts and the report of the results folder `dir` from `results`, its figures.
/// They are written into a staging folder inside `dir` first and moved into place only when
/// complete (`output::replace_entries`); the previous charts go with the staging folder.
pub fn redraw(dir: &Path, results: &StudyResults) -> io::Result<()> {
    redraw_with(dir, results, None)
}

/// `redraw`, with `extra` as in `draw_with`.
pub fn redraw_with(dir: &Path, results: &StudyResults, extra: Option<&Section>) -> io::Result<()> {
    let figures = draw_with(results, extra)?;
    output::replace_entries(dir, &[CHARTS_DIR, REPORT_FILE], |staging| {
        figures.write_into(staging)
    })
}
