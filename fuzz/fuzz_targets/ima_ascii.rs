//! ASCII IMA logs: arbitrary text into the parser; the template data rebuilt from the
//! fields survives the binary form unchanged, and every consumer is total, as is printing
//! the entries back as text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tcg_eventlog::ima::{self, BankDigest};
use tpm2_types::HashAlg;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(entries) = ima::parse_ascii(text) else {
        return;
    };
    let bin = ima::encode_binary(&entries);
    let back = ima::parse_binary(&bin).expect("the binary form of parsed entries parses");
    assert_eq!(back.len(), entries.len());
    for (a, b) in entries.iter().zip(&back) {
        assert_eq!(
            (a.pcr, &a.template_hash, &a.template, &a.data),
            (b.pcr, &b.template_hash, &b.template, &b.data)
        );
        let _ = (a.hash_ok(), a.fields(), a.name());
    }
    let _ = ima::encode_ascii(&entries);
    for how in [BankDigest::Hashed, BankDigest::PaddedSha1] {
        let _ = ima::replay(&entries, HashAlg::Sha256, how);
    }
    let _ = ima::check_boot_aggregate(&entries, |a, _| Some(vec![0; a.digest_size()]));
});
