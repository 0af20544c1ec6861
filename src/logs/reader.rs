//! Reading a log file line by line, plain or gzip-compressed, in one pass and constant memory.
//!
//! A gzip file is recognised by its magic bytes (RFC 1952 §2.3.1), not by its name, and read as
//! a sequence of members, as `zcat` reads a rotated log that was appended to after compression.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;

use super::clock;
use super::format::{self, Fields, Format, Record, Unreadable};
use super::{LogSource, Tally};
use crate::error::InputError;

/// After this many lines without a readable one, the log is not in the format named.
const GIVE_UP_AFTER: u64 = 1_000;

/// Reads `log` through, handing `each` every line its filter keeps, and counting in `tally` the
/// lines read, unreadable and filtered out. More than `UNREADABLE_LIMIT` of unreadable lines
/// is an error naming the first (after the first thousand lines, if none has read yet).
pub fn each_kept(
    log: &LogSource,
    tally: &mut Tally,
    mut each: impl FnMut(&Record),
) -> Result<(), InputError> {
    let mut reader = LogReader::open(&log.file, log.format, &log.fields)?;
    while let Some((number, record)) = reader.next_line()? {
        tally.lines += 1;
        match record {
            Ok(record) if log.filter.keeps(&record) => each(&record),
            Ok(_) => tally.filtered += 1,
            Err(why) => {
                tally.unreadable_line(number, why);
                if tally.unreadable == GIVE_UP_AFTER && tally.lines == GIVE_UP_AFTER {
                    return Err(super::unreadable(log, tally));
                }
            }
        }
    }
    if tally.too_unreadable() {
        return Err(super::unreadable(log, tally));
    }
    Ok(())
}

const BUFFER: usize = 256 * 1024;

/// One line of a log: its number (1-based), and the request it records or why it could not be
/// read.
pub type Line<'a> = (u64, Result<Record<'a>, Unreadable>);

/// A log file being read.
pub struct LogReader {
    path: PathBuf,
    format: Format,
    lines: Lines,
}

enum Lines {
    Text {
        input: Box<dyn BufRead + Send>,
        buffer: Vec<u8>,
        number: u64,
        /// `jsonl`: the fields' names, and the path and method of the last object read.
        fields: Fields,
        path: Vec<u8>,
        method: Vec<u8>,
    },
    Csv {
        reader: Box<csv::Reader<Box<dyn Read + Send>>>,
        row: csv::ByteRecord,
        columns: Columns,
    },
}

/// Where the CSV header put each field.
struct Columns {
    time: usize,
    path: usize,
    method: Option<usize>,
    status: Option<usize>,
}

impl LogReader {
    /// Opens `path`; `key` names the scenario key that gave it, in errors.
    pub fn open(path: &Path, format: Format, fields: &Fields) -> Result<LogReader, InputError> {
        let cannot = |e: std::io::Error| InputError::new(path, format!("cannot read the log: {e}"));
        let file = File::open(path).map_err(cannot)?;
        let mut plain = BufReader::with_capacity(BUFFER, file);
        let gzip = plain.fill_buf().map_err(cannot)?.starts_with(&[0x1f, 0x8b]);
        let input: Box<dyn BufRead + Send> = if gzip {
            Box::new(BufReader::with_capacity(BUFFER, MultiGzDecoder::new(plain)))
        } else {
            Box::new(plain)
        };
        let lines = match format {
            Format::Combined | Format::Jsonl => Lines::Text {
                input,
                buffer: Vec::with_capacity(1024),
                number: 0,
                fields: fields.clone(),
                path: Vec::new(),
                method: Vec::new(),
            },
            Format::Csv => {
                let input: Box<dyn Read + Send> = input;
                let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(input);
                let header = reader.byte_headers().map_err(|e| csv_error(path, e))?;
                let find = |name: &str| {
                    header
                        .iter()
                        .position(|h| h.trim_ascii() == name.as_bytes())
                };
                let missing = |name: &str| {
                    let names: Vec<String> = header
                        .iter()
                        .map(|h| format!("`{}`", String::from_utf8_lossy(h)))
                        .collect();
                    let mut e = InputError::new(
                        path,
                        format!(
                            "the CSV header has no `{name}` column (it has {}): the first row \
                             names the columns, and `fields` can rename them",
                            names.join(", ")
                        ),
                    );
                    e.line = Some(1);
                    e
                };
                let columns = Columns {
                    time: find(&fields.time).ok_or_else(|| missing(&fields.time))?,
                    path: find(&fields.path).ok_or_else(|| missing(&fields.path))?,
                    method: find(&fields.method),
                    status: find(&fields.status),
                };
                Lines::Csv {
                    reader: Box::new(reader),
                    row: csv::ByteRecord::new(),
                    columns,
                }
            }
        };
        Ok(LogReader {
            path: path.to_path_buf(),
            format,
            lines,
        })
    }

    /// The next line that is not blank, or `None` at the end of the file. A file that cannot be
    /// read on (a corrupt gzip stream, a disk error) is an error naming it and the line reached.
    pub fn next_line(&mut self) -> Result<Option<Line<'_>>, InputError> {
        let path = &self.path;
        match &mut self.lines {
            Lines::Text {
                input,
                buffer,
                number,
                fields,
                path: path_buf,
                method,
            } => {
                // Read up to a line that is not blank, then parse it (outside the loop, so the
                // record may borrow the buffer).
                loop {
                    buffer.clear();
                    let read = input.read_until(b'\n', buffer).map_err(|e| {
                        let mut error =
                            InputError::new(path, format!("cannot read the log on: {e}"));
                        error.line = Some(*number as usize + 1);
                        error
                    })?;
                    if read == 0 {
                        return Ok(None);
                    }
                    *number += 1;
                    if !buffer.trim_ascii().is_empty() {
                        break;
                    }
                }
                let line = buffer.trim_ascii_end();
                let record = match self.format {
                    Format::Jsonl => json_line(line, fields, path_buf, method),
                    _ => format::combined(line),
                };
                Ok(Some((*number, record)))
            }
            Lines::Csv {
                reader,
                row,
                columns,
            } => loop {
                let more = reader
                    .read_byte_record(row)
                    .map_err(|e| csv_error(path, e))?;
                if !more {
                    return Ok(None);
                }
                let number = row.position().map_or(0, |p| p.line());
                if row.iter().all(|f| f.trim_ascii().is_empty()) {
                    continue;
                }
                return Ok(Some((number, csv_row(row, columns))));
            },
        }
    }
}

fn csv_error(path: &Path, e: csv::Error) -> InputError {
    let line = e.position().map(|p| p.line() as usize);
    let mut error = InputError::new(path, format!("cannot read the CSV log: {e}"));
    error.line = line;
    error
}

fn csv_row<'a>(row: &'a csv::ByteRecord, columns: &Columns) -> Result<Record<'a>, Unreadable> {
    let time = row.get(columns.time).ok_or("the row has no time column")?;
    let at = clock::any(time.trim_ascii()).ok_or("the time is not a time")?;
    let path = row.get(columns.path).ok_or("the row has no path column")?;
    let method = columns
        .method
        .and_then(|c| row.get(c))
        .map(<[u8]>::trim_ascii);
    let status = match columns.status.and_then(|c| row.get(c)) {
        Some(s) => Some(format::status_field(s).ok_or("the status is not a three-digit code")?),
        None => None,
    };
    Ok(Record {
        at,
        method,
        path: format::path_of(path.trim_ascii()),
        status,
    })
}

/// A `jsonl` line: the fields are looked up by name; the path and method are unescaped into
/// buffers the record borrows.
fn json_line<'a>(
    line: &[u8],
    fields: &Fields,
    path: &'a mut Vec<u8>,
    method: &'a mut Vec<u8>,
) -> Result<Record<'a>, Unreadable> {
    let object: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(line).map_err(|_| "not a JSON object")?;
    let text = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => Some(s.clone().into_bytes()),
        serde_json::Value::Number(n) => Some(n.to_string().into_bytes()),
        _ => None,
    };
    let time = object
        .get(&fields.time)
        .and_then(text)
        .ok_or("no time field")?;
    let at = clock::any(&time).ok_or("the time is not a time")?;
    let Some(serde_json::Value::String(p)) = object.get(&fields.path) else {
        return Err("no path field (a string)");
    };
    path.clear();
    path.extend_from_slice(p.as_bytes());
    let has_method = match object.get(&fields.method) {
        Some(serde_json::Value::String(m)) => {
            method.clear();
            method.extend_from_slice(m.as_bytes());
            true
        }
        _ => false,
    };
    let status = match object.get(&fields.status).and_then(text) {
        Some(s) => Some(format::status_field(&s).ok_or("the status is not a three-digit code")?),
        None => None,
    };
    Ok(Record {
        at,
        method: has_method.then_some(&method[..]),
        path: format::path_of(path),
        status,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn read_all(text: &[u8], format: Format, gzip: bool) -> Vec<(u64, Result<String, String>)> {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        if gzip {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            gz.write_all(text).unwrap();
            file.write_all(&gz.finish().unwrap()).unwrap();
        } else {
            file.write_all(text).unwrap();
        }
        let mut reader = LogReader::open(file.path(), format, &Fields::default()).unwrap();
        let mut out = Vec::new();
        while let Some((n, r)) = reader.next_line().unwrap() {
            let r = r
                .map(|r| {
                    format!(
                        "{} {} {} {:?}",
                        r.at / 1_000_000,
                        String::from_utf8_lossy(r.method.unwrap_or(b"?")),
                        String::from_utf8_lossy(r.path),
                        r.status
                    )
                })
                .map_err(str::to_string);
            out.push((n, r));
        }
        out
    }

    const TWO: &[u8] =
        b"::1 - - [10/Oct/2000:13:55:36 -0700] \"GET /a HTTP/1.1\" 200 1 \"-\" \"-\"\r\n\
        \n\
        garbage\n\
        ::1 - - [10/Oct/2000:13:55:37 -0700] \"POST /b HTTP/1.1\" 302 1 \"-\" \"-\"";

    #[test]
    fn plain_and_gzip_read_the_same_lines_with_their_numbers() {
        for gzip in [false, true] {
            let lines = read_all(TWO, Format::Combined, gzip);
            assert_eq!(lines.len(), 3, "the blank line is skipped");
            assert_eq!(lines[0], (1, Ok("971211336 GET /a Some(200)".into())));
            assert_eq!(lines[1].0, 3);
            assert!(lines[1].1.is_err());
            assert_eq!(lines[2], (4, Ok("971211337 POST /b Some(302)".into())));
        }
    }

    #[test]
    fn csv_columns_are_found_by_name() {
        let text =
            b"status,path,time\n200,/a,971211336.5\n404,/b,2000-10-10T20:55:37Z\nx,/c,soon\n";
        let lines = read_all(text, Format::Csv, false);
        assert_eq!(lines[0], (2, Ok("971211336 ? /a Some(200)".into())));
        assert_eq!(lines[1], (3, Ok("971211337 ? /b Some(404)".into())));
        assert_eq!(lines[2].0, 4);
        assert!(lines[2].1.is_err());
    }

    #[test]
    fn json_fields_are_found_by_name() {
        let text =
            b"{\"time\": 971211336, \"path\": \"/a\\/b\", \"method\": \"GET\", \"status\": 200}\n\
            {\"time\": \"2000-10-10T20:55:37Z\", \"path\": \"/c\"}\n[1]\n";
        let lines = read_all(text, Format::Jsonl, false);
        assert_eq!(lines[0], (1, Ok("971211336 GET /a/b Some(200)".into())));
        assert_eq!(lines[1], (2, Ok("971211337 ? /c None".into())));
        assert!(lines[2].1.is_err());
    }

    #[test]
    fn a_csv_without_the_needed_column_is_named() {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(b"when,url\n1,/a\n").unwrap();
        let err = LogReader::open(file.path(), Format::Csv, &Fields::default())
            .err()
            .unwrap();
        assert!(err.message.contains("no `time` column"), "{err}");
        assert!(err.message.contains("`when`, `url`"), "{err}");
    }

    #[test]
    fn a_corrupt_gzip_is_an_error_not_a_short_log() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&TWO.repeat(1000)).unwrap();
        let mut bytes = gz.finish().unwrap();
        let middle = bytes.len() / 2;
        bytes[middle..middle + 64].fill(0xAA);
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(&bytes).unwrap();
        let mut reader =
            LogReader::open(file.path(), Format::Combined, &Fields::default()).unwrap();
        let failed = loop {
            match reader.next_line() {
                Ok(Some(_)) => {}
                Ok(None) => break false,
                Err(e) => {
                    assert!(e.line.is_some());
                    break true;
                }
            }
        };
        assert!(failed);
    }
}
