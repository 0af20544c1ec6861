//! Putting a run's result folder in place whole or not at all (docs/model.md §11.9).
//!
//! The files are written into a hidden sibling of `out` (same parent, so same file system) and
//! renamed into place at the end. A rename within one file system is atomic, so a reader, or a run
//! killed halfway, sees either the old results or the new ones, never a mix or a half-written CSV.
//! Replacing an existing folder takes two renames (old aside, new in), so there is a moment with
//! no `out` at all, but never one with a partial `out`.

use std::ffi::OsString;
use std::fs;
use std::io;
use std::path::Path;

/// Fills a fresh temporary sibling of `out` with `fill`, then swaps it in for `out`.
pub(super) fn replace_dir(
    out: &Path,
    fill: impl FnOnce(&Path) -> io::Result<()>,
) -> io::Result<()> {
    let name = out
        .file_name()
        .ok_or_else(|| invalid(out, "does not name a folder"))?;
    if fs::symlink_metadata(out).is_ok_and(|m| !m.is_dir()) {
        return Err(invalid(out, "exists and is not a folder"));
    }
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(parent)?;
    let sibling = |kind: &str| {
        let mut hidden = OsString::from(".");
        hidden.push(name);
        hidden.push(format!(".{kind}-{}", std::process::id()));
        parent.join(hidden)
    };
    let (temp, old) = (sibling("tmp"), sibling("old"));
    // Left over by an earlier process that had the same id and was killed mid-write.
    remove_if_present(&temp)?;
    fs::create_dir(&temp)?;
    let result = fill(&temp).and_then(|()| swap_in(&temp, out, &old));
    if result.is_err() {
        let _ = fs::remove_dir_all(&temp);
    }
    result
}

/// Renames `temp` to `out`, moving an existing `out` aside first and deleting it afterwards.
fn swap_in(temp: &Path, out: &Path, old: &Path) -> io::Result<()> {
    let had_old = out.exists();
    if had_old {
        remove_if_present(old)?;
        fs::rename(out, old)?;
    }
    if let Err(e) = fs::rename(temp, out) {
        if had_old {
            let _ = fs::rename(old, out);
        }
        return Err(e);
    }
    if had_old {
        // The new results are already in place; an old copy that will not go is only clutter.
        let _ = fs::remove_dir_all(old);
    }
    Ok(())
}

fn remove_if_present(dir: &Path) -> io::Result<()> {
    match fs::remove_dir_all(dir) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        result => result,
    }
}

fn invalid(out: &Path, what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("{}: {what}", out.display()),
    )
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{entries, scratch};
    use super::*;

    #[test]
    fn a_failure_while_writing_keeps_the_previous_results_and_removes_the_temporary() {
        let dir = scratch("fail-midway");
        let out = dir.join("tiny");
        fs::create_dir(&out).unwrap();
        fs::write(out.join("runs.csv"), "previous").unwrap();
        let result = replace_dir(&out, |temp| {
            fs::write(temp.join("runs.csv"), "half")?;
            Err(io::Error::other("the disk filled up"))
        });
        assert_eq!(result.unwrap_err().to_string(), "the disk filled up");
        assert_eq!(entries(&dir), ["tiny"]);
        assert_eq!(
            fs::read_to_string(out.join("runs.csv")).unwrap(),
            "previous"
        );
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn an_out_that_is_a_file_is_refused_and_kept() {
        let dir = scratch("out-file");
        let out = dir.join("tiny");
        fs::write(&out, "mine").unwrap();
        let error = replace_dir(&out, |_| Ok(())).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
        assert_eq!(entries(&dir), ["tiny"]);
        assert_eq!(fs::read_to_string(&out).unwrap(), "mine");
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_temporary_left_by_a_killed_run_is_not_mixed_into_the_results() {
        let dir = scratch("leftover");
        let out = dir.join("tiny");
        let leftover = dir.join(format!(".tiny.tmp-{}", std::process::id()));
        fs::create_dir(&leftover).unwrap();
        fs::write(leftover.join("half.csv"), "half").unwrap();
        replace_dir(&out, |temp| fs::write(temp.join("runs.csv"), "new")).unwrap();
        assert_eq!(entries(&dir), ["tiny"]);
        assert_eq!(entries(&out), ["runs.csv"]);
        fs::remove_dir_all(dir).unwrap();
    }
}
