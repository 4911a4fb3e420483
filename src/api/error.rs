//! Errors as an embedding program sees them: a class (the Python exception to raise) and the
//! one-line message the CLI prints after `slasim: error: `.

use crate::error::{escape_control, Error};

/// What kind of problem an error is (the Python package raises one exception class per kind,
/// all subclasses of `slasim.SlasimError`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// A profile could not be found, read or validated.
    Profile,
    /// A flag, keyword or combination of them is invalid.
    Usage,
    /// A data file or value (deployment, workload, run, trace, calibration) has a bad field.
    Data,
    /// A text file (TOML) could not be parsed.
    Parse,
    /// A file could not be read or written.
    File,
    /// Simulated time would pass the horizon.
    Horizon,
    /// A bug: a panic caught at the boundary.
    Internal,
}

impl ErrorClass {
    /// The Python exception's name.
    pub fn name(self) -> &'static str {
        match self {
            ErrorClass::Profile => "ProfileError",
            ErrorClass::Usage => "UsageError",
            ErrorClass::Data => "DataError",
            ErrorClass::Parse => "ParseError",
            ErrorClass::File => "FileError",
            ErrorClass::Horizon => "HorizonError",
            ErrorClass::Internal => "InternalError",
        }
    }
}

/// An error with its class and the CLI's one-line message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The kind of problem.
    pub class: ErrorClass,
    /// What `slasim` prints after `slasim: error: ` (control characters escaped).
    pub message: String,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ApiError {}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        let class = match &e {
            Error::Io { .. } => ErrorClass::File,
            Error::Data { .. } => ErrorClass::Data,
            Error::Usage { flag, .. } if flag == "--profile" => ErrorClass::Profile,
            Error::Usage { .. } => ErrorClass::Usage,
            Error::Parse { .. } => ErrorClass::Parse,
            Error::Horizon { .. } => ErrorClass::Horizon,
        };
        ApiError {
            class,
            message: escape_control(&e.to_string()),
        }
    }
}

impl ApiError {
    /// A profile error (raised while resolving or loading a profile), whatever its variant.
    pub fn profile(e: Error) -> Self {
        ApiError {
            class: ErrorClass::Profile,
            ..ApiError::from(e)
        }
    }

    /// A command-line parse error, as the CLI prints it: one line, without the usage block.
    pub fn from_clap(e: &clap::Error) -> Self {
        ApiError {
            class: ErrorClass::Usage,
            message: escape_control(&crate::cli::clap_error_line(e)),
        }
    }
}
