//! ECC over the NIST curves: key generation, ECDSA, ECSchnorr, ECDH.
