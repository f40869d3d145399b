//! Object structures: arbitrary bytes into the unmarshallers of `TPMT_PUBLIC`,
//! `TPMT_PUBLIC_PARMS`, `TPMT_SENSITIVE`, `TPMS_SENSITIVE_CREATE`, `TPMT_SIGNATURE` and
//! the schemes. Whatever reads must encode back to exactly the bytes it consumed; every
//! failure is a response code, never a panic. (Context blobs reach `TPM2_ContextLoad`
//! through the `execute` target.)
#![no_main]

use libfuzzer_sys::fuzz_target;
use tpm2_types::object::*;
use tpm2_types::{Codec, Rc, Reader};

fn check<T: Codec + std::fmt::Debug>(
    data: &[u8],
    read: impl FnOnce(&mut Reader<'_>) -> Result<T, Rc>,
) {
    let mut r = Reader::new(data);
    if let Ok(v) = read(&mut r) {
        let used = r.position();
        assert_eq!(v.to_bytes(), &data[..used], "{v:?} re-encodes to its bytes");
    }
}

fuzz_target!(|data: &[u8]| {
    check(data, |r| TpmtPublic::read_opt(r, true));
    check(data, |r| TpmtPublic::read_opt(r, false));
    check(data, |r| Tpm2bPublic::read_opt(r, true));
    check(data, PublicParms::read);
    check(data, TpmtSensitive::read);
    check(data, SensitiveCreate::read);
    check(data, Signature::read);
    check(data, Scheme::read);
    check(data, Tpm2bEccPoint::read);
    check(data, CreationData::read);
});
