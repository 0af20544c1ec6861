//! Charts and `report.html`, drawn from a results folder's files (`isrsim run` and `isrsim plot`).

use std::io;
use std::path::Path;

use super::results::Results;
use super::{charts, html};

pub const CHARTS_DIR: &str = "charts";
pub const REPORT_FILE: &str = "report.html";

/// Draws `charts/` and `report.html` inside `dir`, from the files already there.
pub fn draw(dir: &Path) -> io::Result<()> {
    let results = Results::load(dir)?;
    let charts_dir = dir.join(CHARTS_DIR);
    std::fs::create_dir_all(&charts_dir)?;
    let charts = charts::draw_all(&results, &charts_dir)?;
    html::write_report(&results, &charts, &dir.join(REPORT_FILE))
}

/// Redraws the charts and the report of an existing results folder. They are drawn into a
/// hidden folder first and moved into place only when complete.
pub fn redraw(dir: &Path) -> io::Result<()> {
    let staging = dir.join(format!(".plot-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging)?;
    let drawn = (|| {
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            if path.is_file() && path.file_name().is_some_and(|n| n != REPORT_FILE) {
                std::fs::copy(&path, staging.join(path.file_name().unwrap_or_default()))?;
            }
        }
        draw(&staging)
    })();
    if let Err(e) = drawn {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(e);
    }
    let old_charts = dir.join(CHARTS_DIR);
    if old_charts.exists() {
        std::fs::remove_dir_all(&old_charts)?;
    }
    std::fs::rename(staging.join(CHARTS_DIR), &old_charts)?;
    std::fs::rename(staging.join(REPORT_FILE), dir.join(REPORT_FILE))?;
    std::fs::remove_dir_all(&staging)
}
