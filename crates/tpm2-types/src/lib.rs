//! TPM 2.0 wire types: constants, response codes and the structures of Part 2, with one
//! marshalling trait ([`Codec`]) over a bounds-checked [`Reader`]. No cryptography here.
#![forbid(unsafe_code)]

pub mod attest;
pub mod buffers;
pub mod capability;
pub mod codec;
pub mod constants;
pub mod credential;
pub mod nv;
pub mod object;
pub mod rc;
pub mod structures;

pub use buffers::*;
pub use codec::{Codec, Reader};
pub use rc::Rc;
pub use structures::*;
