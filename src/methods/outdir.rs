//! The `--out` folder of `compare-methods`, marked while it is being produced.
//!
//! A study runs for minutes and writes several files; a run killed part way (or failing while
//! writing) would leave a folder that looks finished: stale files of an earlier run, or some of
//! this run's. So the run writes [`INCOMPLETE_MARKER`] into the folder before anything else and
//! removes it only after its last file is written. A folder holding `INCOMPLETE` is not a result.
//! A run refused before it writes any output (bad input) removes its marker again, and the
//! folder if it created it, so the folder is as it was.

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// File present in an output folder from the start of a `compare-methods` run until its last
/// output is written.
pub const INCOMPLETE_MARKER: &str = "INCOMPLETE";

/// An output folder being produced (see the module doc).
#[derive(Debug)]
pub struct OutputFolder {
    dir: PathBuf,
    /// The folder did not exist before this run.
    created: bool,
    /// The folder was already marked (an earlier run did not finish).
    was_marked: bool,
}

impl OutputFolder {
    /// Creates `dir` if needed and writes the marker into it.
    pub fn begin(dir: &Path) -> Result<Self> {
        let created = !dir.exists();
        let was_marked = dir.join(INCOMPLETE_MARKER).exists();
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, "cannot create directory", e))?;
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let text = format!(
            "slasim {} compare-methods (process {}) started writing this folder at {secs} s since 1970 \
             and has not finished: it is still running, was interrupted, or failed. The other files \
             here may be incomplete or from an earlier run; rerun to replace them.\n",
            env!("CARGO_PKG_VERSION"),
            std::process::id()
        );
        crate::output::write_atomic(&dir.join(INCOMPLETE_MARKER), text.as_bytes())?;
        Ok(OutputFolder {
            dir: dir.to_path_buf(),
            created,
            was_marked,
        })
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Runs `write` (which writes the outputs) and removes the marker if it succeeds; if it
    /// fails the marker stays, since the folder may now hold a mix of old and new files.
    pub fn write(self, write: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
        write(&self.dir)?;
        let m = self.dir.join(INCOMPLETE_MARKER);
        std::fs::remove_file(&m).map_err(|e| Error::io(&m, "cannot remove", e))
    }

    /// The run stopped before writing any output: removes the marker (unless an earlier
    /// unfinished run had left one), and the folder if this run created it and it is empty,
    /// leaving things as they were.
    pub fn abandon(self) {
        if !self.was_marked {
            let _ = std::fs::remove_file(self.dir.join(INCOMPLETE_MARKER));
        }
        if self.created {
            // fails (and keeps the folder) if anything else is in it
            let _ = std::fs::remove_dir(&self.dir);
        }
    }

    /// Computes with `compute`, then writes with `write`: the whole run of a mode, marked from
    /// start to end ([`abandon`](Self::abandon) if `compute` fails).
    pub fn produce<T>(
        dir: &Path,
        compute: impl FnOnce() -> Result<T>,
        write: impl FnOnce(&Path, &T) -> Result<()>,
    ) -> Result<T> {
        let out = Self::begin(dir)?;
        let value = match compute() {
            Ok(v) => v,
            Err(e) => {
                out.abandon();
                return Err(e);
            }
        };
        out.write(|d| write(d, &value))?;
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marked_while_running_cleared_at_the_end() {
        let d = tempfile::tempdir().unwrap();
        let out = d.path().join("out");
        let r = OutputFolder::produce(
            &out,
            || {
                assert!(out.join(INCOMPLETE_MARKER).is_file(), "marked before the work");
                Ok(7)
            },
            |dir, v| {
                assert!(dir.join(INCOMPLETE_MARKER).is_file(), "marked while writing");
                std::fs::write(dir.join("r.txt"), v.to_string()).unwrap();
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(r, 7);
        assert!(!out.join(INCOMPLETE_MARKER).exists());
        assert!(out.join("r.txt").is_file());
    }

    #[test]
    fn a_failed_write_keeps_the_marker_a_refused_run_leaves_no_trace() {
        let d = tempfile::tempdir().unwrap();
        let out = d.path().join("out");
        let e = OutputFolder::produce(
            &out,
            || Ok(()),
            |dir, _| {
                std::fs::write(dir.join("half.txt"), "x").unwrap();
                Err(Error::usage("--out", "disk full"))
            },
        );
        assert!(e.is_err());
        let text = std::fs::read_to_string(out.join(INCOMPLETE_MARKER)).unwrap();
        assert!(text.contains("has not finished"), "{text}");
        // refused before writing: a new folder disappears, an existing one keeps its files
        let fresh = d.path().join("fresh");
        let refused = |dir: &Path| {
            OutputFolder::produce(dir, || Err::<(), _>(Error::usage("--isl", "bad")), |_, _| Ok(())).unwrap_err()
        };
        refused(&fresh);
        assert!(!fresh.exists());
        // the folder of the failed run stays marked
        refused(&out);
        assert!(out.join("half.txt").is_file() && out.join(INCOMPLETE_MARKER).is_file());
        // a finished folder stays unmarked
        let done = d.path().join("done");
        OutputFolder::produce(&done, || Ok(()), |_, _| Ok(())).unwrap();
        refused(&done);
        assert!(done.is_dir() && !done.join(INCOMPLETE_MARKER).exists());
    }
}
