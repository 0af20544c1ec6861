//! Putting a results folder in place whole or not at all, and only where isrsim may
//! (docs/model.md §11.9).
//!
//! isrsim replaces only a folder it wrote, which it knows by the marker file `.isrsim` that every
//! results folder gets, or an empty one: `--out .` or `--out src` must never cost a user their
//! files. `Target::prepare` checks the folder named before any simulation (so a bad `--out` is
//! found in a second, not after an hour) and makes the staging folder beside it, which also shows
//! that its parent is writable. The files are written there and renamed into place at the end. A
//! rename within one file system is atomic, so a reader, or a run killed halfway, sees either the
//! old results or the new ones, never a mix or a half-written CSV. Replacing an existing folder
//! takes two renames (old aside, new in), so there is a moment with no folder at all, but never
//! one with a partial folder; a signal waits for both renames (see `staging`). `isrsim plot` and
//! `isrsim compare --out` replace a results folder's charts and report the same way, inside it
//! (`replace_entries`).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::staging::Staging;

/// The marker file of a results folder.
pub const MARKER_FILE: &str = ".isrsim";

/// What the marker says, to a person who finds it. Nothing in it depends on the machine or the
/// run, so results stay byte-identical.
fn marker_text() -> String {
    format!(
        "This folder was written by isrsim {}. `isrsim run` and `isrsim merge` replace it whole \
         when it is given as --out, and `isrsim plot` redraws its charts; isrsim replaces no \
         folder without this file.\n",
        env!("CARGO_PKG_VERSION")
    )
}

/// Why a folder named as a results folder is not written: bad input (exit code 2), found before
/// any work is done (or, for a folder that appeared at the target while the run went on, when
/// the results were to be put in place).
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error(
        "{}: a results folder is put in place by renaming it, which `.`, `..` or a root cannot \
         be: name the results folder itself, as `--out results/NAME`", .0.display()
    )]
    NoName(PathBuf),
    #[error(
        "{} exists and is not a folder ({what}): choose an empty or new folder for the results, \
         or delete it yourself", .out.display()
    )]
    NotAFolder { out: PathBuf, what: &'static str },
    #[error(
        "{} is not a results folder written by isrsim (it has files but no `{MARKER_FILE}` file), \
         so isrsim will not replace it: choose an empty or new folder, or delete it yourself. \
         Results folders written before isrsim marked them have no `{MARKER_FILE}` either and are \
         refused too", .0.display()
    )]
    NotResults(PathBuf),
    #[error(
        "{} has no `{MARKER_FILE}` file, so it is not known as a results folder written by isrsim, \
         and `isrsim plot` writes into no other. A folder written before isrsim marked its results \
         has none either: run its scenario again, or, if isrsim did write it, create the file \
         yourself (`touch {}`)", .0.display(), .0.join(MARKER_FILE).display()
    )]
    Unmarked(PathBuf),
    #[error(
        "{}: cannot be made: {} is a file, not a folder", .out.display(), .file.display()
    )]
    ParentIsAFile { out: PathBuf, file: PathBuf },
    #[error("{}: cannot be read: {source}", .out.display())]
    Unreadable { out: PathBuf, source: io::Error },
    #[error("{}: cannot write into {}: {source}", .out.display(), .dir.display())]
    Unwritable {
        out: PathBuf,
        dir: PathBuf,
        source: io::Error,
    },
}

impl From<Refusal> for io::Error {
    fn from(refusal: Refusal) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidInput, refusal.to_string())
    }
}

/// A results folder to be written (or replaced): checked, with its staging folder made beside it.
/// Dropped unwritten, it removes its staging folder and the parent folders it made.
#[derive(Debug)]
pub struct Target {
    out: PathBuf,
    staging: Option<Staging>,
    /// The folders made to hold `out`, outermost first.
    made: Vec<PathBuf>,
}

impl Target {
    /// Checks that `out` can be written as a results folder (absent, empty, or isrsim's, under
    /// folders that exist or can be made and are writable), then makes its staging folder.
    pub fn prepare(out: &Path) -> Result<Target, Refusal> {
        replaceable(out)?;
        // `.`, `..` or `/`: a folder that cannot be renamed into place, even when empty or isrsim's.
        if out.file_name().is_none() {
            return Err(Refusal::NoName(out.to_path_buf()));
        }
        let parent = parent(out);
        let unwritable = |dir: &Path, source| Refusal::Unwritable {
            out: out.to_path_buf(),
            dir: dir.to_path_buf(),
            source,
        };
        let mut target = Target {
            out: out.to_path_buf(),
            staging: None,
            made: Vec::new(),
        };
        for dir in missing_folders(out, parent)? {
            fs::create_dir(&dir).map_err(|e| unwritable(&dir, e))?;
            target.made.push(dir);
        }
        let staging = Staging::new_in(parent).map_err(|e| unwritable(parent, e))?;
        target.staging = Some(staging);
        Ok(target)
    }

    /// The results folder.
    pub fn out(&self) -> &Path {
        &self.out
    }

    /// Fills the staging folder with `fill`, adds the marker, and swaps it in for the results
    /// folder. On failure the results folder is as it was and the staging folder is gone.
    pub fn write(mut self, fill: impl FnOnce(&Path) -> io::Result<()>) -> io::Result<()> {
        let staging = self.staging.take().expect("a target is written once");
        fill(staging.path())?;
        fs::write(staging.path().join(MARKER_FILE), marker_text())?;
        // Checked again: the simulation may have taken hours, and a folder made meanwhile at
        // `out` is no more ours than one that was there before.
        // Made now, since a `Staging` cannot be made inside a commit.
        let aside = if replaceable(&self.out)? {
            Some(Staging::new_in(parent(&self.out))?)
        } else {
            None
        };
        staging.commit(|| swap_in(staging.path(), &self.out, aside.as_ref()))?;
        self.made.clear();
        // Dropping `aside` deletes the previous results.
        Ok(())
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        drop(self.staging.take());
        for dir in self.made.iter().rev() {
            // Only while empty: anything else put there meanwhile is not ours.
            let _ = fs::remove_dir(dir);
        }
    }
}

/// Whether `out` exists, once checked that isrsim may replace it: a folder that is empty or has
/// isrsim's marker.
fn replaceable(out: &Path) -> Result<bool, Refusal> {
    let metadata = match fs::symlink_metadata(out) {
        Ok(m) => m,
        // Absent, or under a file or an unreadable folder, which the parents' check names.
        Err(_) => return Ok(false),
    };
    if !metadata.is_dir() {
        let what = if metadata.is_symlink() {
            "a link"
        } else {
            "a file"
        };
        let out = out.to_path_buf();
        return Err(Refusal::NotAFolder { out, what });
    }
    if marked(out) {
        return Ok(true);
    }
    let unreadable = |source| Refusal::Unreadable {
        out: out.to_path_buf(),
        source,
    };
    match fs::read_dir(out).map_err(unreadable)?.next() {
        None => Ok(true),
        Some(_) => Err(Refusal::NotResults(out.to_path_buf())),
    }
}

fn marked(dir: &Path) -> bool {
    fs::symlink_metadata(dir.join(MARKER_FILE)).is_ok_and(|m| m.is_file())
}

/// That `dir`, a folder `isrsim plot` is to redraw, has isrsim's marker.
pub fn check_marked(dir: &Path) -> Result<(), Refusal> {
    if marked(dir) {
        Ok(())
    } else {
        Err(Refusal::Unmarked(dir.to_path_buf()))
    }
}

/// Replaces the entries `names` of the folder `dir` (`isrsim plot` redrawing a results folder's
/// charts and report): `fill` writes them into a staging folder inside `dir`, and each is then
/// moved into place. A file replaces its namesake in one rename; a folder first moves the one it
/// replaces aside, into the staging folder, which takes it away when dropped. A failure leaves
/// the entries not yet moved as they were.
pub fn replace_entries(
    dir: &Path,
    names: &[&str],
    fill: impl FnOnce(&Path) -> io::Result<()>,
) -> io::Result<()> {
    let staging = Staging::new_in(dir)?;
    fill(staging.path())?;
    staging.commit(|| {
        for name in names {
            move_in(staging.path(), dir, name)?;
        }
        Ok(())
    })
}

/// Moves `name` from `staging` into `dir`; a folder `name` already in `dir` goes into `staging`.
fn move_in(staging: &Path, dir: &Path, name: &str) -> io::Result<()> {
    let (new, old) = (staging.join(name), dir.join(name));
    if !fs::symlink_metadata(&new).is_ok_and(|m| m.is_dir()) {
        return fs::rename(new, old);
    }
    let previous = staging.join(format!("previous-{name}"));
    let had = fs::symlink_metadata(&old).is_ok();
    if had {
        fs::rename(&old, &previous)?;
    }
    if let Err(e) = fs::rename(&new, &old) {
        if had {
            let _ = fs::rename(&previous, &old);
        }
        return Err(e);
    }
    Ok(())
}

/// The folder `out` is in (`.` for a bare name).
fn parent(out: &Path) -> &Path {
    out.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// The folders to make for `parent` to exist, outermost first; refused when the nearest one that
/// exists is not a folder.
fn missing_folders(out: &Path, parent: &Path) -> Result<Vec<PathBuf>, Refusal> {
    let mut missing = Vec::new();
    for dir in parent.ancestors() {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        match fs::metadata(dir) {
            Ok(m) if m.is_dir() => break,
            Ok(_) => {
                return Err(Refusal::ParentIsAFile {
                    out: out.to_path_buf(),
                    file: dir.to_path_buf(),
                });
            }
            // Under a file (`NotADirectory`): the loop reaches the file.
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
                ) =>
            {
                missing.push(dir.to_path_buf());
            }
            Err(source) => {
                return Err(Refusal::Unwritable {
                    out: out.to_path_buf(),
                    dir: dir.to_path_buf(),
                    source,
                });
            }
        }
    }
    missing.reverse();
    Ok(missing)
}

/// Renames `staging` to `out`, moving an existing `out` to `aside` first, and back on failure.
fn swap_in(staging: &Path, out: &Path, aside: Option<&Staging>) -> io::Result<()> {
    if let Some(aside) = aside {
        // `aside` is an empty folder, made to reserve the name; a folder cannot be renamed onto
        // a folder everywhere.
        fs::remove_dir(aside.path())?;
        fs::rename(out, aside.path())?;
    }
    if let Err(e) = fs::rename(staging, out) {
        if let Some(aside) = aside {
            let _ = fs::rename(aside.path(), out);
        }
        return Err(e);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::fixture::{entries, scratch};

    /// Writes `runs.csv` holding `text` into a target at `out`.
    fn write(out: &Path, text: &str) -> io::Result<()> {
        Target::prepare(out)?.write(|dir| fs::write(dir.join("runs.csv"), text))
    }

    #[test]
    fn a_results_folder_is_replaced_whole_and_marked() {
        let dir = scratch("replace-marked");
        let out = dir.join("tiny");
        write(&out, "first").unwrap();
        fs::write(out.join("extra.csv"), "from an earlier run").unwrap();
        write(&out, "second").unwrap();
        assert_eq!(entries(&dir), ["tiny"]);
        assert_eq!(entries(&out), [MARKER_FILE, "runs.csv"]);
        assert_eq!(fs::read_to_string(out.join("runs.csv")).unwrap(), "second");
        let marker = fs::read_to_string(out.join(MARKER_FILE)).unwrap();
        assert!(marker.starts_with("This folder was written by isrsim "));
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_failure_while_writing_keeps_the_previous_results_and_removes_the_staging_folder() {
        let dir = scratch("fail-midway");
        let out = dir.join("tiny");
        write(&out, "previous").unwrap();
        let result = Target::prepare(&out).unwrap().write(|temp| {
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
    fn a_folder_isrsim_did_not_write_is_refused_and_kept() {
        let dir = scratch("not-results");
        let out = dir.join("src");
        fs::create_dir(&out).unwrap();
        fs::write(out.join("main.rs"), "mine").unwrap();
        let error = Target::prepare(&out).unwrap_err();
        assert!(matches!(error, Refusal::NotResults(_)), "{error:?}");
        assert!(error.to_string().contains("delete it yourself"), "{error}");
        assert_eq!(entries(&dir), ["src"]);
        assert_eq!(entries(&out), ["main.rs"]);
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_folder_made_at_the_target_while_the_run_went_on_is_kept() {
        let dir = scratch("made-meanwhile");
        let out = dir.join("tiny");
        let target = Target::prepare(&out).unwrap();
        fs::create_dir(&out).unwrap();
        fs::write(out.join("notes.txt"), "mine").unwrap();
        let error = target
            .write(|dir| fs::write(dir.join("runs.csv"), "new"))
            .unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
        assert_eq!(entries(&dir), ["tiny"]);
        assert_eq!(entries(&out), ["notes.txt"]);
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn an_empty_folder_is_used() {
        let dir = scratch("empty");
        let out = dir.join("tiny");
        fs::create_dir(&out).unwrap();
        write(&out, "new").unwrap();
        assert_eq!(entries(&dir), ["tiny"]);
        assert_eq!(entries(&out), [MARKER_FILE, "runs.csv"]);
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn an_out_that_is_a_file_or_names_no_folder_is_refused_and_kept() {
        let dir = scratch("out-file");
        let out = dir.join("tiny");
        fs::write(&out, "mine").unwrap();
        let error = Target::prepare(&out).unwrap_err();
        assert!(matches!(error, Refusal::NotAFolder { .. }), "{error:?}");
        assert_eq!(fs::read_to_string(&out).unwrap(), "mine");
        // `..` of a results folder: one isrsim may replace, but not by this name.
        let marked = dir.join("marked");
        fs::create_dir_all(marked.join("sub")).unwrap();
        fs::write(marked.join(MARKER_FILE), marker_text()).unwrap();
        let error = Target::prepare(&marked.join("sub/..")).unwrap_err();
        assert!(matches!(error, Refusal::NoName(_)), "{error:?}");
        assert_eq!(entries(&dir), ["marked", "tiny"]);
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_parent_that_is_a_file_is_named_before_anything_is_made() {
        let dir = scratch("parent-file");
        fs::write(dir.join("file"), "not a folder").unwrap();
        for out in ["file/tiny", "file/deeper/tiny"] {
            let error = Target::prepare(&dir.join(out)).unwrap_err();
            assert!(
                matches!(&error, Refusal::ParentIsAFile { file, .. } if file == &dir.join("file")),
                "{error:?}"
            );
        }
        assert_eq!(entries(&dir), ["file"]);
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_target_dropped_unwritten_removes_its_staging_folder_and_the_folders_it_made() {
        let dir = scratch("dropped");
        let target = Target::prepare(&dir.join("a/b/tiny")).unwrap();
        assert_eq!(entries(&dir), ["a"]);
        assert_eq!(entries(&dir.join("a/b")).len(), 1, "the staging folder");
        drop(target);
        assert!(entries(&dir).is_empty());
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn entries_are_replaced_whole_and_the_rest_of_the_folder_is_left_alone() {
        let dir = scratch("replace-entries");
        fs::create_dir(dir.join("charts")).unwrap();
        fs::write(dir.join("charts/old.svg"), "old").unwrap();
        fs::write(dir.join("report.html"), "old").unwrap();
        fs::write(dir.join("runs.csv"), "kept").unwrap();
        replace_entries(&dir, &["charts", "report.html"], |staging| {
            fs::create_dir(staging.join("charts"))?;
            fs::write(staging.join("charts/new.svg"), "new")?;
            fs::write(staging.join("report.html"), "new")
        })
        .unwrap();
        assert_eq!(entries(&dir), ["charts", "report.html", "runs.csv"]);
        assert_eq!(entries(&dir.join("charts")), ["new.svg"]);
        assert_eq!(fs::read_to_string(dir.join("report.html")).unwrap(), "new");
        assert_eq!(fs::read_to_string(dir.join("runs.csv")).unwrap(), "kept");
        // A failure while staging changes nothing, and leaves no staging folder.
        let failed = replace_entries(&dir, &["charts"], |staging| {
            fs::create_dir(staging.join("charts"))?;
            Err(io::Error::other("the disk filled up"))
        });
        assert!(failed.is_err());
        assert_eq!(entries(&dir), ["charts", "report.html", "runs.csv"]);
        assert_eq!(entries(&dir.join("charts")), ["new.svg"]);
        fs::remove_dir_all(dir).unwrap();
    }
}
