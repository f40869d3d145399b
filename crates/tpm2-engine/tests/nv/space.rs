//! NV memory accounting and TPM_RC_NV_SPACE.

use super::*;

#[test]
fn nv_space_exhaustion() {
    // Capacities as swtpm has them: 68 indices of 2048 bytes, then exactly 1900 more
    // bytes, while room stays reserved for 8 counters (and 7 persistent objects).
    let mut tpm = started();
    assert_eq!(property(&mut tpm, pt::HR_PERSISTENT_AVAIL), 65);
    assert_eq!(property(&mut tpm, pt::NV_COUNTERS_AVAIL), 25);
    for k in 0..68 {
        assert_eq!(
            define(&mut tpm, 0x0100_0000 + k, OW, 2048),
            Rc::SUCCESS,
            "index {k}"
        );
    }
    assert_eq!(define(&mut tpm, 0x0100_1000, OW, 2048), Rc::NV_SPACE);
    assert_eq!(define(&mut tpm, 0x0100_1000, OW, 1901), Rc::NV_SPACE);
    assert_eq!(define(&mut tpm, 0x0100_1000, OW, 1900), Rc::SUCCESS);
    assert_eq!(property(&mut tpm, pt::HR_PERSISTENT_AVAIL), 7);
    assert_eq!(property(&mut tpm, pt::NV_COUNTERS_AVAIL), 8);
    assert_eq!(define(&mut tpm, 0x0100_1001, OW, 0), Rc::NV_SPACE);
    assert_eq!(
        define(&mut tpm, 0x0100_1001, OW | ty(nt::BITS), 8),
        Rc::NV_SPACE
    );
    for k in 0..8 {
        let h = 0x0120_0000 + k;
        assert_eq!(
            define(&mut tpm, h, OW | ty(nt::COUNTER), 8),
            Rc::SUCCESS,
            "counter {k}"
        );
    }
    assert_eq!(
        define(&mut tpm, 0x0120_0008, OW | ty(nt::COUNTER), 8),
        Rc::NV_SPACE
    );
    // What is left is the persistent objects' reserve (the values swtpm reports).
    assert_eq!(property(&mut tpm, pt::NV_COUNTERS), 8);
    assert_eq!(property(&mut tpm, pt::NV_COUNTERS_AVAIL), 0);
    assert_eq!(property(&mut tpm, pt::HR_PERSISTENT_AVAIL), 7);
    // Deleting gives the space back.
    assert_eq!(undefine(&mut tpm, OWNER, 0x0100_0000), Rc::SUCCESS);
    assert_eq!(property(&mut tpm, pt::NV_COUNTERS_AVAIL), 13);
    assert_eq!(define(&mut tpm, 0x0100_1001, OW, 2048), Rc::SUCCESS);
    assert_eq!(property(&mut tpm, pt::NV_COUNTERS_AVAIL), 0);
}

#[test]
fn orderly_ram_exhaustion() {
    // Orderly index data lives in a 512-byte RAM area, 12 bytes of header each.
    let mut tpm = started();
    for k in 0..42 {
        assert_eq!(
            define(&mut tpm, 0x0130_0000 + k, OW | a::ORDERLY, 0),
            Rc::SUCCESS,
            "{k}"
        );
    }
    assert_eq!(
        define(&mut tpm, 0x0130_0100, OW | a::ORDERLY, 0),
        Rc::NV_SPACE
    );
    // Each still takes an index header of NV.
    assert_eq!(property(&mut tpm, pt::HR_PERSISTENT_AVAIL), 62);
    assert_eq!(
        property(&mut tpm, pt::NV_COUNTERS_AVAIL),
        0,
        "no RAM for orderly counters"
    );
    assert_eq!(
        define(&mut tpm, 0x0130_0100, OW, 2048),
        Rc::SUCCESS,
        "ordinary NV is free"
    );
    for k in 0..42 {
        assert_eq!(undefine(&mut tpm, OWNER, 0x0130_0000 + k), Rc::SUCCESS);
    }
    assert_eq!(
        define(&mut tpm, 0x0130_0200, OW | a::ORDERLY, 500),
        Rc::SUCCESS
    );
    assert_eq!(
        define(&mut tpm, 0x0130_0201, OW | a::ORDERLY, 0),
        Rc::NV_SPACE
    );
    assert_eq!(
        define(&mut tpm, 0x0130_0201, OW | a::ORDERLY | ty(nt::COUNTER), 8),
        Rc::NV_SPACE
    );
}
