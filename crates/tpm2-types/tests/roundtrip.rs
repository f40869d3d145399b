//! Property tests: every structure decodes what it encodes, decoding never reads past its
//! input, and any byte string decodes to a value or a precise error — never a panic.

use proptest::prelude::*;
use tpm2_types::capability::{TpmsAlgProperty, TpmsCapabilityData, TpmsTaggedProperty};
use tpm2_types::nv::{Tpm2bNvPublic, TpmsNvPublic};
use tpm2_types::structures::*;
use tpm2_types::{Codec, HashAlg, Rc, Reader, Tpm2bDigest, Tpm2bMaxBuffer};

fn hash_alg() -> impl Strategy<Value = HashAlg> {
    prop::sample::select(HashAlg::ALL.to_vec())
}

fn bitmap() -> impl Strategy<Value = PcrBitmap> {
    any::<[u8; 3]>().prop_map(PcrBitmap)
}

fn selection() -> impl Strategy<Value = TpmlPcrSelection> {
    prop::collection::vec(
        (hash_alg(), bitmap()).prop_map(|(hash, select)| TpmsPcrSelection { hash, select }),
        0..=HASH_COUNT,
    )
    .prop_map(TpmlPcrSelection)
}

fn digest() -> impl Strategy<Value = Tpm2bDigest> {
    prop::collection::vec(any::<u8>(), 0..=64).prop_map(tpm2_types::Tpm2b)
}

fn tpmt_ha() -> impl Strategy<Value = TpmtHa> {
    hash_alg().prop_flat_map(|hash| {
        prop::collection::vec(any::<u8>(), hash.digest_size())
            .prop_map(move |digest| TpmtHa { hash, digest })
    })
}

fn nv_public() -> impl Strategy<Value = TpmsNvPublic> {
    (
        0x0100_0000u32..=0x01FF_FFFF,
        hash_alg(),
        any::<u32>(),
        digest(),
        0..=tpm2_types::buffers::MAX_NV_INDEX_SIZE as u16,
    )
        .prop_map(
            |(nv_index, name_alg, attributes, auth_policy, data_size)| TpmsNvPublic {
                nv_index,
                name_alg,
                attributes: attributes & !tpm2_types::constants::nv_attr::RESERVED,
                auth_policy,
                data_size,
            },
        )
}

fn round_trip<T: Codec + PartialEq + std::fmt::Debug>(v: &T) {
    let bytes = v.to_bytes();
    assert_eq!(&T::from_bytes(&bytes).unwrap(), v);
    // Every strict prefix is an error, never a panic or a silent success.
    for cut in 0..bytes.len() {
        assert!(T::from_bytes(&bytes[..cut]).is_err());
    }
}

proptest! {
    #[test]
    fn pcr_selection(v in selection()) { round_trip(&v) }

    #[test]
    fn digests(v in prop::collection::vec(digest(), 0..=8)) { round_trip(&TpmlDigest(v)) }

    #[test]
    fn digest_values(v in prop::collection::vec(tpmt_ha(), 0..=HASH_COUNT)) {
        round_trip(&TpmlDigestValues(v))
    }

    #[test]
    fn nv_public_area(v in nv_public()) {
        round_trip(&v);
        round_trip(&Tpm2bNvPublic(v));
    }

    #[test]
    fn clock_info(clock: u64, reset_count: u32, restart_count: u32, safe: bool, time: u64) {
        round_trip(&TpmsTimeInfo { time, clock_info: TpmsClockInfo { clock, reset_count, restart_count, safe } })
    }

    #[test]
    fn tickets(tag: u16, hierarchy: u32, d in digest()) {
        round_trip(&TpmtTicket { tag, hierarchy, digest: d })
    }

    #[test]
    fn capability_data(props in prop::collection::vec((any::<u32>(), any::<u32>()), 0..50),
                       algs in prop::collection::vec((any::<u16>(), any::<u32>()), 0..50)) {
        round_trip(&TpmsCapabilityData::TpmProperties(
            props.iter().map(|&(property, value)| TpmsTaggedProperty { property, value }).collect()));
        round_trip(&TpmsCapabilityData::Algorithms(
            algs.iter().map(|&(alg, attributes)| TpmsAlgProperty { alg, attributes }).collect()));
    }

    /// Arbitrary bytes: a value or an error, and the reader never overruns.
    #[test]
    fn arbitrary_bytes_never_panic(b in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = TpmlPcrSelection::from_bytes(&b);
        let _ = TpmlDigestValues::from_bytes(&b);
        let _ = Tpm2bNvPublic::from_bytes(&b);
        let _ = TpmsCapabilityData::from_bytes(&b);
        let _ = TpmsAuthCommand::from_bytes(&b);
        let mut r = Reader::new(&b);
        let _ = Tpm2bMaxBuffer::read(&mut r);
        prop_assert!(r.position() <= b.len());
    }
}

#[test]
fn spec_checks_name_the_failure() {
    // sizeofSelect must be PCR_SELECT_MIN..=PCR_SELECT_MAX (3 on a PC Client TPM).
    let bad = [0, 0, 0, 1, 0, 0x0b, 4, 0, 0, 0, 0];
    assert_eq!(TpmlPcrSelection::from_bytes(&bad), Err(Rc::VALUE));
    // More selections than hashes.
    assert_eq!(TpmlPcrSelection::from_bytes(&[0, 0, 0, 5]), Err(Rc::SIZE));
    // Unknown hash in a selection.
    assert_eq!(
        TpmlPcrSelection::from_bytes(&[0, 0, 0, 1, 0, 0x12, 3, 0, 0, 0]),
        Err(Rc::HASH)
    );
    // Reserved TPMA_NV bits.
    let mut nv = TpmsNvPublic {
        nv_index: 0x0100_0000,
        name_alg: HashAlg::Sha256,
        attributes: 0,
        auth_policy: Tpm2bDigest::empty(),
        data_size: 4,
    }
    .to_bytes();
    nv[6..10].copy_from_slice(&0x0010_0000u32.to_be_bytes());
    assert_eq!(TpmsNvPublic::from_bytes(&nv), Err(Rc::RESERVED_BITS));
    // An empty TPM2B_NV_PUBLIC.
    assert_eq!(Tpm2bNvPublic::from_bytes(&[0, 0]), Err(Rc::SIZE));
}
