//! Typed errors of the library.
//!
//! Every error names *where* the problem is (a file, a flag, a field) and *what* was expected,
//! so the binary can print it on one line and exit with status 2 (bad input).

use std::path::Path;

/// The library's error type.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read or written.
    #[error("{path}: {action}: {source}")]
    Io {
        /// The file or directory involved.
        path: String,
        /// What was being done ("cannot read", "cannot write", …).
        action: &'static str,
        /// The operating-system error.
        source: std::io::Error,
    },
    /// A data file (profile, trace, run, manifest) has a bad or missing field.
    #[error("{file}: `{key}`: {problem}")]
    Data {
        /// The file (or embedded resource) the problem is in.
        file: String,
        /// The key, column or field.
        key: String,
        /// What is wrong and what was expected.
        problem: String,
    },
    /// A command-line flag or a combination of them is invalid.
    #[error("{flag}: {problem}")]
    Usage {
        /// The flag (e.g. `--concurrency`).
        flag: String,
        /// What is wrong and what was expected.
        problem: String,
    },
}

/// Shorthand result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A data-file error naming the file, key and problem.
    pub fn data(file: impl Into<String>, key: impl Into<String>, problem: impl Into<String>) -> Self {
        Error::Data {
            file: file.into(),
            key: key.into(),
            problem: problem.into(),
        }
    }

    /// A usage error naming the flag and the problem.
    pub fn usage(flag: impl Into<String>, problem: impl Into<String>) -> Self {
        Error::Usage {
            flag: flag.into(),
            problem: problem.into(),
        }
    }

    /// An I/O error on `path`.
    pub fn io(path: &Path, action: &'static str, source: std::io::Error) -> Self {
        Error::Io {
            path: path.display().to_string(),
            action,
            source,
        }
    }
}

/// Reads a whole file, mapping failures to [`Error::Io`].
pub fn read_file(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| Error::io(path, "cannot read", e))
}
