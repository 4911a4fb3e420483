"""Exceptions raised by slasim. Each carries the one-line message the ``slasim`` command
prints after ``slasim: error:`` (it names the file, key or flag and what was expected)."""

from __future__ import annotations

__all__ = [
    "SlasimError",
    "UsageError",
    "ProfileError",
    "DataError",
    "ParseError",
    "FileError",
    "HorizonError",
    "InternalError",
]


class SlasimError(Exception):
    """Base class of every error slasim raises (the CLI's exit status 2)."""


class UsageError(SlasimError, ValueError):
    """An argument, key or combination of them is invalid (the CLI's usage errors)."""


class ProfileError(SlasimError):
    """A profile could not be found, read or validated."""


class DataError(SlasimError, ValueError):
    """A data file or value (deployment, workload, hardware run, trace, calibration) has a bad
    or missing field."""


class ParseError(DataError):
    """A text file (TOML) could not be parsed; the message starts ``FILE:LINE:COLUMN:``."""


class FileError(SlasimError, OSError):
    """A file could not be read or written."""


class HorizonError(SlasimError):
    """The inputs would make simulated time pass the simulator's horizon (10^7 s)."""


class InternalError(SlasimError):
    """A bug in slasim, caught at the boundary instead of crashing the interpreter."""
