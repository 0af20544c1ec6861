//! Hidden folders that results are written into before they are moved into place, and their
//! removal on Ctrl-C, on a kill, or by a later run when a process could not remove its own.
//!
//! Each staging folder is named `.isrsim-staging-PID-RANDOM` (`tempfile` makes it), and every
//! live one is listed in a process-wide registry. `remove_staging`, which `main` calls on SIGINT,
//! SIGTERM or SIGHUP before it exits, removes the listed folders, and waits for a move into place
//! under way (`Staging::commit`) to finish first, so a signal never leaves a results folder half
//! moved. A process killed outright (SIGKILL, a power cut) leaves its staging folder;
//! `remove_abandoned` removes those of processes that are gone the next time isrsim stages a
//! folder beside them. Nothing but a folder with this prefix is ever touched.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

/// The start of every staging folder's name, followed by the process id and a random part.
const PREFIX: &str = ".isrsim-staging-";

/// Where a process's liveness cannot be asked of `/proc`, a staging folder this old is taken as
/// abandoned: longer than any run leaves one in place.
const ABANDONED_AFTER: Duration = Duration::from_secs(7 * 24 * 3600);

/// The staging folders of this process that are still in place.
static LIVE: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn live() -> MutexGuard<'static, Vec<PathBuf>> {
    // A thread that panicked holding the list left it whole: each change is one push or retain.
    LIVE.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A staging folder of this process, removed with what is left in it when dropped.
#[derive(Debug)]
pub(super) struct Staging {
    path: PathBuf,
}

impl Staging {
    /// Makes a fresh staging folder in `dir`, after removing the abandoned ones there.
    pub fn new_in(dir: &Path) -> io::Result<Staging> {
        remove_abandoned(dir);
        let mut live = live();
        let prefix = format!("{PREFIX}{}-", std::process::id());
        let path = tempfile::Builder::new()
            .prefix(&prefix)
            .tempdir_in(dir)
            .map_err(plain)?
            .keep();
        live.push(path.clone());
        Ok(Staging { path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `commit`, the moves that put the staged files into place, where a signal cannot cut
    /// it short: `remove_staging` waits until it returns. It must not make or drop a `Staging`.
    pub fn commit<T>(&self, commit: impl FnOnce() -> T) -> T {
        let _held = live();
        commit()
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        // Removed while still listed, so a signal meanwhile removes it all the same.
        let _ = remove(&self.path);
        live().retain(|p| p != &self.path);
    }
}

/// Removes every staging folder of this process: what to do on SIGINT or SIGTERM, before the
/// process exits. A move into place under way finishes first. The list stays held while the
/// returned `Held` lives, so no new staging folder can appear meanwhile: the caller exits holding
/// it.
pub fn remove_staging() -> Held {
    let live = live();
    for path in live.iter() {
        // The main thread may be writing a file into it meanwhile: then try again.
        for _ in 0..10 {
            if remove(path).is_ok() {
                break;
            }
        }
    }
    Held { _live: live }
}

/// The list of staging folders, held so that none is made until the process exits.
#[must_use = "a staging folder may be made again once it is dropped: exit while holding it"]
pub struct Held {
    _live: MutexGuard<'static, Vec<PathBuf>>,
}

/// `tempfile`'s error without the staging folder's path it adds: the user named the folder it is
/// in, and the message names that one.
fn plain(e: io::Error) -> io::Error {
    match e.raw_os_error() {
        Some(code) => io::Error::from_raw_os_error(code),
        None => io::Error::from(e.kind()),
    }
}

fn remove(path: &Path) -> io::Result<()> {
    match fs::remove_dir_all(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        done => done,
    }
}

/// Removes the staging folders in `dir` of processes that are gone (or, where `/proc` cannot
/// tell, that are older than `ABANDONED_AFTER`). Failures are ignored: this is tidying.
pub(super) fn remove_abandoned(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(staging_pid) else {
            continue;
        };
        let path = entry.path();
        let is_dir = fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir());
        if is_dir && pid != std::process::id() && abandoned(&path, pid) {
            let _ = fs::remove_dir_all(&path);
        }
    }
}

/// The process id in a staging folder's name, or `None` for any other name.
fn staging_pid(name: &str) -> Option<u32> {
    let (pid, random) = name.strip_prefix(PREFIX)?.split_once('-')?;
    if random.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    pid.parse().ok()
}

/// Whether the process that made a staging folder is gone.
fn abandoned(path: &Path, pid: u32) -> bool {
    let proc = Path::new("/proc");
    if proc.join("self").exists() {
        return !proc.join(pid.to_string()).exists();
    }
    let age = fs::metadata(path)
        .and_then(|m| m.modified())
        .map(|t| t.elapsed());
    matches!(age, Ok(Ok(age)) if age > ABANDONED_AFTER)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::fixture::{entries, scratch};

    #[test]
    fn only_names_with_the_prefix_a_pid_and_a_random_part_are_staging_folders() {
        assert_eq!(staging_pid(".isrsim-staging-4242-a1B2c3"), Some(4242));
        for name in [
            ".isrsim-staging-4242-",
            ".isrsim-staging-4242",
            ".isrsim-staging--x",
            ".isrsim-staging-+42-x",
            ".isrsim-staging-x42-x",
            "isrsim-staging-4242-x",
            ".results.tmp-4242",
        ] {
            assert_eq!(staging_pid(name), None, "{name}");
        }
    }

    #[test]
    fn a_staging_folder_is_listed_while_it_lives_and_removed_when_dropped() {
        let dir = scratch("staging-drop");
        let staging = Staging::new_in(&dir).unwrap();
        let name = staging.path().file_name().unwrap().to_str().unwrap();
        assert_eq!(staging_pid(name), Some(std::process::id()));
        fs::write(staging.path().join("runs.csv"), "half").unwrap();
        assert!(live().contains(&staging.path().to_path_buf()));
        let path = staging.path().to_path_buf();
        drop(staging);
        assert!(!live().contains(&path));
        assert!(entries(&dir).is_empty());
        fs::remove_dir_all(dir).unwrap();
    }

    // Whether a process is gone is asked of `/proc`.
    #[cfg(target_os = "linux")]
    #[test]
    fn abandoned_staging_folders_go_and_everything_else_stays() {
        let dir = scratch("staging-abandoned");
        // No process has an id this high (Linux's limit is 2^22).
        let gone = dir.join(".isrsim-staging-4000000000-abc");
        let mine = dir.join(format!(".isrsim-staging-{}-abc", std::process::id()));
        let others = [".isrsim-staging-x", ".results.tmp-4000000000", "results"];
        for path in [&gone, &mine] {
            fs::create_dir(path).unwrap();
            fs::write(path.join("runs.csv"), "half").unwrap();
        }
        for name in others {
            fs::create_dir(dir.join(name)).unwrap();
        }
        fs::write(dir.join(".isrsim-staging-4000000001-file"), "a file").unwrap();
        remove_abandoned(&dir);
        let mut kept = vec![mine.file_name().unwrap().to_str().unwrap()];
        kept.extend(others);
        kept.push(".isrsim-staging-4000000001-file");
        kept.sort();
        assert_eq!(entries(&dir), kept);
        fs::remove_dir_all(dir).unwrap();
    }
}
