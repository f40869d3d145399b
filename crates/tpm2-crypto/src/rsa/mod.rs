//! RSA: our own key generation, CRT private operation with blinding, and the paddings.
