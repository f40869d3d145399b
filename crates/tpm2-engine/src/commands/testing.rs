//! TPM2_SelfTest, TPM2_IncrementalSelfTest, TPM2_GetTestResult (Part 3, §10).

use crate::dispatch::Command;
use crate::Tpm;
use tpm2_crypto::{digest, hmac, kdf::kdfa, CtrDrbg};
use tpm2_types::codec::{encode_list, read_list};
use tpm2_types::structures::read_yes_no;
use tpm2_types::{HashAlg, Rc, Tpm2bMaxBuffer};

/// `MAX_ALG_LIST_SIZE`.
const MAX_ALG_LIST_SIZE: usize = 64;

/// Known-answer tests of every algorithm the engine uses.
fn known_answers() -> Result<(), String> {
    let kat = |alg: HashAlg, want: &str| {
        let got: String = digest(alg, &[b"abc"])
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        if got.starts_with(want) {
            Ok(())
        } else {
            Err(format!("{alg:?} known-answer test failed"))
        }
    };
    kat(HashAlg::Sha1, "a9993e364706816aba3e25717850c26c9cd0d89d")?;
    kat(
        HashAlg::Sha256,
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    )?;
    kat(
        HashAlg::Sha384,
        "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed",
    )?;
    kat(
        HashAlg::Sha512,
        "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a",
    )?;
    // RFC 4231 case 2.
    let m = hmac(HashAlg::Sha256, b"Jefe", &[b"what do ya want for nothing?"]);
    if m.first() != Some(&0x5b) || m.last() != Some(&0x43) {
        return Err("HMAC known-answer test failed".into());
    }
    if kdfa(HashAlg::Sha256, b"k", b"L", b"", b"", 256).len() != 32 {
        return Err("KDFa self-test failed".into());
    }
    // AES-128-CFB: NIST SP 800-38A F.3.13, first block.
    let mut blk = [
        0x6b, 0xc1, 0xbe, 0xe2, 0x2e, 0x40, 0x9f, 0x96, 0xe9, 0x3d, 0x7e, 0x11, 0x73, 0x93, 0x17,
        0x2a,
    ];
    let key = [
        0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6, 0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f,
        0x3c,
    ];
    let iv: [u8; 16] = std::array::from_fn(|i| i as u8);
    tpm2_crypto::sym::aes_cfb(&key, &iv, &mut blk, true);
    if blk[..4] != [0x3b, 0x3f, 0xd9, 0x2e] || blk[15] != 0x4a {
        return Err("AES-CFB known-answer test failed".into());
    }
    let mut a = CtrDrbg::new(&[7; 48]);
    let mut b = CtrDrbg::new(&[7; 48]);
    let (mut x, mut y) = ([0u8; 32], [0u8; 32]);
    a.generate(&mut x);
    b.generate(&mut y);
    if x != y || x == [0; 32] {
        return Err("DRBG self-test failed".into());
    }
    Ok(())
}

impl Tpm {
    /// Runs the self-test; a failure puts the TPM in failure mode.
    fn run_self_test(&mut self) -> Result<(), Rc> {
        match known_answers() {
            Ok(()) => {
                self.vol.self_tested = true;
                Ok(())
            }
            Err(why) => {
                self.enter_failure(why);
                Err(Rc::FAILURE)
            }
        }
    }
}

pub fn self_test(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    let _full_test = c.params.read_with(read_yes_no)?;
    c.params.end()?;
    tpm.run_self_test()
}

pub fn incremental_self_test(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    let to_test: Vec<u16> = c.params.read_with(|r| read_list(r, MAX_ALG_LIST_SIZE))?;
    c.params.end()?;
    // Every listed algorithm must be implemented (Part 3, §10.3: TPM_RC_VALUE).
    let implemented = crate::commands::capability::algorithms();
    if !to_test
        .iter()
        .all(|a| implemented.iter().any(|p| p.alg == *a))
    {
        return Err(Rc::VALUE.param(1));
    }
    // All algorithms are tested together; nothing is left to do afterwards.
    tpm.run_self_test()?;
    encode_list::<u16>(&mut c.out, &[]);
    Ok(())
}

pub fn get_test_result(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    c.params.end()?;
    let (data, rc) = match &tpm.rt.failure {
        Some(why) => {
            let mut b = why.as_bytes().to_vec();
            b.truncate(Tpm2bMaxBuffer::MAX);
            (b, Rc::FAILURE)
        }
        None => (Vec::new(), Rc::SUCCESS),
    };
    c.put(&Tpm2bMaxBuffer::from(data));
    c.put(&rc.0);
    Ok(())
}

/// TPM2_TestParms (Part 3, §10.3): whether a set of algorithm parameters is supported.
/// Unmarshalling `TPMT_PUBLIC_PARMS` checks every selector against what is implemented,
/// so a parameter set that reads is one this TPM can use.
pub fn test_parms(_tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    let _parms: tpm2_types::object::PublicParms = c.params.read()?;
    c.params.end()
}
