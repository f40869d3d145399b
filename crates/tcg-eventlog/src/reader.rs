//! A bounds-checked little-endian cursor over a byte slice. Every read either succeeds within
//! the slice or fails with the absolute offset of the read; nothing here can panic.

use crate::error::{ErrorKind, ParseError};

#[derive(Clone, Debug)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    /// Offset of `buf[0]` within the whole log (for error messages).
    base: usize,
    /// The event being read, for error messages.
    pub event: Option<usize>,
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Reader {
            buf,
            pos: 0,
            base: 0,
            event: None,
        }
    }

    /// A reader over `buf`, which starts at `base` within the whole log.
    pub fn at(buf: &'a [u8], base: usize, event: Option<usize>) -> Self {
        Reader {
            buf,
            pos: 0,
            base,
            event,
        }
    }

    /// Absolute offset of the next byte.
    pub fn offset(&self) -> usize {
        self.base + self.pos
    }

    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    pub fn error(&self, kind: ErrorKind) -> ParseError {
        ParseError {
            offset: self.offset(),
            event: self.event,
            kind,
        }
    }

    /// Takes `n` bytes (`n` may come from the input: it is checked against what remains
    /// before anything is sliced or allocated).
    pub fn take(&mut self, n: u64, what: &'static str) -> Result<&'a [u8], ParseError> {
        let available = self.remaining();
        match usize::try_from(n) {
            Ok(n) if n <= available => {
                let s = &self.buf[self.pos..self.pos + n];
                self.pos += n;
                Ok(s)
            }
            _ => Err(self.error(ErrorKind::Truncated {
                what,
                needed: n,
                available: available as u64,
            })),
        }
    }

    pub fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], ParseError> {
        let s = self.take(N as u64, what)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    pub fn u8(&mut self, what: &'static str) -> Result<u8, ParseError> {
        Ok(self.array::<1>(what)?[0])
    }

    pub fn u16(&mut self, what: &'static str) -> Result<u16, ParseError> {
        Ok(u16::from_le_bytes(self.array(what)?))
    }

    pub fn u32(&mut self, what: &'static str) -> Result<u32, ParseError> {
        Ok(u32::from_le_bytes(self.array(what)?))
    }

    pub fn u64(&mut self, what: &'static str) -> Result<u64, ParseError> {
        Ok(u64::from_le_bytes(self.array(what)?))
    }

    /// Everything left.
    pub fn rest(&mut self) -> &'a [u8] {
        let s = &self.buf[self.pos..];
        self.pos = self.buf.len();
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_little_endian_and_reports_offsets() {
        let data = [1u8, 2, 3, 4, 5, 6, 7];
        let mut r = Reader::new(&data);
        assert_eq!(r.u16("a").unwrap(), 0x0201);
        assert_eq!(r.u32("b").unwrap(), 0x0605_0403);
        let e = r.u16("c").unwrap_err();
        assert_eq!(e.offset, 6);
        assert_eq!(
            e.kind,
            ErrorKind::Truncated {
                what: "c",
                needed: 2,
                available: 1
            }
        );
        // A failed read consumes nothing.
        assert_eq!(r.u8("d").unwrap(), 7);
        assert!(r.is_empty());
    }

    #[test]
    fn huge_lengths_are_refused_without_allocating() {
        let mut r = Reader::new(&[0u8; 4]);
        assert!(r.take(u64::MAX, "x").is_err());
        assert!(r.take(5, "x").is_err());
        assert_eq!(r.take(4, "x").unwrap().len(), 4);
    }
}
