//! Writes the access log and the publish log that `scenarios/trace.toml` replays:
//! `scenarios/traces/blog.log.gz`, a day of a blog's traffic in the combined format (a diurnal
//! rate between 0.8 and 4.5 requests/s peaking at 15:00 UTC, Zipf popularity: 1.0 over 1,500
//! posts, 0.6 over 200 docs pages; 12% asset requests and 3% POSTs and 404s), and
//! `scenarios/traces/publishes.csv`, the posts' publish times (about 40 an hour, favouring the
//! popular posts a little less than readers do).
//!
//! ```sh
//! cargo run --release --example make_trace            # rewrites both files
//! cargo run --release --example make_trace -- /tmp/big 44    # 44 times the rate: 10M lines
//! ```
//!
//! The optional arguments are another folder and a factor on the rates (docs/performance.md
//! measures a 10M-line replay with the second).
//!
//! The files are generated, not recorded: their shape is known, so what `isrsim fit` finds in
//! them can be checked against it (docs/traces.md).

#[path = "../tests/support/access_log.rs"]
mod access_log;

use std::io::Write;
use std::path::Path;

use access_log::{Arrivals, Route, Shape};
use rand::{RngExt, SeedableRng};

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let folder = args.next().map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/traces"),
        std::path::PathBuf::from,
    );
    let scale: f64 = match args.next() {
        None => 1.0,
        Some(s) => s.parse().map_err(|_| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("`{s}` is not a rate factor"),
            )
        })?,
    };
    std::fs::create_dir_all(&folder)?;
    let shape = Shape {
        // 2026-11-10T00:00:00Z
        start: 1_794_268_800,
        duration_s: 86_400.0,
        arrivals: Arrivals::Diurnal {
            min_rate: 0.8 * scale,
            max_rate: 4.5 * scale,
            period_s: 86_400.0,
            peak_at_s: 15.0 * 3_600.0,
        },
        routes: vec![
            Route {
                prefix: "/blog/",
                pages: 1_500,
                share: 0.8,
                zipf: 1.0,
            },
            Route {
                prefix: "/docs/",
                pages: 200,
                share: 0.2,
                zipf: 0.6,
            },
        ],
        assets: 0.12,
        noise: 0.03,
        seed: 20_261_102,
    };
    let log = folder.join("blog.log.gz");
    let written = access_log::write_gzip_at(&shape, &log, flate2::Compression::best())?;
    println!(
        "blog.log.gz: {} lines, {} blog and {} docs requests",
        written.lines, written.per_route[0], written.per_route[1]
    );
    // Publishes: a Poisson process of 40 an hour, each of a post drawn with weight 1/k^0.5.
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(7);
    let weights: Vec<f64> = (1..=1_500).map(|k| f64::from(k).powf(-0.5)).collect();
    let total: f64 = weights.iter().sum();
    let mut out = std::io::BufWriter::new(std::fs::File::create(folder.join("publishes.csv"))?);
    writeln!(out, "time,path")?;
    let (mut t, mut edits) = (0.0, 0);
    loop {
        t += -(1.0 - rng.random::<f64>()).ln() * 3_600.0 / 40.0;
        if t >= shape.duration_s {
            break;
        }
        let mut pick = rng.random::<f64>() * total;
        let rank = weights.iter().position(|w| {
            pick -= w;
            pick < 0.0
        });
        let rank = rank.unwrap_or(weights.len() - 1) as u32 + 1;
        writeln!(
            out,
            "{:.3},/blog/{}",
            shape.start as f64 + t,
            access_log::key(rank)
        )?;
        edits += 1;
    }
    out.flush()?;
    println!("publishes.csv: {edits} publishes");
    Ok(())
}
