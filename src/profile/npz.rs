//! Reading arrays out of numpy `.npz` archives.
//!
//! Numeric arrays are read with `ndarray-npy` (any of f64/f32/i64/i32/u64/u32 is converted to
//! f64). Numpy unicode arrays (`<U8`, `<U33`, …, used for the pre-swept files' metadata) are
//! refused by `ndarray-npy`, so they are decoded here from the `.npy` bytes: a short header
//! (magic, version, a Python-dict literal with `descr`, `fortran_order`, `shape`) followed by
//! UTF-32LE code units, NUL-padded to the declared width. Doing this by hand (≈40 lines) avoids
//! a second npy crate that would pull in another `zip` version with crypto dependencies.

use crate::error::{Error, Result};
use ndarray::ArrayD;
use ndarray_npy::NpzReader;
use std::io::{Cursor, Read};

/// An `.npz` archive held in memory.
pub struct NpzArchive<'a> {
    file: String,
    bytes: &'a [u8],
    names: Vec<String>,
}

impl<'a> NpzArchive<'a> {
    /// Opens an archive; `file` names it in error messages.
    pub fn open(file: &str, bytes: &'a [u8]) -> Result<Self> {
        let mut r = NpzReader::new(Cursor::new(bytes))
            .map_err(|e| Error::data(file, "(archive)", format!("is not an npz archive ({e})")))?;
        let names = r
            .names()
            .map_err(|e| Error::data(file, "(archive)", format!("is not a readable npz archive ({e})")))?
            .into_iter()
            .map(|n| n.strip_suffix(".npy").unwrap_or(&n).to_string())
            .collect();
        Ok(NpzArchive {
            file: file.to_string(),
            bytes,
            names,
        })
    }

    /// The file name used in errors.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// Array names in the archive (without the `.npy` suffix).
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Whether the archive has an array called `key`.
    pub fn has(&self, key: &str) -> bool {
        self.names.iter().any(|n| n == key)
    }

    fn missing(&self, key: &str) -> Error {
        Error::data(
            &self.file,
            key,
            format!("missing key; the archive has: {}", self.names.join(", ")),
        )
    }

    /// Reads a numeric array as f64 values in C order, with its shape.
    pub fn numeric(&self, key: &str) -> Result<(Vec<f64>, Vec<usize>)> {
        if !self.has(key) {
            return Err(self.missing(key));
        }
        macro_rules! try_type {
            ($t:ty) => {{
                let mut r =
                    NpzReader::new(Cursor::new(self.bytes)).map_err(|e| Error::data(&self.file, key, e.to_string()))?;
                let a: std::result::Result<ArrayD<$t>, _> = r.by_name(key);
                if let Ok(a) = a {
                    let shape = a.shape().to_vec();
                    #[allow(clippy::unnecessary_cast)]
                    let v: Vec<f64> = a.iter().map(|x| *x as f64).collect();
                    return Ok((v, shape));
                }
            }};
        }
        try_type!(f64);
        try_type!(i64);
        try_type!(f32);
        try_type!(i32);
        try_type!(u64);
        try_type!(u32);
        if self.unicode(key).is_ok() {
            return Err(Error::data(&self.file, key, "is a text array; expected numbers"));
        }
        Err(Error::data(
            &self.file,
            key,
            "has an unsupported dtype; expected a float or integer array",
        ))
    }

    /// Reads a numpy unicode (`<U…`) array as strings in C order.
    pub fn unicode(&self, key: &str) -> Result<Vec<String>> {
        if !self.has(key) {
            return Err(self.missing(key));
        }
        let bad = |p: &str| Error::data(&self.file, key, p.to_string());
        let mut zip = zip::ZipArchive::new(Cursor::new(self.bytes)).map_err(|e| bad(&e.to_string()))?;
        let with_ext = format!("{key}.npy");
        let entry_name = if zip.file_names().any(|n| n == with_ext) {
            with_ext
        } else {
            key.to_string()
        };
        let mut entry = zip.by_name(&entry_name).map_err(|e| bad(&e.to_string()))?;
        let mut data = Vec::new();
        entry.read_to_end(&mut data).map_err(|e| bad(&e.to_string()))?;
        decode_unicode_npy(&data).map_err(|p| bad(&p))
    }
}

/// Decodes a `.npy` file holding a little-endian numpy unicode array.
fn decode_unicode_npy(data: &[u8]) -> std::result::Result<Vec<String>, String> {
    if data.len() < 10 || &data[..6] != b"\x93NUMPY" {
        return Err("is not an .npy array".into());
    }
    let (hlen, start) = match data[6] {
        1 => (u16::from_le_bytes([data[8], data[9]]) as usize, 10),
        2 | 3 if data.len() >= 12 => (u32::from_le_bytes([data[8], data[9], data[10], data[11]]) as usize, 12),
        v => return Err(format!("unsupported .npy version {v}")),
    };
    let header = data.get(start..start + hlen).ok_or("truncated .npy header")?;
    let header = std::str::from_utf8(header).map_err(|_| "non-UTF-8 .npy header")?;
    let descr = header
        .split("'descr':")
        .nth(1)
        .and_then(|s| s.split('\'').nth(1))
        .ok_or("no descr in .npy header")?;
    let width: usize = descr
        .strip_prefix("<U")
        .or_else(|| descr.strip_prefix("|U"))
        .and_then(|w| w.parse().ok())
        .ok_or_else(|| format!("dtype {descr} is not a little-endian unicode array"))?;
    let body = &data[start + hlen..];
    let item = 4 * width;
    if item == 0 || body.len() % item != 0 {
        return Err("array body does not match its dtype width".into());
    }
    let mut out = Vec::with_capacity(body.len() / item);
    for chunk in body.chunks(item) {
        let mut s = String::new();
        for cu in chunk.chunks(4) {
            let c = u32::from_le_bytes([cu[0], cu[1], cu[2], cu[3]]);
            if c == 0 {
                break;
            }
            s.push(char::from_u32(c).ok_or("invalid code point")?);
        }
        out.push(s);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_unicode_npy() {
        let mut h = String::from("{'descr': '<U3', 'fortran_order': False, 'shape': (2,), }");
        while (10 + h.len() + 1) % 64 != 0 {
            h.push(' ');
        }
        h.push('\n');
        let mut d = b"\x93NUMPY\x01\x00".to_vec();
        d.extend((h.len() as u16).to_le_bytes());
        d.extend(h.as_bytes());
        for s in ["ab", "xyz"] {
            let mut n = 0;
            for c in s.chars() {
                d.extend((c as u32).to_le_bytes());
                n += 1;
            }
            for _ in n..3 {
                d.extend(0u32.to_le_bytes());
            }
        }
        assert_eq!(decode_unicode_npy(&d).unwrap(), vec!["ab", "xyz"]);
    }

    #[test]
    fn not_an_npz() {
        let e = NpzArchive::open("x.npz", b"hello").err().unwrap();
        assert!(e.to_string().contains("not an npz"), "{e}");
    }
}
