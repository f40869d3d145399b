//! Marshalling: one trait, one bounds-checked reader.
//!
//! Every TPM structure implements [`Codec`]: `encode` appends the big-endian wire form to a
//! `Vec`, `read` consumes it from a [`Reader`] and fails with a format-one base response code
//! (`TPM_RC_INSUFFICIENT`, `TPM_RC_SIZE`, `TPM_RC_VALUE`, ...). The caller that knows which
//! parameter was being read adds the parameter number (see [`crate::rc::Rc::param`]).
//! A `TPM2B_` structure is read through a sub-reader, so a lying inner size can never
//! read past its own bytes.

use crate::rc::Rc;

/// A cursor over borrowed bytes that never reads past its end.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    /// Takes the next `n` bytes, or `TPM_RC_INSUFFICIENT` if fewer remain.
    #[inline]
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], Rc> {
        if self.left() < n {
            return Err(Rc::INSUFFICIENT);
        }
        let out = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    /// A reader over the next `n` bytes; this reader moves past them.
    #[inline]
    pub fn sub(&mut self, n: usize) -> Result<Reader<'a>, Rc> {
        Ok(Reader::new(self.take(n)?))
    }

    pub fn rest(&mut self) -> &'a [u8] {
        let out = &self.buf[self.pos..];
        self.pos = self.buf.len();
        out
    }

    #[inline]
    pub fn left(&self) -> usize {
        self.buf.len() - self.pos
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.left() == 0
    }

    #[inline]
    pub fn position(&self) -> usize {
        self.pos
    }

    #[inline]
    pub fn u8(&mut self) -> Result<u8, Rc> {
        Ok(self.take(1)?[0])
    }

    #[inline]
    pub fn u16(&mut self) -> Result<u16, Rc> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    #[inline]
    pub fn u32(&mut self) -> Result<u32, Rc> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    #[inline]
    pub fn u64(&mut self) -> Result<u64, Rc> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_be_bytes(a))
    }
}

/// A TPM wire structure.
pub trait Codec: Sized {
    fn encode(&self, out: &mut Vec<u8>);
    fn read(r: &mut Reader<'_>) -> Result<Self, Rc>;

    fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::new();
        self.encode(&mut v);
        v
    }

    /// Decodes a whole buffer; trailing bytes are `TPM_RC_SIZE`.
    fn from_bytes(b: &[u8]) -> Result<Self, Rc> {
        let mut r = Reader::new(b);
        let v = Self::read(&mut r)?;
        if !r.is_empty() {
            return Err(Rc::SIZE);
        }
        Ok(v)
    }
}

impl Codec for u8 {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(*self);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, Rc> {
        r.u8()
    }
}

impl Codec for u16 {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_be_bytes());
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, Rc> {
        r.u16()
    }
}

impl Codec for u32 {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_be_bytes());
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, Rc> {
        r.u32()
    }
}

impl Codec for u64 {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_be_bytes());
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, Rc> {
        r.u64()
    }
}

/// Writes a `u16` size prefix, then whatever `body` appends, in one pass: the prefix is
/// patched once the body is known.
pub fn encode_sized16(out: &mut Vec<u8>, body: impl FnOnce(&mut Vec<u8>)) {
    let at = out.len();
    out.extend_from_slice(&[0, 0]);
    body(out);
    let n = (out.len() - at - 2) as u16;
    out[at..at + 2].copy_from_slice(&n.to_be_bytes());
}

/// Same as [`encode_sized16`] with a `u32` prefix (response `parameterSize`).
pub fn encode_sized32(out: &mut Vec<u8>, body: impl FnOnce(&mut Vec<u8>)) {
    let at = out.len();
    out.extend_from_slice(&[0, 0, 0, 0]);
    body(out);
    let n = (out.len() - at - 4) as u32;
    out[at..at + 4].copy_from_slice(&n.to_be_bytes());
}

/// Reads a list count and checks it against the list's maximum (`TPM_RC_SIZE` otherwise,
/// as Part 2 specifies for every `TPML_`).
pub fn read_count(r: &mut Reader<'_>, max: usize) -> Result<usize, Rc> {
    let n = r.u32()? as usize;
    if n > max {
        return Err(Rc::SIZE);
    }
    Ok(n)
}

/// Encodes a `TPML_` of plain elements.
pub fn encode_list<T: Codec>(out: &mut Vec<u8>, items: &[T]) {
    (items.len() as u32).encode(out);
    for i in items {
        i.encode(out);
    }
}

/// Reads a `TPML_` of plain elements with at most `max` entries.
pub fn read_list<T: Codec>(r: &mut Reader<'_>, max: usize) -> Result<Vec<T>, Rc> {
    let n = read_count(r, max)?;
    let mut v = Vec::with_capacity(n);
    for _ in 0..n {
        v.push(T::read(r)?);
    }
    Ok(v)
}
