//! Shared validation checks for profile arrays; each error names the file and the key.

use crate::error::{Error, Result};

/// The array must have at least one element.
pub fn non_empty(file: &str, key: &str, v: &[f64]) -> Result<()> {
    if v.is_empty() {
        return Err(Error::data(file, key, "is empty; expected at least one value"));
    }
    Ok(())
}

/// Two arrays that describe the same points must have equal lengths.
pub fn same_len(file: &str, key: &str, len: usize, other_key: &str, other_len: usize) -> Result<()> {
    if len != other_len {
        return Err(Error::data(
            file,
            key,
            format!("has {len} values but `{other_key}` has {other_len}; expected equal lengths"),
        ));
    }
    Ok(())
}

/// Every value must be finite and > 0.
pub fn finite_positive(file: &str, key: &str, v: &[f64]) -> Result<()> {
    for (i, x) in v.iter().enumerate() {
        if !x.is_finite() {
            return Err(Error::data(
                file,
                key,
                format!("element {i} is {x}; expected a finite number"),
            ));
        }
        if *x <= 0.0 {
            return Err(Error::data(
                file,
                key,
                format!("element {i} is {x}; expected a value > 0"),
            ));
        }
    }
    Ok(())
}

/// Values must be strictly increasing.
pub fn strictly_increasing(file: &str, key: &str, v: &[f64]) -> Result<()> {
    for i in 1..v.len() {
        if v[i] <= v[i - 1] {
            return Err(Error::data(
                file,
                key,
                format!(
                    "is not strictly increasing: element {} ({}) ≤ element {} ({})",
                    i,
                    v[i],
                    i - 1,
                    v[i - 1]
                ),
            ));
        }
    }
    Ok(())
}
