//! Walker's alias method (Vose's construction): O(1) draws from a discrete distribution.
//!
//! Every request draws a page from a table as large as the site, so the table is laid out for
//! the cache: each column is one 8-byte pair (threshold, alias), and a draw touches one cache
//! line. The threshold is a 32-bit fraction, compared with 32 random bits; the rounding (2^-32 per
//! column) is far below any statistical effect a run could show.

use rand::RngExt;

use super::rng::SimRng;
use crate::prefetch::prefetch;

#[derive(Clone, Copy, Debug)]
struct Column {
    /// Keep the column's own index when the random fraction is below this (out of 2^32).
    threshold: u32,
    alias: u32,
}

/// A drawn column and coin, not yet looked up.
#[derive(Clone, Copy, Debug)]
pub struct Draw {
    column: u32,
    coin: u32,
}

#[derive(Clone, Debug)]
pub struct AliasTable {
    columns: Vec<Column>,
}

impl AliasTable {
    /// A table drawing index `i` with probability `weights[i] / sum`. `None` when there is no
    /// weight, or a weight is negative or not finite.
    pub fn new(weights: &[f64]) -> Option<AliasTable> {
        let n = weights.len();
        let total: f64 = weights.iter().sum();
        if n == 0 || n > u32::MAX as usize || !total.is_finite() || total <= 0.0 {
            return None;
        }
        if weights.iter().any(|w| !w.is_finite() || *w < 0.0) {
            return None;
        }
        let mut scaled: Vec<f64> = weights.iter().map(|w| w * n as f64 / total).collect();
        let (mut small, mut large): (Vec<u32>, Vec<u32>) =
            (0..n as u32).partition(|&i| scaled[i as usize] < 1.0);
        let mut columns = vec![
            Column {
                threshold: u32::MAX,
                alias: 0
            };
            n
        ];
        while let (Some(s), Some(&l)) = (small.pop(), large.last()) {
            columns[s as usize] = Column {
                threshold: fraction(scaled[s as usize]),
                alias: l,
            };
            scaled[l as usize] -= 1.0 - scaled[s as usize];
            if scaled[l as usize] < 1.0 {
                large.pop();
                small.push(l);
            }
        }
        // Whatever is left is 1 up to rounding: it always keeps its own index.
        for i in small.into_iter().chain(large) {
            columns[i as usize] = Column {
                threshold: u32::MAX,
                alias: i,
            };
        }
        Some(AliasTable { columns })
    }

    #[inline]
    pub fn sample(&self, rng: &mut SimRng) -> u32 {
        self.resolve(self.draw(rng))
    }

    /// The random part of a sample. A large table's column is rarely in cache, so a caller that
    /// knows its next samples early can draw them, `prefetch` them, and `resolve` them later.
    #[inline]
    pub fn draw(&self, rng: &mut SimRng) -> Draw {
        let bits: u64 = rng.random();
        // High bits choose the column (Lemire's multiply-shift), low bits toss the coin.
        let column = (((bits >> 32) * self.columns.len() as u64) >> 32) as u32;
        Draw {
            column,
            coin: bits as u32,
        }
    }

    #[inline]
    pub fn prefetch(&self, draw: Draw) {
        prefetch(&self.columns, draw.column as usize);
    }

    #[inline]
    pub fn resolve(&self, draw: Draw) -> u32 {
        let column = self.columns[draw.column as usize];
        if draw.coin < column.threshold || column.threshold == u32::MAX {
            draw.column
        } else {
            column.alias
        }
    }
}

fn fraction(p: f64) -> u32 {
    (p.clamp(0.0, 1.0) * 4_294_967_296.0).min(u32::MAX as f64) as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn draws_follow_the_weights() {
        let weights = [1.0, 2.0, 3.0, 0.0, 4.0];
        let table = AliasTable::new(&weights).unwrap();
        let mut rng = SimRng::seed_from_u64(5);
        let n = 1_000_000;
        let mut counts = [0u32; 5];
        for _ in 0..n {
            counts[table.sample(&mut rng) as usize] += 1;
        }
        for (i, &w) in weights.iter().enumerate() {
            let p = w / 10.0;
            let sd = (p * (1.0 - p) / n as f64).sqrt();
            let got = f64::from(counts[i]) / n as f64;
            assert!(
                (got - p).abs() <= 6.0 * sd + 1e-9,
                "index {i}: {got} vs {p}"
            );
        }
        assert_eq!(counts[3], 0, "a zero weight is never drawn");
    }

    #[test]
    fn a_zipf_table_matches_its_head_and_tail() {
        let weights: Vec<f64> = (1..=10_000).map(|k| 1.0 / k as f64).collect();
        let total: f64 = weights.iter().sum();
        let table = AliasTable::new(&weights).unwrap();
        let mut rng = SimRng::seed_from_u64(9);
        let n = 2_000_000;
        let (mut first, mut tail) = (0u32, 0u32);
        for _ in 0..n {
            let i = table.sample(&mut rng);
            first += u32::from(i == 0);
            tail += u32::from(i >= 5_000);
        }
        let p_first = 1.0 / total;
        let p_tail: f64 = weights[5_000..].iter().sum::<f64>() / total;
        for (got, p) in [(first, p_first), (tail, p_tail)] {
            let sd = (p * (1.0 - p) / n as f64).sqrt();
            assert!(
                (f64::from(got) / n as f64 - p).abs() < 6.0 * sd,
                "{got} vs {p}"
            );
        }
    }

    #[test]
    fn bad_weights_are_refused() {
        assert!(AliasTable::new(&[]).is_none());
        assert!(AliasTable::new(&[0.0, 0.0]).is_none());
        assert!(AliasTable::new(&[1.0, -1.0]).is_none());
        assert!(AliasTable::new(&[1.0, f64::NAN]).is_none());
    }
}
