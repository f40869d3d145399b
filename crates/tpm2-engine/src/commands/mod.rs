//! Command handlers, one module per Part 3 family. A handler reads its parameters (all of
//! them, then `end()`), validates, acts, and writes its response parameters.

pub mod asymmetric;
pub mod attestation;
pub mod capability;
pub mod clock;
pub mod context;
pub mod credential;
pub mod dictionary;
pub mod duplication;
pub mod hash;
pub mod hierarchy;
pub mod nv;
pub mod nv_limits;
pub mod object;
pub mod pcr;
pub mod policy;
pub mod random;
pub mod secret;
pub mod session;
pub mod signature;
pub mod startup;
pub mod symmetric;
pub mod testing;
