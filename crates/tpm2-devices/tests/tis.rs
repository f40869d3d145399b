//! The FIFO device driven as Linux's tpm_tis_core.c drives it (ACCESS requestUse → poll
//! activeLocality → STS commandReady → FIFO bytes with burstCount/expect polling →
//! tpmGo → poll dataAvail → header then body with burstCount → check dataAvail clear →
//! commandReady → relinquish), with the real engine behind it, and as a misbehaving
//! guest would.

mod common;

use common::*;
use tpm2_devices::tis::*;
use tpm2_devices::TpmBackend;

fn page(l: u8) -> u64 {
    l as u64 * PAGE_SIZE
}

fn r8<B: TpmBackend>(d: &mut Tis<B>, off: u64) -> u8 {
    let mut b = [0u8; 1];
    d.read(off, &mut b);
    b[0]
}

fn r32<B: TpmBackend>(d: &mut Tis<B>, off: u64) -> u32 {
    let mut b = [0u8; 4];
    d.read(off, &mut b);
    u32::from_le_bytes(b)
}

fn w8<B: TpmBackend>(d: &mut Tis<B>, off: u64, v: u8) {
    d.write(off, &[v]);
}

fn wait_sts<B: TpmBackend>(d: &mut Tis<B>, l: u8, mask: u32) -> u32 {
    for _ in 0..100 {
        let s = r32(d, page(l) + STS);
        assert_eq!(s & 0x23, 0, "TPM_STS read-zero bits set");
        if s & mask == mask {
            return s;
        }
    }
    panic!("STS never showed {mask:#x}");
}

fn burst<B: TpmBackend>(d: &mut Tis<B>, l: u8) -> usize {
    ((r32(d, page(l) + STS) >> 8) & 0xFFFF) as usize
}

fn request_locality<B: TpmBackend>(d: &mut Tis<B>, l: u8) {
    w8(d, page(l) + ACCESS, ACCESS_REQUEST_USE);
    let want = ACCESS_REG_VALID | ACCESS_ACTIVE_LOCALITY;
    for _ in 0..100 {
        if r8(d, page(l) + ACCESS) & want == want {
            return;
        }
    }
    panic!("locality {l} not granted");
}

fn release_locality<B: TpmBackend>(d: &mut Tis<B>, l: u8) {
    w8(d, page(l) + ACCESS, ACCESS_ACTIVE_LOCALITY);
}

/// Multi-byte FIFO accesses: 4 bytes at a time at DATA_FIFO (a longer access would run
/// into the registers after it).
fn fifo_write<B: TpmBackend>(d: &mut Tis<B>, l: u8, bytes: &[u8]) {
    for c in bytes.chunks(4) {
        d.write(page(l) + DATA_FIFO, c);
    }
}

fn fifo_read<B: TpmBackend>(d: &mut Tis<B>, l: u8, out: &mut [u8]) {
    for c in out.chunks_mut(4) {
        d.read(page(l) + DATA_FIFO, c);
    }
}

fn ready<B: TpmBackend>(d: &mut Tis<B>, l: u8) {
    w8(d, page(l) + STS, STS_COMMAND_READY as u8);
}

fn send<B: TpmBackend>(d: &mut Tis<B>, l: u8, cmd: &[u8]) {
    let status = r8(d, page(l) + STS) as u32;
    if status & STS_COMMAND_READY == 0 {
        ready(d, l);
        wait_sts(d, l, STS_COMMAND_READY);
    }
    let len = cmd.len();
    let mut count = 0;
    while count < len - 1 {
        let b = burst(d, l);
        assert!(b > 0, "burstCount 0 while sending");
        let n = b.min(len - 1 - count);
        for &byte in &cmd[count..count + n] {
            w8(d, page(l) + DATA_FIFO, byte);
        }
        count += n;
        let s = wait_sts(d, l, STS_VALID);
        assert_ne!(s & STS_EXPECT, 0, "expect cleared early");
    }
    w8(d, page(l) + DATA_FIFO, cmd[len - 1]);
    let s = wait_sts(d, l, STS_VALID);
    assert_eq!(s & STS_EXPECT, 0, "expect still set after the last byte");
    w8(d, page(l) + STS, STS_GO as u8);
}

fn recv_data<B: TpmBackend>(d: &mut Tis<B>, l: u8, buf: &mut [u8]) {
    let mut size = 0;
    while size < buf.len() {
        wait_sts(d, l, STS_DATA_AVAIL | STS_VALID);
        let n = burst(d, l).min(buf.len() - size);
        assert!(n > 0);
        // Byte reads, as tpm_tis_read_bytes does on MMIO.
        for b in &mut buf[size..size + n] {
            *b = r8(d, page(l) + DATA_FIFO);
        }
        size += n;
    }
}

fn recv<B: TpmBackend>(d: &mut Tis<B>, l: u8) -> Vec<u8> {
    wait_sts(d, l, STS_DATA_AVAIL | STS_VALID);
    let mut head = [0u8; 10];
    recv_data(d, l, &mut head);
    let expected = u32::from_be_bytes(head[2..6].try_into().unwrap()) as usize;
    let mut r = vec![0u8; expected];
    r[..10].copy_from_slice(&head);
    recv_data(d, l, &mut r[10..]);
    let s = wait_sts(d, l, STS_VALID);
    assert_eq!(s & STS_DATA_AVAIL, 0, "data left after the response");
    ready(d, l);
    r
}

fn transmit<B: TpmBackend>(d: &mut Tis<B>, l: u8, cmd: &[u8]) -> Vec<u8> {
    request_locality(d, l);
    send(d, l, cmd);
    let r = recv(d, l);
    release_locality(d, l);
    r
}

#[test]
fn probe_registers_as_qemu_shows_them() {
    let mut d = Tis::new(Mock::default());
    assert_eq!(r8(&mut d, ACCESS), 0x81);
    assert_eq!(r32(&mut d, INTF_CAPABILITY), 0x3000_0697);
    assert_eq!(r32(&mut d, INTERFACE_ID), 0x0000_2100);
    assert_eq!(r32(&mut d, DID_VID), 0x0001_1014);
    assert_eq!(r8(&mut d, RID), 0x01);
    assert_eq!(r32(&mut d, INT_ENABLE), 0x08);
    assert_eq!(
        r32(&mut d, STS),
        u32::MAX,
        "STS of a locality that is not active"
    );
    for l in 0..5 {
        assert_eq!(r32(&mut d, page(l) + DID_VID), 0x0001_1014);
    }
    request_locality(&mut d, 0);
    assert_eq!(r8(&mut d, ACCESS), 0xA1);
    ready(&mut d, 0);
    assert_eq!(r32(&mut d, STS), 0x0410_00C4);
}

#[test]
fn a_real_tpm_through_the_registers() {
    let mut d = Tis::new(Engine::new());
    check_session(|c| transmit(&mut d, 0, c), 0);
}

#[test]
fn a_real_tpm_at_locality_2_with_32_bit_xdata_transfers() {
    let mut d = Tis::new(Engine::new());
    let mut twin = Engine::new();
    request_locality(&mut d, 2);
    for c in session() {
        ready(&mut d, 2);
        for chunk in c.chunks(4) {
            d.write(page(2) + XDATA_FIFO, chunk);
        }
        assert_eq!(r32(&mut d, page(2) + STS) & STS_EXPECT, 0);
        w8(&mut d, page(2) + STS, STS_GO as u8);
        let n = burst(&mut d, 2);
        let mut r = vec![0u8; n];
        for chunk in r.chunks_mut(4) {
            d.read(page(2) + XDATA_FIFO + 4, chunk);
        }
        assert_eq!(r, twin.execute(2, &c));
    }
}

#[test]
fn locality_arbitration() {
    let mut d = Tis::new(Mock::default());
    request_locality(&mut d, 0);
    w8(&mut d, page(2) + ACCESS, ACCESS_REQUEST_USE);
    w8(&mut d, page(1) + ACCESS, ACCESS_REQUEST_USE);
    assert_eq!(
        r8(&mut d, ACCESS) & ACCESS_PENDING_REQUEST,
        ACCESS_PENDING_REQUEST
    );
    assert_eq!(
        r8(&mut d, page(2) + ACCESS),
        0x81 | ACCESS_REQUEST_USE | ACCESS_PENDING_REQUEST
    );
    // Locality 1 withdraws; 0 relinquishes: the highest pending (2) gets it.
    w8(&mut d, page(1) + ACCESS, ACCESS_ACTIVE_LOCALITY);
    release_locality(&mut d, 0);
    assert_eq!(r8(&mut d, page(2) + ACCESS), 0xA1);
    assert_eq!(r8(&mut d, page(1) + ACCESS), 0x81);
    // A command in reception at 2, then 3 seizes: 2 is seized, the command dropped.
    ready(&mut d, 2);
    w8(&mut d, page(2) + DATA_FIFO, 0x80);
    w8(&mut d, page(1) + ACCESS, ACCESS_SEIZE);
    assert_eq!(
        r8(&mut d, page(2) + ACCESS),
        0xA1,
        "a lower locality cannot seize"
    );
    w8(&mut d, page(3) + ACCESS, ACCESS_SEIZE);
    assert_eq!(r8(&mut d, page(3) + ACCESS), 0xA1);
    assert_eq!(r8(&mut d, page(2) + ACCESS), 0x81 | ACCESS_BEEN_SEIZED);
    assert_eq!(d.state().phase, TisPhase::Idle);
    w8(&mut d, page(2) + ACCESS, ACCESS_BEEN_SEIZED);
    assert_eq!(r8(&mut d, page(2) + ACCESS), 0x81);
    // Two action bits at once: ignored.
    w8(
        &mut d,
        page(3) + ACCESS,
        ACCESS_ACTIVE_LOCALITY | ACCESS_REQUEST_USE,
    );
    assert_eq!(r8(&mut d, page(3) + ACCESS), 0xA1);
    d.check().unwrap();
}

#[test]
fn state_machine_misuse() {
    let mut d = Tis::new(Mock::default());
    // Nothing works before the locality is granted.
    w8(&mut d, STS, STS_COMMAND_READY as u8);
    w8(&mut d, DATA_FIFO, 0x80);
    assert_eq!(r8(&mut d, DATA_FIFO), 0xFF);
    request_locality(&mut d, 0);
    assert_eq!(d.state().phase, TisPhase::Idle);
    // FIFO writes in Idle are dropped; tpmGo in Idle is ignored.
    w8(&mut d, DATA_FIFO, 0x80);
    w8(&mut d, STS, STS_GO as u8);
    assert_eq!(d.state().phase, TisPhase::Idle);
    // tpmGo with the command incomplete: ignored.
    ready(&mut d, 0);
    let c = get_random(8);
    fifo_write(&mut d, 0, &c[..4]);
    w8(&mut d, STS, STS_GO as u8);
    assert!(d.backend().commands.is_empty());
    assert_ne!(r32(&mut d, STS) & STS_EXPECT, 0);
    // commandReady aborts reception.
    ready(&mut d, 0);
    assert_eq!(d.state().phase, TisPhase::Ready);
    assert!(d.state().command.is_empty());
    // A complete command: bytes after it are dropped.
    send(&mut d, 0, &c);
    assert_eq!(d.backend().commands, vec![(0, c.clone())]);
    let mut r = vec![0u8; 14];
    fifo_read(&mut d, 0, &mut r);
    assert_eq!(r, ok_response(&[0xAB; 4]));
    // Past the response: 0xFF, dataAvail clear; responseRetry reads it again.
    assert_eq!(r8(&mut d, DATA_FIFO), 0xFF);
    assert_eq!(r32(&mut d, STS) & STS_DATA_AVAIL, 0);
    w8(&mut d, STS, STS_RESPONSE_RETRY as u8);
    assert_ne!(r32(&mut d, STS) & STS_DATA_AVAIL, 0);
    let mut again = vec![0u8; 14];
    fifo_read(&mut d, 0, &mut again);
    assert_eq!(again, r);
    // Writes from another locality are dropped, reads of its STS are all ones.
    w8(&mut d, page(1) + STS, STS_COMMAND_READY as u8);
    assert_eq!(r32(&mut d, page(1) + STS), u32::MAX);
    assert_eq!(d.state().phase, TisPhase::Completion);
    // Two STS action bits at once: ignored.
    w8(&mut d, STS, (STS_COMMAND_READY | STS_GO) as u8);
    assert_eq!(d.state().phase, TisPhase::Completion);
    ready(&mut d, 0);
    assert_eq!(d.state().phase, TisPhase::Ready);
    // Offsets past the window, odd sizes, unaligned.
    let mut b = [0u8; 5];
    d.read(WINDOW_SIZE - 2, &mut b);
    assert_eq!(&b[2..], &[0xFF; 3]);
    d.write(WINDOW_SIZE, &[1, 2, 3]);
    d.read(u64::MAX, &mut b);
    assert_eq!(b, [0xFF; 5]);
    let mut three = [0u8; 3];
    d.read(DID_VID + 1, &mut three);
    assert_eq!(three, [0x10, 0x01, 0x00]);
    d.write(INT_VECTOR, &[0xFF, 0xFF]);
    assert_eq!(r8(&mut d, INT_VECTOR), 0x0F);
    d.check().unwrap();
}

#[test]
fn oversized_command_leaves_the_fifo_full_until_aborted() {
    let mut d = Tis::new(Mock::default());
    request_locality(&mut d, 0);
    ready(&mut d, 0);
    let mut big = vec![0u8; 5000];
    big[..10].copy_from_slice(&get_random(8)[..10]);
    big[2..6].copy_from_slice(&5000u32.to_be_bytes());
    fifo_write(&mut d, 0, &big);
    let s = r32(&mut d, STS);
    assert_eq!((s >> 8) & 0xFFFF, 0, "burstCount 0: FIFO full");
    assert_ne!(s & STS_EXPECT, 0);
    assert_eq!(d.state().command.len(), MAX_BUFFER_SIZE);
    w8(&mut d, STS, STS_GO as u8);
    assert!(d.backend().commands.is_empty());
    ready(&mut d, 0);
    assert_eq!(transmit(&mut d, 0, &get_random(8)), ok_response(&[0xAB; 4]));
}

#[test]
fn drtm_at_locality_4_and_reset_establishment() {
    let mut d = Tis::new(Engine::new());
    transmit(&mut d, 0, &startup_clear());
    assert_eq!(r8(&mut d, ACCESS) & ACCESS_NOT_ESTABLISHED, 1);
    d.write(page(4) + HASH_START, &[0]);
    d.write(page(4) + DATA_FIFO, b"measured launch environment");
    d.write(page(4) + HASH_END, &[0]);
    assert_eq!(
        r8(&mut d, ACCESS) & ACCESS_NOT_ESTABLISHED,
        0,
        "established"
    );
    let pcr17 = transmit(&mut d, 0, &pcr_read_sha256(17));
    assert_ne!(pcr_value(&pcr17), vec![0xFF; 32]);
    assert_ne!(pcr_value(&pcr17), vec![0; 32]);
    // resetEstablishment from locality 0: no effect; from 3: cleared.
    request_locality(&mut d, 0);
    d.write(STS + 3, &[(STS_RESET_ESTABLISHMENT >> 24) as u8]);
    release_locality(&mut d, 0);
    assert_eq!(r8(&mut d, ACCESS) & ACCESS_NOT_ESTABLISHED, 0);
    request_locality(&mut d, 3);
    d.write(page(3) + STS, &STS_RESET_ESTABLISHMENT.to_le_bytes());
    assert_eq!(r8(&mut d, ACCESS) & ACCESS_NOT_ESTABLISHED, 1);
}

#[test]
fn qemu_mode_drops_locality_4_writes() {
    let mut d = Tis::with_config(TisConfig::qemu(), Mock::default()).unwrap();
    w8(&mut d, page(4) + ACCESS, ACCESS_REQUEST_USE);
    assert_eq!(r8(&mut d, page(4) + ACCESS), 0x81);
    let mut d = Tis::new(Mock::default());
    request_locality(&mut d, 4);
    assert_eq!(transmit(&mut d, 4, &get_random(2)), ok_response(&[0xAB; 4]));
    assert_eq!(d.backend().commands[0].0, 4);
}

#[test]
fn deferred_execution_cancel_and_interrupts() {
    let cfg = TisConfig {
        deferred: true,
        ..TisConfig::default()
    };
    let mut d = Tis::with_config(cfg, Mock::default()).unwrap();
    request_locality(&mut d, 0);
    d.write(
        INT_ENABLE,
        &(INT_GLOBAL_ENABLE | INT_DATA_AVAIL | INT_TYPE_LOW_LEVEL).to_le_bytes(),
    );
    send(&mut d, 0, &get_random(8));
    assert_eq!(d.state().phase, TisPhase::Execution);
    assert_eq!(
        r32(&mut d, STS) & (STS_DATA_AVAIL | STS_COMMAND_READY | STS_EXPECT),
        0
    );
    d.write(STS, &STS_COMMAND_CANCEL.to_le_bytes());
    assert_eq!(d.backend().cancels, 1);
    assert!(!d.interrupt_pending());
    assert!(d.poll());
    assert!(d.interrupt_pending());
    assert_eq!(r32(&mut d, INT_STATUS) & INT_DATA_AVAIL, INT_DATA_AVAIL);
    d.write(INT_STATUS, &INT_DATA_AVAIL.to_le_bytes());
    assert!(!d.interrupt_pending());
    assert_eq!(recv(&mut d, 0), ok_response(&[0xAB; 4]));
    // commandReady during execution aborts it.
    send(&mut d, 0, &get_random(8));
    ready(&mut d, 0);
    assert!(!d.poll());
    assert_eq!(d.backend().commands.len(), 1);
}

#[test]
fn snapshot_mid_command_round_trips() {
    let mut d = Tis::new(Engine::new());
    let mut twin = Engine::new();
    let c = startup_clear();
    assert_eq!(transmit(&mut d, 0, &c), twin.execute(0, &c));
    let c = create_primary_ecc();
    request_locality(&mut d, 0);
    ready(&mut d, 0);
    fifo_write(&mut d, 0, &c[..20]);
    let bytes = postcard::to_allocvec(&d.state()).unwrap();
    let state: TisState = postcard::from_bytes(&bytes).unwrap();
    assert_eq!(state, d.state());
    let backend = d.into_backend();
    let mut d = Tis::from_state(state, backend).unwrap();
    fifo_write(&mut d, 0, &c[20..]);
    w8(&mut d, STS, STS_GO as u8);
    assert_eq!(recv(&mut d, 0), twin.execute(0, &c));
    // Mid-response too.
    let c = get_random(20);
    send(&mut d, 0, &c);
    let mut part = [0u8; 7];
    fifo_read(&mut d, 0, &mut part);
    let mut d = Tis::from_state(d.state(), d.into_backend()).unwrap();
    let mut rest = vec![0u8; 32 - 7];
    fifo_read(&mut d, 0, &mut rest);
    let mut whole = part.to_vec();
    whole.extend_from_slice(&rest);
    assert_eq!(whole, twin.execute(0, &c));
    // Inconsistent snapshots are refused.
    let mut bad = d.state();
    bad.read_pos = 100;
    assert!(Tis::from_state(bad, Mock::default()).is_err());
    let mut bad = d.state();
    bad.phase = TisPhase::Reception;
    bad.localities.active = None;
    assert!(Tis::from_state(bad, Mock::default()).is_err());
    let mut bad = d.state();
    bad.command = vec![0; 5000];
    assert!(Tis::from_state(bad, Mock::default()).is_err());
}
