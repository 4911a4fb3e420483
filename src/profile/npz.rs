//! Reading arrays out of numpy `.npz` archives, with every size checked before it is trusted.
//!
//! An `.npz` is a zip archive of `.npy` files. Each `.npy` is a short header (magic
//! `\x93NUMPY`, version, then a Python-dict literal with `descr`, `fortran_order` and `shape`)
//! followed by the array's elements. Both layers come from the user, so nothing they declare is
//! allocated before it is checked:
//!
//! * an entry whose central-directory size is over [`MAX_ARRAY_BYTES`] is refused before it is
//!   inflated, and inflating stops one byte past the declared size (a deflate bomb that lies
//!   about its size is refused after at most that many bytes);
//! * the header's shape × dtype size is computed with overflow checks and must equal the bytes
//!   that follow the header, so a header declaring 10¹² elements over a few bytes is an error,
//!   not an 8 TB allocation.
//!
//! Numeric arrays (`f8`, `f4`, `i8`, `i4`, `u8`, `u4`, either byte order) are converted to f64
//! in C order. Numpy unicode arrays (`<U8`, `<U33`, …, used for the pre-swept files' metadata)
//! are UTF-32 code units, NUL-padded to the declared width. The decoding is done here rather
//! than with `ndarray-npy` (which slasim still uses to *write* npz files), because its reader
//! allocates what a header declares before checking it, and refuses unicode arrays.
//!
//! Errors name the file and the key: `(archive)` when the bytes are not a zip archive at all,
//! "corrupt entry `KEY.npy`: …" when an entry cannot be read or its header does not describe
//! its data, and "unsupported dtype" only for a well-formed array of a type slasim does not read.

use crate::error::{Error, Result};
use std::io::{Cursor, Read};

/// Largest array (uncompressed `.npy` entry) an archive may hold, bytes: 256 MiB. The largest
/// real profile array is a few kB; the cap only keeps a crafted file from exhausting memory.
pub const MAX_ARRAY_BYTES: u64 = 256 << 20;

/// An `.npz` archive held in memory.
pub struct NpzArchive<'a> {
    file: String,
    bytes: &'a [u8],
    names: Vec<String>,
    max_array_bytes: u64,
}

/// A decoded `.npy` header.
#[derive(Debug, Clone, PartialEq)]
struct NpyHeader {
    /// The dtype string, e.g. `<f8`.
    descr: String,
    /// Elements stored column-major.
    fortran_order: bool,
    /// The dimensions.
    shape: Vec<usize>,
}

/// Element types read as numbers.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Numeric {
    F64,
    F32,
    I64,
    I32,
    U64,
    U32,
}

impl Numeric {
    fn size(self) -> usize {
        match self {
            Numeric::F64 | Numeric::I64 | Numeric::U64 => 8,
            Numeric::F32 | Numeric::I32 | Numeric::U32 => 4,
        }
    }
}

/// A parsed dtype string.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Dtype {
    /// A number type; `big` = big-endian.
    Numeric { kind: Numeric, big: bool },
    /// Unicode of `width` code points per element; `big` = big-endian.
    Unicode { width: usize, big: bool },
}

impl<'a> NpzArchive<'a> {
    /// Opens an archive; `file` names it in error messages. Arrays are limited to
    /// [`MAX_ARRAY_BYTES`].
    pub fn open(file: &str, bytes: &'a [u8]) -> Result<Self> {
        Self::open_with_limit(file, bytes, MAX_ARRAY_BYTES)
    }

    /// [`open`](Self::open) with another per-array limit, bytes (the uncompressed size of one
    /// `.npy` entry, header included).
    pub fn open_with_limit(file: &str, bytes: &'a [u8], max_array_bytes: u64) -> Result<Self> {
        let zip = zip::ZipArchive::new(Cursor::new(bytes))
            .map_err(|e| Error::data(file, "(archive)", format!("is not an npz archive ({e})")))?;
        let names = zip
            .file_names()
            .map(|n| n.strip_suffix(".npy").unwrap_or(n).to_string())
            .collect();
        Ok(NpzArchive {
            file: file.to_string(),
            bytes,
            names,
            max_array_bytes,
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

    /// "corrupt entry `NAME`: …" for `key`.
    fn corrupt(&self, key: &str, entry: &str, problem: impl std::fmt::Display) -> Error {
        Error::data(&self.file, key, format!("corrupt entry `{entry}`: {problem}"))
    }

    /// The `.npy` bytes of `key` (its size checked against the central directory and the cap)
    /// and the entry's name.
    fn entry(&self, key: &str) -> Result<(Vec<u8>, String)> {
        if !self.has(key) {
            return Err(self.missing(key));
        }
        let mut zip = zip::ZipArchive::new(Cursor::new(self.bytes))
            .map_err(|e| Error::data(&self.file, "(archive)", format!("is not an npz archive ({e})")))?;
        let with_ext = format!("{key}.npy");
        let name = if zip.file_names().any(|n| n == with_ext) {
            with_ext
        } else {
            key.to_string()
        };
        let entry = zip.by_name(&name).map_err(|e| self.corrupt(key, &name, e))?;
        let declared = entry.size();
        if declared > self.max_array_bytes {
            return Err(self.corrupt(
                key,
                &name,
                format!(
                    "declares {declared} bytes uncompressed, over the {} byte limit of one array",
                    self.max_array_bytes
                ),
            ));
        }
        // `declared` ≤ the cap, so this fits in memory; one byte more tells a lie from the truth.
        let mut data = Vec::new();
        entry
            .take(declared + 1)
            .read_to_end(&mut data)
            .map_err(|e| self.corrupt(key, &name, e))?;
        if data.len() as u64 != declared {
            return Err(self.corrupt(
                key,
                &name,
                format!(
                    "inflates to {} bytes, the archive's directory says {declared}",
                    if data.len() as u64 > declared {
                        format!("more than {declared}")
                    } else {
                        data.len().to_string()
                    }
                ),
            ));
        }
        Ok((data, name))
    }

    /// Reads `key`'s header and element bytes.
    fn array(&self, key: &str) -> Result<(NpyHeader, Dtype, Vec<u8>, usize)> {
        let (data, name) = self.entry(key)?;
        let (h, body_start) = parse_npy_header(&data).map_err(|p| self.corrupt(key, &name, p))?;
        let dtype = parse_descr(&h.descr).map_err(|p| Error::data(&self.file, key, p))?;
        let item = match dtype {
            Dtype::Numeric { kind, .. } => kind.size(),
            Dtype::Unicode { width, .. } => width
                .checked_mul(4)
                .ok_or_else(|| self.corrupt(key, &name, format!("dtype `{}` is too wide", h.descr)))?,
        };
        let count = element_count(&h.shape)
            .ok_or_else(|| self.corrupt(key, &name, format!("shape {:?} overflows", h.shape)))?;
        let body = data.len() - body_start;
        if count.checked_mul(item) != Some(body) {
            return Err(self.corrupt(
                key,
                &name,
                format!(
                    "the header declares shape {:?} of `{}` ({} bytes) but {body} bytes follow it",
                    h.shape,
                    h.descr,
                    count
                        .checked_mul(item)
                        .map_or_else(|| "more than 2^64".to_string(), |n| n.to_string()),
                ),
            ));
        }
        Ok((h, dtype, data, body_start))
    }

    /// Reads a numeric array as f64 values in C order, with its shape.
    pub fn numeric(&self, key: &str) -> Result<(Vec<f64>, Vec<usize>)> {
        let (h, dtype, data, start) = self.array(key)?;
        let Dtype::Numeric { kind, big } = dtype else {
            return Err(Error::data(&self.file, key, "is a text array; expected numbers"));
        };
        let body = &data[start..];
        let v: Vec<f64> = body
            .chunks_exact(kind.size())
            .map(|c| decode_number(kind, big, c))
            .collect();
        Ok((c_order(v, &h.shape, h.fortran_order), h.shape))
    }

    /// Reads a numpy unicode (`<U…`) array as strings in C order.
    pub fn unicode(&self, key: &str) -> Result<Vec<String>> {
        let (h, dtype, data, start) = self.array(key)?;
        let Dtype::Unicode { width, big } = dtype else {
            return Err(Error::data(
                &self.file,
                key,
                format!("has dtype `{}`; expected a unicode (text) array", h.descr),
            ));
        };
        let body = &data[start..];
        let mut out = Vec::new();
        for chunk in body.chunks_exact(4 * width) {
            let mut s = String::new();
            for cu in chunk.chunks_exact(4) {
                let b = [cu[0], cu[1], cu[2], cu[3]];
                let c = if big {
                    u32::from_be_bytes(b)
                } else {
                    u32::from_le_bytes(b)
                };
                if c == 0 {
                    break;
                }
                let ch = char::from_u32(c)
                    .ok_or_else(|| Error::data(&self.file, key, format!("holds an invalid code point {c:#x}")))?;
                s.push(ch);
            }
            out.push(s);
        }
        Ok(c_order(out, &h.shape, h.fortran_order))
    }
}

/// The product of `shape` (1 for a scalar), `None` on overflow.
fn element_count(shape: &[usize]) -> Option<usize> {
    if shape.contains(&0) {
        return Some(0);
    }
    shape.iter().try_fold(1usize, |n, d| n.checked_mul(*d))
}

fn decode_number(kind: Numeric, big: bool, c: &[u8]) -> f64 {
    macro_rules! get {
        ($t:ty, $n:literal) => {{
            let mut b = [0u8; $n];
            b.copy_from_slice(c);
            if big {
                <$t>::from_be_bytes(b)
            } else {
                <$t>::from_le_bytes(b)
            }
        }};
    }
    match kind {
        Numeric::F64 => get!(f64, 8),
        Numeric::F32 => f64::from(get!(f32, 4)),
        Numeric::I64 => get!(i64, 8) as f64,
        Numeric::I32 => f64::from(get!(i32, 4)),
        Numeric::U64 => get!(u64, 8) as f64,
        Numeric::U32 => f64::from(get!(u32, 4)),
    }
}

/// Reorders column-major (`fortran`) elements of `shape` to row-major; row-major input is
/// returned as is. `v.len()` is the product of `shape`.
fn c_order<T: Clone>(v: Vec<T>, shape: &[usize], fortran: bool) -> Vec<T> {
    if !fortran || shape.len() < 2 || v.is_empty() {
        return v;
    }
    // Fortran strides: stride[0] = 1, stride[k] = stride[k-1] · shape[k-1].
    let mut strides = vec![1usize; shape.len()];
    for k in 1..shape.len() {
        strides[k] = strides[k - 1] * shape[k - 1];
    }
    let mut idx = vec![0usize; shape.len()];
    let mut out = Vec::with_capacity(v.len());
    for _ in 0..v.len() {
        let off: usize = idx.iter().zip(&strides).map(|(i, s)| i * s).sum();
        out.push(v[off].clone());
        // next C-order index: the last axis varies fastest
        for k in (0..shape.len()).rev() {
            idx[k] += 1;
            if idx[k] < shape[k] {
                break;
            }
            idx[k] = 0;
        }
    }
    out
}

/// Parses an `.npy` header: the header and the offset of the first element byte.
fn parse_npy_header(data: &[u8]) -> std::result::Result<(NpyHeader, usize), String> {
    if data.len() < 10 || &data[..6] != b"\x93NUMPY" {
        return Err("is not an .npy array (no \\x93NUMPY magic)".into());
    }
    let (hlen, start): (usize, usize) = match data[6] {
        1 => (usize::from(u16::from_le_bytes([data[8], data[9]])), 10),
        2 | 3 if data.len() >= 12 => (u32::from_le_bytes([data[8], data[9], data[10], data[11]]) as usize, 12),
        v => return Err(format!("unsupported .npy version {v}")),
    };
    let end = start
        .checked_add(hlen)
        .filter(|e| *e <= data.len())
        .ok_or_else(|| format!("the .npy header declares {hlen} bytes, more than the entry holds"))?;
    let text = std::str::from_utf8(&data[start..end]).map_err(|_| "the .npy header is not UTF-8".to_string())?;
    let h = parse_header_dict(text)?;
    Ok((h, end))
}

/// A token of the header's Python literal.
#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Str(String),
    Int(usize),
    Bool(bool),
    Punct(char),
}

fn tokenize(s: &str) -> std::result::Result<Vec<Tok>, String> {
    let mut out = Vec::new();
    let mut it = s.char_indices().peekable();
    while let Some((i, c)) = it.next() {
        match c {
            c if c.is_whitespace() => {}
            '{' | '}' | '(' | ')' | '[' | ']' | ':' | ',' => out.push(Tok::Punct(c)),
            '\'' | '"' => {
                let mut v = String::new();
                loop {
                    match it.next() {
                        Some((_, q)) if q == c => break,
                        Some((_, '\\')) => return Err("escapes in the .npy header are not supported".into()),
                        Some((_, ch)) => v.push(ch),
                        None => return Err("unterminated string in the .npy header".into()),
                    }
                }
                out.push(Tok::Str(v));
            }
            '0'..='9' => {
                let mut end = i + c.len_utf8();
                while let Some((j, d)) = it.peek().copied() {
                    if d.is_ascii_digit() {
                        end = j + 1;
                        it.next();
                    } else {
                        break;
                    }
                }
                // numpy writes Python ints; accept a trailing `L` (Python 2 longs)
                if let Some((_, 'L')) = it.peek().copied() {
                    it.next();
                }
                let n = s[i..end]
                    .parse()
                    .map_err(|_| format!("dimension {} in the .npy header is too large", &s[i..end]))?;
                out.push(Tok::Int(n));
            }
            _ => {
                let rest = &s[i..];
                let word: String = rest.chars().take_while(|ch| ch.is_ascii_alphabetic()).collect();
                match word.as_str() {
                    "True" | "False" => {
                        out.push(Tok::Bool(word == "True"));
                        for _ in 1..word.len() {
                            it.next();
                        }
                    }
                    _ => {
                        let shown: String = rest.chars().take(12).filter(|ch| !ch.is_control()).collect();
                        return Err(format!("unexpected `{shown}` in the .npy header"));
                    }
                }
            }
        }
    }
    Ok(out)
}

/// Parses `{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }`.
fn parse_header_dict(s: &str) -> std::result::Result<NpyHeader, String> {
    let toks = tokenize(s)?;
    let mut p = toks.iter().peekable();
    let expect = |t: Option<&Tok>, want: char| -> std::result::Result<(), String> {
        match t {
            Some(Tok::Punct(c)) if *c == want => Ok(()),
            _ => Err(format!("the .npy header is not a dict literal (expected `{want}`)")),
        }
    };
    expect(p.next(), '{')?;
    let (mut descr, mut fortran, mut shape) = (None, None, None);
    loop {
        match p.next() {
            Some(Tok::Punct('}')) => break,
            Some(Tok::Str(k)) => {
                expect(p.next(), ':')?;
                match k.as_str() {
                    "descr" => match p.next() {
                        Some(Tok::Str(d)) => descr = Some(d.clone()),
                        Some(Tok::Punct('[')) => {
                            return Err("structured dtypes are not supported; expected a plain array".into())
                        }
                        _ => return Err("`descr` in the .npy header is not a string".into()),
                    },
                    "fortran_order" => match p.next() {
                        Some(Tok::Bool(b)) => fortran = Some(*b),
                        _ => return Err("`fortran_order` in the .npy header is not True/False".into()),
                    },
                    "shape" => {
                        expect(p.next(), '(')?;
                        let mut dims = Vec::new();
                        loop {
                            match p.next() {
                                Some(Tok::Punct(')')) => break,
                                Some(Tok::Int(n)) => {
                                    dims.push(*n);
                                    match p.next() {
                                        Some(Tok::Punct(',')) => {}
                                        Some(Tok::Punct(')')) => break,
                                        _ => return Err("`shape` in the .npy header is not a tuple".into()),
                                    }
                                }
                                _ => return Err("`shape` in the .npy header is not a tuple of integers".into()),
                            }
                            if dims.len() > 32 {
                                return Err("`shape` in the .npy header has more than 32 dimensions".into());
                            }
                        }
                        shape = Some(dims);
                    }
                    other => {
                        let shown: String = other.chars().take(32).filter(|c| !c.is_control()).collect();
                        return Err(format!("unknown key `{shown}` in the .npy header"));
                    }
                }
                match p.next() {
                    Some(Tok::Punct(',')) => {}
                    Some(Tok::Punct('}')) => break,
                    _ => return Err("the .npy header is not a dict literal (expected `,` or `}`)".into()),
                }
            }
            _ => return Err("the .npy header is not a dict literal (expected a key)".into()),
        }
    }
    match (descr, fortran, shape) {
        (Some(descr), Some(fortran_order), Some(shape)) => Ok(NpyHeader {
            descr,
            fortran_order,
            shape,
        }),
        _ => Err("the .npy header lacks `descr`, `fortran_order` or `shape`".into()),
    }
}

/// Parses a dtype string (`<f8`, `>i4`, `<U33`, …).
fn parse_descr(d: &str) -> std::result::Result<Dtype, String> {
    let shown: String = d.chars().take(16).filter(|c| !c.is_control()).collect();
    let unsupported = || format!("has an unsupported dtype `{shown}`; expected a float or integer array");
    let (big, rest) = match d.chars().next() {
        Some('<') | Some('=') => (false, &d[1..]),
        Some('|') => (false, &d[1..]),
        Some('>') => (true, &d[1..]),
        _ => (false, d),
    };
    let mut chars = rest.chars();
    let kind = chars.next().ok_or_else(unsupported)?;
    let size: usize = chars.as_str().parse().map_err(|_| unsupported())?;
    let numeric = match (kind, size) {
        ('f', 8) => Numeric::F64,
        ('f', 4) => Numeric::F32,
        ('i', 8) => Numeric::I64,
        ('i', 4) => Numeric::I32,
        ('u', 8) => Numeric::U64,
        ('u', 4) => Numeric::U32,
        // zero-width text would let a header declare any number of elements over no bytes
        ('U', width) if width > 0 => return Ok(Dtype::Unicode { width, big }),
        _ => return Err(unsupported()),
    };
    Ok(Dtype::Numeric { kind: numeric, big })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An `.npy` file with header dict `dict` and element bytes `body`.
    fn npy(dict: &str, body: &[u8]) -> Vec<u8> {
        let mut h = dict.to_string();
        while (10 + h.len() + 1) % 64 != 0 {
            h.push(' ');
        }
        h.push('\n');
        let mut d = b"\x93NUMPY\x01\x00".to_vec();
        d.extend((h.len() as u16).to_le_bytes());
        d.extend(h.as_bytes());
        d.extend(body);
        d
    }

    /// A zip of `(name, bytes)` entries, stored or deflated.
    fn zip_of(entries: &[(&str, Vec<u8>)], deflate: bool) -> Vec<u8> {
        use std::io::Write;
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let method = if deflate {
            zip::CompressionMethod::Deflated
        } else {
            zip::CompressionMethod::Stored
        };
        let opt = zip::write::SimpleFileOptions::default().compression_method(method);
        for (n, b) in entries {
            w.start_file(*n, opt).unwrap();
            w.write_all(b).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    fn f64s(v: &[f64]) -> Vec<u8> {
        v.iter().flat_map(|x| x.to_le_bytes()).collect()
    }

    #[test]
    fn decodes_unicode_npy() {
        let mut body = Vec::new();
        for s in ["ab", "xyz"] {
            let mut n = 0;
            for c in s.chars() {
                body.extend((c as u32).to_le_bytes());
                n += 1;
            }
            for _ in n..3 {
                body.extend(0u32.to_le_bytes());
            }
        }
        let z = zip_of(
            &[(
                "t.npy",
                npy("{'descr': '<U3', 'fortran_order': False, 'shape': (2,), }", &body),
            )],
            false,
        );
        let a = NpzArchive::open("x.npz", &z).unwrap();
        assert_eq!(a.unicode("t").unwrap(), vec!["ab", "xyz"]);
        let e = a.numeric("t").unwrap_err().to_string();
        assert!(e.contains("text array"), "{e}");
    }

    #[test]
    fn numeric_types_byte_orders_and_fortran_order() {
        let i4: Vec<u8> = [1i32, -2, 3].iter().flat_map(|x| x.to_be_bytes()).collect();
        // [[1, 2, 3], [4, 5, 6]] stored column-major
        let f = f64s(&[1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
        let z = zip_of(
            &[
                (
                    "a.npy",
                    npy("{'descr': '>i4', 'fortran_order': False, 'shape': (3,), }", &i4),
                ),
                (
                    "b.npy",
                    npy("{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }", &f),
                ),
                (
                    "c.npy",
                    npy("{'descr': '<f8', 'fortran_order': False, 'shape': (), }", &f64s(&[7.5])),
                ),
            ],
            true,
        );
        let a = NpzArchive::open("x.npz", &z).unwrap();
        assert_eq!(a.numeric("a").unwrap(), (vec![1.0, -2.0, 3.0], vec![3]));
        assert_eq!(
            a.numeric("b").unwrap(),
            (vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], vec![2, 3])
        );
        assert_eq!(a.numeric("c").unwrap(), (vec![7.5], vec![]));
    }

    #[test]
    fn not_an_npz() {
        let e = NpzArchive::open("x.npz", b"hello").err().unwrap();
        assert!(e.to_string().contains("not an npz"), "{e}");
    }

    #[test]
    fn shape_bomb_is_refused_before_allocating() {
        // 10^12 float64 elements declared over 16 bytes
        let z = zip_of(
            &[(
                "x.npy",
                npy(
                    "{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000000,), }",
                    &f64s(&[1.0, 2.0]),
                ),
            )],
            false,
        );
        let e = NpzArchive::open("b.npz", &z)
            .unwrap()
            .numeric("x")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("b.npz: `x`: corrupt entry `x.npy`: "), "{e}");
        assert!(
            e.contains("8000000000000 bytes") && e.contains("16 bytes follow"),
            "{e}"
        );
        // a product that overflows usize
        let z = zip_of(
            &[(
                "x.npy",
                npy(
                    "{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296, 2), }",
                    &[],
                ),
            )],
            false,
        );
        let e = NpzArchive::open("b.npz", &z)
            .unwrap()
            .numeric("x")
            .unwrap_err()
            .to_string();
        assert!(e.contains("corrupt entry `x.npy`") && e.contains("overflows"), "{e}");
    }

    #[test]
    fn entries_over_the_cap_are_refused_before_inflating() {
        // 2 MiB of zeros deflates to a few kB; the cap is 1 MiB
        let n = 2 * 1024 * 1024 / 8;
        let body = vec![0u8; n * 8];
        let dict = format!("{{'descr': '<f8', 'fortran_order': False, 'shape': ({n},), }}");
        let z = zip_of(&[("x.npy", npy(&dict, &body))], true);
        assert!(z.len() < 64 * 1024, "{}", z.len());
        let a = NpzArchive::open_with_limit("b.npz", &z, 1 << 20).unwrap();
        let e = a.numeric("x").unwrap_err().to_string();
        assert!(
            e.contains("corrupt entry `x.npy`") && e.contains("over the 1048576 byte limit"),
            "{e}"
        );
        // the default cap reads it
        assert_eq!(NpzArchive::open("b.npz", &z).unwrap().numeric("x").unwrap().0.len(), n);
    }

    #[test]
    fn an_entry_that_inflates_past_its_declared_size_is_refused() {
        let body = f64s(&[1.0; 1024]);
        let z = zip_of(
            &[(
                "x.npy",
                npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1024,), }", &body),
            )],
            true,
        );
        let real = 128 + body.len() as u32;
        // rewrite the uncompressed size (local header offset 22, central directory offset 24)
        let mut lie = z.clone();
        let small = 200u32.to_le_bytes();
        let mut patched = 0;
        for i in 0..lie.len().saturating_sub(30) {
            if lie[i..i + 4] == [0x50, 0x4b, 0x03, 0x04] {
                lie[i + 22..i + 26].copy_from_slice(&small);
                patched += 1;
            }
            if lie[i..i + 4] == [0x50, 0x4b, 0x01, 0x02] {
                assert_eq!(lie[i + 24..i + 28], real.to_le_bytes());
                lie[i + 24..i + 28].copy_from_slice(&small);
                patched += 1;
            }
        }
        assert_eq!(patched, 2);
        let e = NpzArchive::open("b.npz", &lie)
            .unwrap()
            .numeric("x")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("corrupt entry `x.npy`: inflates to more than 200 bytes"),
            "{e}"
        );
    }

    #[test]
    fn malformed_headers_are_corrupt_entries() {
        let cases: &[(&[u8], &str)] = &[
            (b"\x93NUMPX\x01\x00\x10\x00{}", "no \\x93NUMPY magic"),
            (b"\x93NUMPY\x09\x00\x10\x00{}", "unsupported .npy version 9"),
            (b"\x93NUMPY\x01\x00\xff\x00{}", "declares 255 bytes"),
            (b"\x93NUMPY\x01\x00\x02\x00{}", "lacks `descr`"),
            (
                b"\x93NUMPY\x01\x00\x0f\x00{'descr' '<f8'}",
                "not a dict literal (expected `:`)",
            ),
            (b"\x93NUMPY\x01\x00\x07\x00{'a': 1", "unknown key `a`"),
            (b"\x93NUMPY\x01\x00\x02\x00\xff\xfe", "not UTF-8"),
        ];
        for (bytes, want) in cases {
            let z = zip_of(&[("x.npy", bytes.to_vec())], false);
            let e = NpzArchive::open("b.npz", &z)
                .unwrap()
                .numeric("x")
                .unwrap_err()
                .to_string();
            assert!(e.contains("corrupt entry `x.npy`") && e.contains(want), "{e} / {want}");
        }
        let z = zip_of(
            &[(
                "x.npy",
                npy("{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }", &[0; 16]),
            )],
            false,
        );
        let e = NpzArchive::open("b.npz", &z)
            .unwrap()
            .numeric("x")
            .unwrap_err()
            .to_string();
        assert!(e.contains("unsupported dtype `<c16`"), "{e}");
    }

    #[test]
    fn a_truncated_archive_is_not_an_npz() {
        let z = zip_of(
            &[(
                "x.npy",
                npy(
                    "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }",
                    &f64s(&[1.0, 2.0]),
                ),
            )],
            true,
        );
        for cut in [z.len() / 2, z.len() - 10, 30] {
            let e = NpzArchive::open("t.npz", &z[..cut]).err().unwrap().to_string();
            assert!(e.contains("`(archive)`: is not an npz archive"), "{e}");
        }
    }
}
