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
    /// A text file (TOML) could not be parsed: the position is 1-based line and column
    /// (characters), as compilers print it (`FILE:LINE:COL: problem`).
    #[error("{file}:{line}:{column}: {problem}")]
    Parse {
        /// The file.
        file: String,
        /// Line of the problem, 1-based.
        line: usize,
        /// Column of the problem, 1-based, in characters.
        column: usize,
        /// What is wrong (the key, when one is known, comes first).
        problem: String,
    },
    /// Simulated time would pass the simulation horizon ([`crate::sim::HORIZON_S`] seconds):
    /// some input makes a time too long to simulate (the problem names the likely inputs).
    #[error("simulated time would pass the horizon of {horizon}: {problem}")]
    Horizon {
        /// The horizon, as text (`10^7 s (≈ 116 days)`).
        horizon: &'static str,
        /// What would pass it and which inputs to check.
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

impl Error {
    /// A TOML parse or schema error of `file` (whose text is `text`), with the 1-based line and
    /// column of the error's span and, when the span sits on a `key = value` line, the key:
    /// `FILE:LINE:COL: `key`: problem`. Without a span: `FILE: `(toml)`: problem`.
    pub fn toml(file: &str, text: &str, e: &toml::de::Error) -> Self {
        let msg = e.message().trim().replace('\n', " ");
        let Some(span) = e.span() else {
            return Error::data(file, "(toml)", msg);
        };
        let start = span.start.min(text.len());
        let start = (0..=start).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0);
        let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
        let line = text[..start].matches('\n').count() + 1;
        let column = text[line_start..start].chars().count() + 1;
        let this_line = text[line_start..].lines().next().unwrap_or("");
        let key = match this_line.split_once('=') {
            Some((k, _)) => {
                let k = k.trim();
                let plain = !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c));
                plain.then(|| k.to_string())
            }
            None => None,
        };
        Error::Parse {
            file: file.to_string(),
            line,
            column,
            problem: match key {
                Some(k) if !msg.contains(&format!("`{k}`")) => format!("`{k}`: {msg}"),
                _ => msg,
            },
        }
    }
}

/// Escapes control characters (newline, tab, escape, …) in a message meant for one terminal
/// line: `\n`, `\r`, `\t` and `\x1b`-style escapes (every other character is kept).
pub fn escape_control(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let v = c as u32;
                if v <= 0xff {
                    out.push_str(&format!("\\x{v:02x}"));
                } else {
                    out.push_str(&format!("\\u{{{v:x}}}"));
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// What kind of JSON value `v` is (`null`, `a boolean`, `a number`, `a string`, `an array`,
/// `an object`), for messages such as "expected a number, got a string".
pub fn json_kind(v: &serde_json::Value) -> &'static str {
    use serde_json::Value;
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Reads a whole file, mapping failures to [`Error::Io`].
pub fn read_file(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| Error::io(path, "cannot read", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_errors_have_line_column_and_key() {
        let text = "profile = \"x\"\ntp = -1\n";
        let e = toml::from_str::<crate::sim::deployment::DeploymentOptions>(text).unwrap_err();
        let m = Error::toml("d.toml", text, &e).to_string();
        assert!(m.starts_with("d.toml:2:6: `tp`: "), "{m}");
        let text = "a = 1\nb = \n";
        let e = toml::from_str::<toml::Value>(text).unwrap_err();
        let m = Error::toml("s.toml", text, &e).to_string();
        assert!(m.starts_with("s.toml:2:"), "{m}");
        assert!(!m.contains('\n'), "{m}");
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(
            escape_control("a\nb\tc\x1b[31m\r\u{7f}é"),
            "a\\nb\\tc\\x1b[31m\\r\\x7fé"
        );
        assert_eq!(escape_control("plain ≤ text"), "plain ≤ text");
    }
}
