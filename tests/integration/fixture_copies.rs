//! The data copied into `tests/fixtures/dynamo/` is byte for byte what `../shared/data/dynamo/`
//! holds (the copy the project was given of the upstream files, see the folders' `SOURCE.md`).
//! Without `../shared` (a fresh clone) the comparison is skipped with a message; every other
//! test reads only files in the repository.

use crate::util;
use std::path::{Path, PathBuf};

/// Every file under `dir`, relative to it, sorted.
fn files(dir: &Path) -> Vec<PathBuf> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
        let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for e in entries {
            let p = e.unwrap_or_else(|e| panic!("{}: {e}", dir.display())).path();
            if p.is_dir() {
                walk(root, &p, out);
            } else if let Ok(rel) = p.strip_prefix(root) {
                out.push(rel.to_path_buf());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

#[test]
fn dynamo_fixtures_are_byte_copies_of_the_shared_data() {
    let copy = util::dynamo_data();
    let copied = files(&copy);
    assert!(copied.len() >= 20, "{}: only {} files", copy.display(), copied.len());
    let Some(shared) = util::shared_data() else {
        return;
    };
    let original = shared.join("dynamo");
    assert_eq!(copied, files(&original), "the copy has exactly the original's files");
    for rel in &copied {
        let a = std::fs::read(copy.join(rel)).unwrap_or_default();
        let b = std::fs::read(original.join(rel)).unwrap_or_default();
        assert!(!a.is_empty() && a == b, "{}: differs from the original", rel.display());
    }
}
