//! Binary IMA logs: arbitrary bytes into the parser; parsed entries re-encode to the same
//! bytes, and every consumer (fields, names, template-hash check, replay in each bank and
//! either fill, boot_aggregate) is total.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tcg_eventlog::ima::{self, BankDigest};
use tpm2_types::HashAlg;

fuzz_target!(|data: &[u8]| {
    let Ok(entries) = ima::parse_binary(data) else {
        return;
    };
    assert_eq!(
        ima::encode_binary(&entries),
        data,
        "re-encodes to its bytes"
    );
    for e in &entries {
        let _ = (e.hash_ok(), e.fields(), e.name());
    }
    for alg in [HashAlg::Sha1, HashAlg::Sha256, HashAlg::Sha384] {
        for how in [BankDigest::Hashed, BankDigest::PaddedSha1] {
            let _ = ima::replay(&entries, alg, how);
        }
    }
    let _ = ima::check_boot_aggregate(&entries, |a, _| Some(vec![0; a.digest_size()]));
});
