//! Object commands (Part 3, §12) and TPM2_CreatePrimary (§24.1).

pub mod create;
pub mod load;
