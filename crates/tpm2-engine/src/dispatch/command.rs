//! What a command handler sees: its handles, a numbering parameter reader, and the place
//! its response parameters go.

use tpm2_types::{Codec, Rc, Reader};

/// Parameters of one command. Each `read` counts one parameter, so an unmarshalling error
/// carries the parameter's number (`TPM_RC_P + n`), as the spec's dispatcher does.
pub struct Params<'a> {
    r: Reader<'a>,
    n: usize,
}

impl<'a> Params<'a> {
    pub fn new(b: &'a [u8]) -> Self {
        Params {
            r: Reader::new(b),
            n: 0,
        }
    }

    /// Reads the next parameter.
    pub fn read<T: Codec>(&mut self) -> Result<T, Rc> {
        self.n += 1;
        let n = self.n;
        T::read(&mut self.r).map_err(|e| e.param(n))
    }

    /// Reads the next parameter with a custom unmarshaller (for `TPMI_` types with
    /// command-specific value checks).
    pub fn read_with<T>(
        &mut self,
        f: impl FnOnce(&mut Reader<'a>) -> Result<T, Rc>,
    ) -> Result<T, Rc> {
        self.n += 1;
        let n = self.n;
        f(&mut self.r).map_err(|e| e.param(n))
    }

    /// All parameters were read: bytes left over are `TPM_RC_SIZE` (no parameter number).
    pub fn end(&self) -> Result<(), Rc> {
        if self.r.is_empty() {
            Ok(())
        } else {
            Err(Rc::SIZE)
        }
    }

    /// The raw bytes of the parameter area (for cpHash, later).
    pub fn remaining(&self) -> usize {
        self.r.left()
    }
}

/// At most three handles per command (Part 1, §18.2).
pub const MAX_HANDLES: usize = 3;

/// A command in flight.
pub struct Command<'a> {
    pub cc: u32,
    pub locality: u8,
    /// The command's handles, in order.
    pub(crate) handles: [u32; MAX_HANDLES],
    pub params: Params<'a>,
    /// The handle the response carries (commands with `rHandle`).
    pub out_handle: Option<u32>,
    /// The response being built: the dispatcher reserved its header; handlers append their
    /// response parameters.
    pub(crate) out: Vec<u8>,
}

impl Command<'_> {
    /// Handle `i` (0-based) of the command; the dispatcher guarantees the count.
    pub fn handle(&self, i: usize) -> u32 {
        self.handles.get(i).copied().unwrap_or(0)
    }

    /// Appends a response parameter.
    pub fn put<T: Codec>(&mut self, v: &T) {
        v.encode(&mut self.out);
    }
}
