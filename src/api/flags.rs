//! A map of flag names to values (`{"isl": 1024, "concurrency": [1, 4]}`, what a Python
//! keyword dict holds) as the command-line words of those flags, so an embedding program goes
//! through the same parser, defaults and checks as the CLI.

use crate::error::{Error, Result};
use clap::{Args, Command};
use serde_json::{Map, Value};

/// Which flags a map may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagGroup {
    /// The workload flags of `simulate` (`isl`, `osl`, `concurrency`, `rps`, `trace`, …).
    Workload,
    /// The SLA flags (`ttft`, `itl`, ms).
    Sla,
    /// Every flag of the `slasim` subcommand of this name (`"calibrate"`, `"sweep"`), except
    /// `--json` (the embedding keeps the output) and `--help`.
    Command(&'static str),
}

impl FlagGroup {
    /// The group's flags (built once per process for the groups `simulate` uses on every call).
    fn args(self) -> std::borrow::Cow<'static, [clap::Arg]> {
        use std::sync::OnceLock;
        static WORKLOAD: OnceLock<Vec<clap::Arg>> = OnceLock::new();
        static SLA: OnceLock<Vec<clap::Arg>> = OnceLock::new();
        match self {
            FlagGroup::Workload => WORKLOAD.get_or_init(|| self.build()).as_slice().into(),
            FlagGroup::Sla => SLA.get_or_init(|| self.build()).as_slice().into(),
            FlagGroup::Command(_) => self.build().into(),
        }
    }

    fn build(self) -> Vec<clap::Arg> {
        let cmd = match self {
            FlagGroup::Workload => crate::cli::args::WorkloadFlags::augment_args(Command::new("workload")),
            FlagGroup::Sla => crate::cli::args::SlaFlags::augment_args(Command::new("sla")),
            FlagGroup::Command(name) => crate::cli::command()
                .find_subcommand(name)
                .cloned()
                .unwrap_or_else(|| Command::new(name)),
        };
        cmd.get_arguments()
            .filter(|a| a.get_long().is_some() && !matches!(a.get_id().as_str(), "json" | "help" | "version"))
            .cloned()
            .collect()
    }
}

/// A JSON scalar as a flag value (`None` for what has no text form).
fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(match (n.as_u64(), n.as_i64(), n.as_f64()) {
            (Some(u), _, _) => u.to_string(),
            (None, Some(i), _) => i.to_string(),
            (None, None, Some(f)) => f.to_string(),
            _ => n.to_string(),
        }),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The command-line words of `map`'s entries, each `--long-name=value` (so a value starting
/// with `-` is never taken for a flag). Keys are the flags' names with `_` for `-`
/// (`max_num_seqs`); `None`/`null` leaves a flag out; a switch takes `true` (given) or `false`
/// (left out); a list gives a comma-separated value to a flag that takes one (`concurrency`),
/// or the flag once per element to a repeatable one (`hw_run`). `what` names the map in errors
/// (`workload`, `sla`, `calibrate`).
pub fn flags_from_map(what: &str, group: FlagGroup, map: &Map<String, Value>) -> Result<Vec<String>> {
    let args = group.args();
    let mut words = Vec::new();
    for (key, value) in map {
        let id = key.replace('-', "_");
        let Some(arg) = args.iter().find(|a| a.get_id().as_str() == id) else {
            let mut known: Vec<&str> = args
                .iter()
                .filter(|a| !a.is_hide_set())
                .map(|a| a.get_id().as_str())
                .collect();
            known.sort_unstable();
            return Err(Error::usage(
                what,
                format!("unknown key `{key}`; known keys: {}", known.join(", ")),
            ));
        };
        let long = arg.get_long().unwrap_or(key.as_str());
        let switch = !arg.get_action().takes_values();
        let bad = |expected: &str| {
            Error::usage(
                format!("{what}: `{key}`"),
                format!("expected {expected}, got {}", crate::error::json_kind(value)),
            )
        };
        match value {
            Value::Null => {}
            Value::Bool(b) if switch => {
                if *b {
                    words.push(format!("--{long}"));
                }
            }
            _ if switch => return Err(bad("true or false")),
            Value::Array(items) => {
                let texts: Vec<String> = items
                    .iter()
                    .map(|v| scalar(v).ok_or_else(|| bad("a list of numbers or strings")))
                    .collect::<Result<_>>()?;
                if arg.get_value_delimiter().is_some() {
                    if !texts.is_empty() {
                        words.push(format!("--{long}={}", texts.join(",")));
                    }
                } else if matches!(arg.get_action(), clap::ArgAction::Append) {
                    words.extend(texts.iter().map(|t| format!("--{long}={t}")));
                } else {
                    return Err(bad("one value"));
                }
            }
            v => {
                let t = scalar(v).ok_or_else(|| bad("a number, a string or a list of them"))?;
                words.push(format!("--{long}={t}"));
            }
        }
    }
    Ok(words)
}
