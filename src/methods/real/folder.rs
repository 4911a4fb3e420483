//! Reading one Dynamo profiling results folder.
//!
//! | file | used for |
//! |---|---|
//! | `selected_{prefill,decode}_interpolation/raw_data.npz`, else `{prefill,decode}_raw_data.json` (else `prefill.npz`/`decode.npz`), else the `planner-profile-data` ConfigMap of `config_with_planner.yaml` | the profile (required) |
//! | `config_with_planner.yaml` | the recommended config (prefill/decode TP, replicas) |
//! | `profile_meta.json` | the config when there is no YAML (`prefill_tp`, `decode_tp`); model, GPU, backend; `use_ai_configurator` (the method's kind) |
//! | `validation/<level>/profile_export_aiperf.json` | the actual values at each level |
//! | `profile_sla.log` | the duration of the profiling run; its suggested operating point |
//!
//! The recommended config comes from the first of `config_with_planner.yaml`,
//! `profile_meta.json` and the `--prefill-tp`/`--decode-tp` flags that states both TPs. The
//! profile's selected prefill curve and decode surface are those of that config: when the
//! profile has a single engine per role at another TP (a folder without `profile_meta.json`
//! is loaded as TP 1), it is taken as measured at the recommended TP.

use super::log::{self, LogInfo};
use super::yaml::{self, PlannerYaml};
use super::{ConfigSource, MethodKind, RecommendedConfig};
use crate::calibrate::hwrun::{HwRun, RunExtras};
use crate::error::{read_file, Error, Result};
use crate::profile::load::{self, DirSource, FileSource};
use crate::profile::{Origin, Profile};
use std::borrow::Cow;
use std::path::{Path, PathBuf};

/// The profiler's config file.
pub const PLANNER_YAML: &str = "config_with_planner.yaml";
/// The metadata file of the shipped comparison results.
pub const PROFILE_META: &str = "profile_meta.json";
/// The profiler's log.
pub const PROFILE_LOG: &str = "profile_sla.log";
/// The folder of validation runs.
pub const VALIDATION_DIR: &str = "validation";
/// The AIPerf export in each validation level folder.
pub const AIPERF_EXPORT: &str = "profile_export_aiperf.json";

/// The profile files looked for, in order (any one of them makes a folder a profile).
const PROFILE_FILES: [&str; 6] = [
    "selected_prefill_interpolation/raw_data.npz",
    "selected_decode_interpolation/raw_data.npz",
    "prefill_raw_data.json",
    "decode_raw_data.json",
    "prefill.npz",
    "decode.npz",
];

/// One validation run.
#[derive(Debug, Clone)]
pub struct Validation {
    /// Level name (the folder under `validation/`).
    pub level: String,
    /// The run.
    pub run: HwRun,
    /// Its extra figures (SLA hit rate).
    pub extras: RunExtras,
}

/// A results folder, read.
#[derive(Debug, Clone)]
pub struct Folder {
    /// `--results` label.
    pub label: String,
    /// The folder.
    pub dir: PathBuf,
    /// Its profile (engines retagged to the recommended TPs if needed).
    pub profile: Profile,
    /// The recommended config.
    pub config: RecommendedConfig,
    /// Static or online, and why.
    pub kind: (MethodKind, String),
    /// Validation runs, by level folder name (sorted by name).
    pub validation: Vec<Validation>,
    /// The profiling log, if any.
    pub log: Option<LogInfo>,
    /// Problems worth reporting.
    pub warnings: Vec<String>,
}

/// `profile_meta.json` fields used here.
#[derive(Debug, Default)]
struct Meta {
    prefill_tp: Option<u32>,
    decode_tp: Option<u32>,
    use_ai_configurator: Option<bool>,
}

/// The folder's files, with the ConfigMap payloads of the YAML as a fallback for the JSON
/// profile files.
struct FolderSource<'a> {
    dir: DirSource,
    yaml: Option<&'a PlannerYaml>,
}

impl FolderSource<'_> {
    fn payload(&self, rel: &str) -> Option<&[u8]> {
        let y = self.yaml?;
        match rel {
            "prefill_raw_data.json" => y.prefill_payload.as_deref(),
            "decode_raw_data.json" => y.decode_payload.as_deref(),
            _ => None,
        }
    }
}

impl FileSource for FolderSource<'_> {
    fn read(&self, rel: &str) -> Option<Result<Cow<'_, [u8]>>> {
        self.dir
            .read(rel)
            .or_else(|| self.payload(rel).map(|b| Ok(Cow::Borrowed(b))))
    }
    fn display(&self, rel: &str) -> String {
        if !self.dir.0.join(rel).is_file() && self.payload(rel).is_some() {
            format!("{}#planner-profile-data/{rel}", self.dir.display(PLANNER_YAML))
        } else {
            self.dir.display(rel)
        }
    }
}

impl Folder {
    /// Reads the folder `dir` of method `label`; `flag_tp` = (`--prefill-tp`, `--decode-tp`).
    pub fn read(label: &str, dir: &Path, prefill_tp_flag: Option<u32>, decode_tp_flag: Option<u32>) -> Result<Folder> {
        let shown = dir.display().to_string();
        if !dir.exists() {
            return Err(Error::usage(
                "--results",
                format!("{label}={shown}: no such folder (expected a Dynamo profiling results folder)"),
            ));
        }
        if !dir.is_dir() {
            return Err(Error::usage(
                "--results",
                format!("{label}={shown}: is a file; expected a Dynamo profiling results folder"),
            ));
        }
        let mut warnings = Vec::new();
        let meta_file = dir.join(PROFILE_META);
        let meta = if meta_file.is_file() {
            Some(read_meta(&meta_file)?)
        } else {
            None
        };
        let yaml_file = dir.join(PLANNER_YAML);
        let yaml = if yaml_file.is_file() {
            let bytes = read_file(&yaml_file)?;
            let text = std::str::from_utf8(&bytes)
                .map_err(|_| Error::data(yaml_file.display().to_string(), "(file)", "is not UTF-8 text"))?;
            let y = yaml::parse(&yaml_file.display().to_string(), text)?;
            warnings.extend(y.warnings.iter().cloned());
            Some(y)
        } else {
            None
        };

        let mut profile = load_profile(label, dir, yaml.as_ref())?;
        if let Some(y) = &yaml {
            for (field, v) in [(&mut profile.model, &y.model), (&mut profile.backend, &y.backend)] {
                if field.as_str() == "unknown" {
                    if let Some(v) = v {
                        *field = v.clone();
                    }
                }
            }
        }
        // the recommended config: YAML → profile_meta.json → flags
        let config = recommended_config(
            label,
            dir,
            yaml.as_ref(),
            meta.as_ref(),
            (prefill_tp_flag, decode_tp_flag),
            &mut warnings,
        )?;
        let meta_tps = meta.as_ref().map(|m| (m.prefill_tp, m.decode_tp)).unwrap_or_default();
        retag(&mut profile, &config, meta_tps, dir, &mut warnings)?;

        let kind = match meta.as_ref().and_then(|m| m.use_ai_configurator) {
            Some(true) => (
                MethodKind::StaticEstimate,
                "profile_meta.json use_ai_configurator = true".to_string(),
            ),
            Some(false) => (
                MethodKind::OnlineProfiling,
                "profile_meta.json use_ai_configurator = false".to_string(),
            ),
            None if label.to_ascii_lowercase().starts_with("aic") => (
                MethodKind::StaticEstimate,
                format!("label `{label}` starts with `aic` (AIConfigurator)"),
            ),
            None => (
                MethodKind::OnlineProfiling,
                format!(
                    "label `{label}` does not start with `aic` and profile_meta.json states no use_ai_configurator"
                ),
            ),
        };
        profile.origin = match kind.0 {
            MethodKind::StaticEstimate => Origin::AicEstimate,
            MethodKind::OnlineProfiling => Origin::MeasuredOnline,
        };

        let validation = read_validation(dir, &mut warnings)?;
        let log_file = dir.join(PROFILE_LOG);
        let log = if log_file.is_file() {
            let bytes = read_file(&log_file)?;
            let info = log::parse(&String::from_utf8_lossy(&bytes));
            if info.span.is_none() {
                warnings.push(format!(
                    "{}: fewer than two timestamped lines (ISO date-time or HH:MM:SS at a line start); the \
                     duration is estimated instead",
                    log_file.display()
                ));
            }
            Some(info)
        } else {
            None
        };
        Ok(Folder {
            label: label.to_string(),
            dir: dir.to_path_buf(),
            profile,
            config,
            kind,
            validation,
            log,
            warnings,
        })
    }
}

fn read_meta(path: &Path) -> Result<Meta> {
    let file = path.display().to_string();
    let bytes = read_file(path)?;
    let v: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| Error::data(&file, "(json)", format!("is not valid JSON: {e}")))?;
    let tp = |k: &str| -> Result<Option<u32>> {
        match v.get(k) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(x) => match x.as_u64() {
                Some(t) if (1..=1024).contains(&t) => Ok(Some(t as u32)),
                _ => Err(Error::data(&file, k, format!("is {x}; expected a TP size ≥ 1"))),
            },
        }
    };
    let use_aic = match v.get("use_ai_configurator") {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::Bool(b)) => Some(*b),
        Some(x) => {
            return Err(Error::data(
                &file,
                "use_ai_configurator",
                format!("is {x}; expected true or false"),
            ))
        }
    };
    Ok(Meta {
        prefill_tp: tp("prefill_tp")?,
        decode_tp: tp("decode_tp")?,
        use_ai_configurator: use_aic,
    })
}

fn recommended_config(
    label: &str,
    dir: &Path,
    yaml: Option<&PlannerYaml>,
    meta: Option<&Meta>,
    flags: (Option<u32>, Option<u32>),
    warnings: &mut Vec<String>,
) -> Result<RecommendedConfig> {
    let file = |name: &str| Some(dir.join(name).display().to_string());
    let mut chosen = None;
    if let Some(y) = yaml {
        match (y.prefill_tp, y.decode_tp) {
            (Some(p), Some(d)) => {
                chosen = Some((
                    p,
                    d,
                    y.prefill_replicas,
                    y.decode_replicas,
                    ConfigSource::PlannerYaml,
                    file(PLANNER_YAML),
                ))
            }
            _ => warnings.push(format!(
                "{}: no disaggregated prefill and decode worker with a TP found; the config is taken from {}",
                dir.join(PLANNER_YAML).display(),
                if meta.is_some_and(|m| m.prefill_tp.is_some() && m.decode_tp.is_some()) {
                    PROFILE_META
                } else {
                    "the flags"
                }
            )),
        }
    }
    if chosen.is_none() {
        if let Some((Some(p), Some(d))) = meta.map(|m| (m.prefill_tp, m.decode_tp)) {
            chosen = Some((p, d, None, None, ConfigSource::ProfileMeta, file(PROFILE_META)));
        }
    }
    if chosen.is_none() {
        if let (Some(p), Some(d)) = flags {
            chosen = Some((p, d, None, None, ConfigSource::Flags, None));
        }
    }
    let Some((p, d, pr, dr, source, file)) = chosen else {
        return Err(Error::usage(
            "--prefill-tp/--decode-tp",
            format!(
                "{label}={}: cannot tell the recommended config: no {PLANNER_YAML} with prefill and decode workers, no \
                 {PROFILE_META} with prefill_tp and decode_tp; give both --prefill-tp and --decode-tp",
                dir.display()
            ),
        ));
    };
    if source != ConfigSource::Flags {
        for (flag, given, used) in [("--prefill-tp", flags.0, p), ("--decode-tp", flags.1, d)] {
            if given.is_some_and(|g| g != used) {
                warnings.push(format!(
                    "{flag} {} is not used for {label}: its {source} states TP {used}",
                    given.unwrap_or_default()
                ));
            }
        }
    }
    for (role, r) in [("prefill", pr), ("decode", dr)] {
        if let Some(n) = r.filter(|n| *n != 1) {
            warnings.push(format!(
                "{PLANNER_YAML} states {n} {role} replicas; one {role} worker is simulated (the per-GPU figures use \
                 one worker per role)"
            ));
        }
    }
    Ok(RecommendedConfig {
        prefill_tp: p,
        decode_tp: d,
        prefill_replicas: pr,
        decode_replicas: dr,
        source,
        file,
        num_gpus: p + d,
    })
}

fn load_profile(label: &str, dir: &Path, yaml: Option<&PlannerYaml>) -> Result<Profile> {
    let has_payload = yaml.is_some_and(|y| y.prefill_payload.is_some() || y.decode_payload.is_some());
    if !has_payload && !PROFILE_FILES.iter().any(|f| dir.join(f).is_file()) {
        return Err(Error::data(
            dir.display().to_string(),
            "(profile)",
            format!(
                "no profile data for {label}: expected selected_prefill_interpolation/raw_data.npz and \
                 selected_decode_interpolation/raw_data.npz, or prefill_raw_data.json and decode_raw_data.json (or the \
                 planner-profile-data ConfigMap in {PLANNER_YAML})"
            ),
        ));
    }
    let src = FolderSource {
        dir: DirSource(dir.to_path_buf()),
        yaml,
    };
    let (engines, meta) = load::load_source(&src, None)?;
    let profile = Profile {
        name: dir.display().to_string(),
        model: meta.model.unwrap_or_else(|| "unknown".into()),
        gpu: meta.gpu.unwrap_or_else(|| "unknown".into()),
        backend: meta.backend.unwrap_or_else(|| "unknown".into()),
        backend_version: meta.backend_version,
        origin: Origin::Unknown,
        description: None,
        engines,
    };
    for (role, has, expected) in [
        (
            "prefill",
            profile.engines.iter().any(|e| e.prefill.is_some()),
            "selected_prefill_interpolation/raw_data.npz or prefill_raw_data.json",
        ),
        (
            "decode",
            profile.engines.iter().any(|e| e.decode.is_some()),
            "selected_decode_interpolation/raw_data.npz or decode_raw_data.json",
        ),
    ] {
        if !has {
            return Err(Error::data(
                dir.display().to_string(),
                "(profile)",
                format!("{label} has no {role} data: expected {expected}"),
            ));
        }
    }
    Ok(profile)
}

/// Makes sure the profile has a prefill engine at the recommended prefill TP and a decode
/// engine at the recommended decode TP; a single engine of a role measured at another TP is
/// taken as the recommended config's (warning when `profile_meta.json` stated that other TP).
fn retag(
    profile: &mut Profile,
    cfg: &RecommendedConfig,
    meta_tps: (Option<u32>, Option<u32>),
    dir: &Path,
    warnings: &mut Vec<String>,
) -> Result<()> {
    for (role, want, meta_tp) in [
        ("prefill", cfg.prefill_tp, meta_tps.0),
        ("decode", cfg.decode_tp, meta_tps.1),
    ] {
        let is_role = |e: &crate::profile::EngineProfile| {
            if role == "prefill" {
                e.prefill.is_some()
            } else {
                e.decode.is_some()
            }
        };
        if profile.engines.iter().any(|e| is_role(e) && e.tp == want) {
            continue;
        }
        let idx: Vec<usize> = (0..profile.engines.len())
            .filter(|&i| is_role(&profile.engines[i]))
            .collect();
        if idx.len() != 1 {
            let tps: Vec<String> = idx.iter().map(|&i| profile.engines[i].tp.to_string()).collect();
            return Err(Error::data(
                dir.display().to_string(),
                "(profile)",
                format!(
                    "has {role} data at TP {} but the recommended config ({}) uses {role} TP {want}",
                    tps.join(", "),
                    cfg.source
                ),
            ));
        }
        let e = &mut profile.engines[idx[0]];
        if let Some(m) = meta_tp {
            warnings.push(format!(
                "{PROFILE_META} says the {role} data was measured at TP {m}, but the recommended config ({}) uses TP \
                 {want}; the data is taken as TP {want}",
                cfg.source
            ));
        }
        // a role-separated engine carries one curve; move both tags
        if e.prefill.is_some() && e.decode.is_some() {
            return Err(Error::data(
                dir.display().to_string(),
                "(profile)",
                format!(
                    "has one aggregated engine at TP {}; expected disaggregated prefill and decode data",
                    e.tp
                ),
            ));
        }
        e.tp = want;
        if let Some(p) = e.prefill.as_mut() {
            p.tp = want;
        }
        if let Some(d) = e.decode.as_mut() {
            d.tp = want;
        }
    }
    Ok(())
}

fn read_validation(dir: &Path, warnings: &mut Vec<String>) -> Result<Vec<Validation>> {
    let vdir = dir.join(VALIDATION_DIR);
    if !vdir.is_dir() {
        return Ok(Vec::new());
    }
    let entries = std::fs::read_dir(&vdir).map_err(|e| Error::io(&vdir, "cannot read", e))?;
    let mut subdirs: Vec<(String, PathBuf)> = Vec::new();
    for e in entries {
        let e = e.map_err(|e| Error::io(&vdir, "cannot read", e))?;
        let p = e.path();
        if p.is_dir() {
            subdirs.push((e.file_name().to_string_lossy().into_owned(), p));
        }
    }
    subdirs.sort();
    let mut out = Vec::new();
    for (level, p) in subdirs {
        let f = p.join(AIPERF_EXPORT);
        if !f.is_file() {
            warnings.push(format!(
                "{}: no {AIPERF_EXPORT}; level `{level}` has no actual values",
                p.display()
            ));
            continue;
        }
        let (run, extras) = HwRun::load_detailed(&f)?;
        out.push(Validation { level, run, extras });
    }
    if out.is_empty() {
        warnings.push(format!("{}: no validation runs found", vdir.display()));
    }
    out.sort_by_key(|v| super::level_rank(&v.level));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Dynamo results folder copied into the repository's test fixtures (the checkout
    /// `cargo test` runs in, see `tests/integration/util.rs::repo`).
    fn fixture(name: &str) -> PathBuf {
        std::env::var_os("CARGO_MANIFEST_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
            .join("tests/fixtures/dynamo/benchmarks/profiler/comparison/results")
            .join(name)
    }

    #[test]
    fn missing_folder_and_file_are_usage_errors() {
        let e = Folder::read("x", Path::new("/no/such/dir"), None, None).unwrap_err();
        assert!(matches!(e, Error::Usage { .. }));
        assert!(e.to_string().contains("x=/no/such/dir: no such folder"), "{e}");
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("file");
        std::fs::write(&f, "x").unwrap();
        assert!(Folder::read("x", &f, None, None)
            .unwrap_err()
            .to_string()
            .contains("is a file"));
    }

    #[test]
    fn folder_without_profile_names_the_expected_files() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join(PROFILE_META), r#"{"prefill_tp": 1, "decode_tp": 2}"#).unwrap();
        let e = Folder::read("m", d.path(), None, None).unwrap_err().to_string();
        assert!(e.contains("no profile data for m"), "{e}");
        assert!(e.contains("selected_prefill_interpolation/raw_data.npz"), "{e}");
        assert!(e.contains("prefill_raw_data.json"), "{e}");
    }

    /// A copy of a shipped results folder's JSON profile (no meta, no YAML) in a temp dir.
    fn bare_copy(name: &str) -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        for f in ["prefill_raw_data.json", "decode_raw_data.json"] {
            std::fs::copy(fixture(name).join(f), d.path().join(f)).unwrap();
        }
        d
    }

    #[test]
    fn config_needs_yaml_meta_or_flags() {
        let d = bare_copy("aic_all");
        let e = Folder::read("aic", d.path(), None, None).unwrap_err();
        assert!(matches!(e, Error::Usage { .. }));
        assert!(e.to_string().contains("cannot tell the recommended config"), "{e}");
        // one flag is not enough
        assert!(Folder::read("aic", d.path(), Some(1), None).is_err());
        let f = Folder::read("aic", d.path(), Some(1), Some(2)).unwrap();
        assert_eq!(f.config.source, ConfigSource::Flags);
        assert_eq!((f.config.prefill_tp, f.config.decode_tp, f.config.num_gpus), (1, 2, 3));
        // the single decode engine (loaded as TP 1 without meta) is taken as TP 2
        assert_eq!(f.profile.decode_tps(), [2]);
        assert_eq!(f.kind.0, MethodKind::StaticEstimate);
        assert!(f.warnings.is_empty(), "{:?}", f.warnings);
        let f = Folder::read("online", d.path(), Some(1), Some(2)).unwrap();
        assert_eq!(f.kind.0, MethodKind::OnlineProfiling);
    }

    #[test]
    fn meta_gives_config_and_kind() {
        let f = Folder::read("aic_all", &fixture("aic_all"), Some(4), Some(4)).unwrap();
        assert_eq!(f.config.source, ConfigSource::ProfileMeta);
        assert_eq!((f.config.prefill_tp, f.config.decode_tp), (1, 2));
        assert!(
            f.warnings.iter().any(|w| w.contains("--decode-tp 4 is not used")),
            "{:?}",
            f.warnings
        );
        assert_eq!(f.validation.len(), 4);
        assert_eq!(f.validation[0].level, "idle");
        assert_eq!(f.validation[0].extras.sla_hit_rate, Some(0.0));
        let d = bare_copy("online_all");
        std::fs::write(
            d.path().join(PROFILE_META),
            r#"{"decode_tp": 1, "prefill_tp": 1, "use_ai_configurator": true}"#,
        )
        .unwrap();
        let f = Folder::read("online", d.path(), None, None).unwrap();
        assert_eq!(f.kind.0, MethodKind::StaticEstimate);
        assert!(f.kind.1.contains("use_ai_configurator"));
        std::fs::write(d.path().join(PROFILE_META), r#"{"decode_tp": "two"}"#).unwrap();
        let e = Folder::read("online", d.path(), None, None).unwrap_err().to_string();
        assert!(e.contains("`decode_tp`"), "{e}");
    }

    #[test]
    fn bad_validation_run_is_the_readers_error() {
        let d = bare_copy("aic_all");
        let v = d.path().join("validation/idle");
        std::fs::create_dir_all(&v).unwrap();
        std::fs::write(v.join(AIPERF_EXPORT), "{not json").unwrap();
        let e = Folder::read("aic", d.path(), Some(1), Some(2)).unwrap_err().to_string();
        assert!(
            e.contains("profile_export_aiperf.json") && e.contains("is not valid JSON"),
            "{e}"
        );
    }
}
