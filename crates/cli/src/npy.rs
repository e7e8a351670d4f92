//! A reader for the 2-D float arrays `numpy.save` writes (`.npy` format versions 1 to 3), enough
//! to import item factors from implicit, Spark exports and the like.
//!
//! The header is a Python dict literal such as
//! `{'descr': '<f4', 'fortran_order': False, 'shape': (1682, 64), }`. Only little-endian f4 and
//! f8 are accepted, and the shape is checked against the bytes actually present before anything
//! is allocated.

use ndarray::{Array2, ShapeBuilder};

const MAGIC: &[u8] = b"\x93NUMPY";

/// Parses a `.npy` file holding an `n x k` matrix of little-endian f32 or f64.
pub fn parse(bytes: &[u8]) -> Result<Array2<f32>, String> {
    if !bytes.starts_with(MAGIC) {
        return Err("not a .npy file (no \\x93NUMPY signature at the start)".into());
    }
    let version = bytes.get(6..8).ok_or("the .npy preamble is truncated")?;
    let (len_bytes, header_start): (usize, usize) = match version[0] {
        1 => (2, 10),
        2 | 3 => (4, 12),
        v => {
            return Err(format!(
                ".npy format version {v}.{} is not supported; save with numpy.save",
                version[1]
            ))
        }
    };
    let len_field = bytes
        .get(8..8 + len_bytes)
        .ok_or("the .npy preamble is truncated")?;
    let header_len = len_field
        .iter()
        .rev()
        .fold(0usize, |acc, &b| (acc << 8) | b as usize);
    let header = header_start
        .checked_add(header_len)
        .and_then(|end| bytes.get(header_start..end))
        .ok_or("the .npy header runs past the end of the file")?;
    let header =
        std::str::from_utf8(header).map_err(|_| "the .npy header is not text".to_owned())?;
    let header = Header::parse(header)?;

    let data = &bytes[header_start + header_len..];
    let (n, k) = header.shape;
    let width = match header.descr.as_str() {
        "<f4" => 4,
        "<f8" => 8,
        d => {
            return Err(format!(
                "the array's dtype is {d:?}; only little-endian float32 ('<f4') and float64 \
                 ('<f8') are supported, convert with .astype('<f4')"
            ))
        }
    };
    let expected = n.checked_mul(k).and_then(|c| c.checked_mul(width));
    if expected != Some(data.len()) {
        return Err(format!(
            "the header describes a {n} x {k} {} array but {} data bytes follow; the file is \
             truncated or corrupt",
            header.descr,
            data.len()
        ));
    }
    let values: Vec<f32> = if width == 4 {
        data.chunks_exact(4)
            .map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes")))
            .collect()
    } else {
        data.chunks_exact(8)
            .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")) as f32)
            .collect()
    };
    let shape = (n, k).set_f(header.fortran_order);
    let matrix = Array2::from_shape_vec(shape, values).expect("length checked above");
    if let Some(((row, col), v)) = matrix.indexed_iter().find(|(_, v)| !v.is_finite()) {
        return Err(format!(
            "row {row} column {col} is {v}; every factor must be finite (in float32 range)"
        ));
    }
    Ok(matrix)
}

#[derive(Debug, PartialEq)]
struct Header {
    descr: String,
    fortran_order: bool,
    shape: (usize, usize),
}

/// One value of the header dict.
#[derive(Debug, PartialEq)]
enum Literal {
    Str(String),
    Bool(bool),
    Tuple(Vec<usize>),
}

impl Header {
    fn parse(text: &str) -> Result<Header, String> {
        let bad = |what: &str| format!("the .npy header is not valid: {what} in {:?}", text.trim());
        let mut p = Parser {
            rest: text.trim_end(),
        };
        let (mut descr, mut fortran_order, mut shape) = (None, None, None);
        p.expect('{').ok_or_else(|| bad("no opening brace"))?;
        while !p.eat('}') {
            let key = match p.literal() {
                Some(Literal::Str(key)) => key,
                _ => return Err(bad("expected a quoted key")),
            };
            p.expect(':').ok_or_else(|| bad("expected ':'"))?;
            let value = p.literal().ok_or_else(|| bad("unreadable value"))?;
            match (key.as_str(), value) {
                ("descr", Literal::Str(s)) => descr = Some(s),
                ("fortran_order", Literal::Bool(b)) => fortran_order = Some(b),
                ("shape", Literal::Tuple(t)) => shape = Some(t),
                (k, _) => return Err(bad(&format!("unexpected entry {k:?}"))),
            }
            if !p.eat(',') {
                p.expect('}').ok_or_else(|| bad("expected ',' or '}'"))?;
                break;
            }
        }
        if !p.rest.trim().is_empty() {
            return Err(bad("text after the closing brace"));
        }
        let shape = match shape.ok_or_else(|| bad("no 'shape'"))?[..] {
            [n, k] if n > 0 && k > 0 => (n, k),
            ref s => {
                return Err(format!(
                    "the array's shape is {s:?}; expected a non-empty 2-D (items, factors) matrix"
                ))
            }
        };
        Ok(Header {
            descr: descr.ok_or_else(|| bad("no 'descr'"))?,
            fortran_order: fortran_order.ok_or_else(|| bad("no 'fortran_order'"))?,
            shape,
        })
    }
}

/// Just enough of Python literal syntax for a `.npy` header.
struct Parser<'a> {
    rest: &'a str,
}

impl Parser<'_> {
    fn skip_space(&mut self) {
        self.rest = self.rest.trim_start();
    }

    fn eat(&mut self, c: char) -> bool {
        self.skip_space();
        match self.rest.strip_prefix(c) {
            Some(rest) => {
                self.rest = rest;
                true
            }
            None => false,
        }
    }

    fn expect(&mut self, c: char) -> Option<()> {
        self.eat(c).then_some(())
    }

    fn literal(&mut self) -> Option<Literal> {
        self.skip_space();
        if let Some(quote) = self.rest.chars().next().filter(|c| *c == '\'' || *c == '"') {
            let body = &self.rest[1..];
            let end = body.find(quote)?;
            self.rest = &body[end + 1..];
            return Some(Literal::Str(body[..end].to_owned()));
        }
        for (word, b) in [("True", true), ("False", false)] {
            if let Some(rest) = self.rest.strip_prefix(word) {
                self.rest = rest;
                return Some(Literal::Bool(b));
            }
        }
        if self.eat('(') {
            let mut dims = Vec::new();
            while !self.eat(')') {
                self.skip_space();
                let digits = self.rest.len()
                    - self
                        .rest
                        .trim_start_matches(|c: char| c.is_ascii_digit())
                        .len();
                dims.push(self.rest[..digits].parse().ok()?);
                self.rest = &self.rest[digits..];
                if !self.eat(',') {
                    self.expect(')')?;
                    break;
                }
            }
            return Some(Literal::Tuple(dims));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `.npy` file as numpy writes it: header padded with spaces to a multiple of 64 bytes.
    fn npy(version: u8, header: &str, data: &[u8]) -> Vec<u8> {
        let len_bytes = if version == 1 { 2 } else { 4 };
        let mut h = header.to_owned();
        while !(6 + 2 + len_bytes + h.len() + 1).is_multiple_of(64) {
            h.push(' ');
        }
        h.push('\n');
        let mut out = MAGIC.to_vec();
        out.extend_from_slice(&[version, 0]);
        if version == 1 {
            out.extend_from_slice(&(h.len() as u16).to_le_bytes());
        } else {
            out.extend_from_slice(&(h.len() as u32).to_le_bytes());
        }
        out.extend_from_slice(h.as_bytes());
        out.extend_from_slice(data);
        out
    }

    fn f32s(v: &[f32]) -> Vec<u8> {
        v.iter().flat_map(|x| x.to_le_bytes()).collect()
    }

    #[test]
    fn reads_f4_and_f8_in_c_and_fortran_order() {
        let values = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let c = npy(
            1,
            "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
            &f32s(&values),
        );
        let m = parse(&c).unwrap();
        assert_eq!(m, ndarray::array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]);

        // The same matrix stored column by column, as f64, in a version 2 file.
        let cols: Vec<u8> = [1.0f64, 4.0, 2.0, 5.0, 3.0, 6.0]
            .iter()
            .flat_map(|x| x.to_le_bytes())
            .collect();
        let f = npy(
            2,
            "{\"descr\": \"<f8\", \"fortran_order\": True, \"shape\": (2,3)}",
            &cols,
        );
        assert_eq!(parse(&f).unwrap(), m);
    }

    #[test]
    fn rejects_what_it_cannot_read() {
        let data = f32s(&[1.0; 6]);
        let cases = [
            (
                "{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }",
                "dtype is \">f4\"",
            ),
            (
                "{'descr': '<i8', 'fortran_order': False, 'shape': (2, 3), }",
                "dtype is \"<i8\"",
            ),
            (
                "{'descr': '<f4', 'fortran_order': False, 'shape': (6,), }",
                "shape is [6]",
            ),
            (
                "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 4), }",
                "2 x 4 <f4 array but 24",
            ),
            (
                "{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4), }",
                "but 24",
            ),
            ("{'descr': '<f4', 'shape': (2, 3), }", "no 'fortran_order'"),
            (
                "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'x': 1}",
                "unreadable value",
            ),
            ("['descr']", "no opening brace"),
        ];
        for (header, message) in cases {
            let e = parse(&npy(1, header, &data)).unwrap_err();
            assert!(e.contains(message), "{header}: {e}");
        }
        assert!(parse(b"PK\x03\x04")
            .unwrap_err()
            .contains("not a .npy file"));
        let mut short = npy(
            1,
            "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
            &[],
        );
        short.truncate(12);
        assert!(parse(&short).unwrap_err().contains("runs past the end"));
        let nan = npy(
            1,
            "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2), }",
            &f32s(&[1.0, f32::NAN]),
        );
        assert_eq!(
            parse(&nan).unwrap_err(),
            "row 0 column 1 is NaN; every factor must be finite (in float32 range)"
        );
    }
}
