//! The CRB device driven as Linux's tpm_crb.c drives it (request locality → cmdReady →
//! buffer write → START → poll START → CTRL_STS → response read → goIdle → relinquish),
//! with the real engine behind it, and as a misbehaving guest would.

mod common;

use common::*;
use tpm2_devices::crb::*;
use tpm2_devices::{TpmBackend, TPM_RC_COMMAND_SIZE};

fn r32<B: TpmBackend>(d: &mut Crb<B>, off: u64) -> u32 {
    let mut b = [0u8; 4];
    d.read(off, &mut b);
    u32::from_le_bytes(b)
}

fn r64<B: TpmBackend>(d: &mut Crb<B>, off: u64) -> u64 {
    let mut b = [0u8; 8];
    d.read(off, &mut b);
    u64::from_le_bytes(b)
}

fn w32<B: TpmBackend>(d: &mut Crb<B>, off: u64, v: u32) {
    d.write(off, &v.to_le_bytes());
}

/// Polls a register until `(reg & mask) == want`, as crb_wait_for_reg_32 does.
fn wait<B: TpmBackend>(d: &mut Crb<B>, off: u64, mask: u32, want: u32) {
    for _ in 0..100 {
        if r32(d, off) & mask == want {
            return;
        }
    }
    panic!("register {off:#x} never reached {want:#x} under {mask:#x}");
}

fn request_locality<B: TpmBackend>(d: &mut Crb<B>, l: u8) {
    let p = l as u64 * PAGE_SIZE;
    w32(d, p + LOC_CTRL, LOC_CTRL_REQUEST_ACCESS);
    let v = LOC_STATE_LOC_ASSIGNED | LOC_STATE_REG_VALID;
    wait(d, p + LOC_STATE, v, v);
    assert_eq!(r32(d, p + LOC_STS) & LOC_STS_GRANTED, LOC_STS_GRANTED);
}

fn relinquish<B: TpmBackend>(d: &mut Crb<B>, l: u8) {
    let p = l as u64 * PAGE_SIZE;
    w32(d, p + LOC_CTRL, LOC_CTRL_RELINQUISH);
    // Linux waits for locAssigned to clear; with another locality pending that one is
    // granted at once, so wait for this locality's grant to go.
    wait(d, p + LOC_STS, LOC_STS_GRANTED, 0);
}

fn cmd_ready<B: TpmBackend>(d: &mut Crb<B>, p: u64) {
    w32(d, p + CTRL_REQ, CTRL_REQ_CMD_READY);
    wait(d, p + CTRL_REQ, CTRL_REQ_CMD_READY, 0);
    assert_eq!(r32(d, p + CTRL_STS) & CTRL_STS_TPM_IDLE, 0);
}

fn go_idle<B: TpmBackend>(d: &mut Crb<B>, p: u64) {
    w32(d, p + CTRL_REQ, CTRL_REQ_GO_IDLE);
    wait(d, p + CTRL_REQ, CTRL_REQ_GO_IDLE, 0);
    assert_eq!(r32(d, p + CTRL_STS) & CTRL_STS_TPM_IDLE, CTRL_STS_TPM_IDLE);
}

/// memcpy_toio of the command in 8-byte then byte pieces.
fn write_buffer<B: TpmBackend>(d: &mut Crb<B>, p: u64, cmd: &[u8]) {
    let mut chunks = cmd.chunks_exact(8);
    let mut off = p + DATA_BUFFER;
    for c in &mut chunks {
        d.write(off, c);
        off += 8;
    }
    for &b in chunks.remainder() {
        d.write(off, &[b]);
        off += 1;
    }
}

fn send_recv<B: TpmBackend>(d: &mut Crb<B>, l: u8, cmd: &[u8]) -> Vec<u8> {
    let p = l as u64 * PAGE_SIZE;
    let cmd_size = r32(d, p + CMD_SIZE) as usize;
    assert!(cmd.len() <= cmd_size);
    write_buffer(d, p, cmd);
    w32(d, p + CTRL_START, CTRL_START_INVOKE);
    wait(d, p + CTRL_START, CTRL_START_INVOKE, 0);
    assert_eq!(r32(d, p + CTRL_STS) & CTRL_STS_TPM_STS, 0);
    let mut head = [0u8; 8];
    d.read(p + DATA_BUFFER, &mut head);
    let expected = u32::from_be_bytes(head[2..6].try_into().unwrap()) as usize;
    let mut r = vec![0u8; expected];
    r[..8].copy_from_slice(&head);
    d.read(p + DATA_BUFFER + 8, &mut r[8..]);
    r
}

/// One Linux transmission: tpm_chip_start, send, recv, tpm_chip_stop.
fn transmit<B: TpmBackend>(d: &mut Crb<B>, l: u8, cmd: &[u8]) -> Vec<u8> {
    let p = l as u64 * PAGE_SIZE;
    request_locality(d, l);
    cmd_ready(d, p);
    let r = send_recv(d, l, cmd);
    go_idle(d, p);
    relinquish(d, l);
    r
}

#[test]
fn probe_registers_as_qemu_shows_them() {
    let mut d = Crb::new(Mock::default());
    assert_eq!(r32(&mut d, LOC_STATE), 0x81);
    assert_eq!(r32(&mut d, INTF_ID), 0x0002_5811);
    assert_eq!(r32(&mut d, INTF_ID + 4), 0x0000_1014);
    assert_eq!(r64(&mut d, INTF_ID), 0x0000_1014_0002_5811);
    assert_eq!(r32(&mut d, CTRL_STS), CTRL_STS_TPM_IDLE);
    assert_eq!(r32(&mut d, CMD_SIZE), 0xF80);
    assert_eq!(r32(&mut d, CMD_LADDR), 0xFED4_0080);
    assert_eq!(r32(&mut d, CMD_HADDR), 0);
    assert_eq!(r32(&mut d, RSP_SIZE), 0xF80);
    assert_eq!(r64(&mut d, RSP_ADDR), 0xFED4_0080);
    assert_eq!(r64(&mut d, CTRL_EXT), 0);
    assert_eq!(d.config().control_area_address(0), 0xFED4_0040);
    request_locality(&mut d, 0);
    assert_eq!(r32(&mut d, LOC_STATE), 0x83);
}

#[test]
fn a_real_tpm_through_the_registers() {
    let mut d = Crb::new(Engine::new());
    check_session(|c| transmit(&mut d, 0, c), 0);
}

#[test]
fn commands_back_to_back_without_cmd_ready() {
    // tpm_transmit_cmd inside one tpm_chip_start: START again from Completion.
    let mut d = Crb::new(Engine::new());
    request_locality(&mut d, 0);
    cmd_ready(&mut d, 0);
    let mut twin = Engine::new();
    for c in session() {
        assert_eq!(send_recv(&mut d, 0, &c), twin.execute(0, &c));
    }
}

#[test]
fn five_localities_request_pending_seize_relinquish() {
    let cfg = CrbConfig {
        localities: 5,
        ..CrbConfig::default()
    };
    let mut d = Crb::with_config(cfg, Engine::new()).unwrap();
    assert_eq!(r32(&mut d, INTF_ID) & 0x100, 0x100, "CapLocality");
    assert_eq!(r32(&mut d, 3 * PAGE_SIZE + CMD_LADDR), 0xFED4_3080);
    request_locality(&mut d, 0);
    w32(&mut d, 2 * PAGE_SIZE + LOC_CTRL, LOC_CTRL_REQUEST_ACCESS);
    assert_eq!(r32(&mut d, 2 * PAGE_SIZE + LOC_STS), 0, "locality 2 waits");
    assert_eq!((r32(&mut d, LOC_STATE) >> 2) & 7, 0);
    relinquish(&mut d, 0);
    assert_eq!(
        r32(&mut d, LOC_STATE),
        0x83 | 2 << 2,
        "the pending locality 2 got it"
    );
    // Locality 1 cannot seize from 2; locality 3 can.
    w32(&mut d, PAGE_SIZE + LOC_CTRL, LOC_CTRL_SEIZE);
    assert_eq!((r32(&mut d, LOC_STATE) >> 2) & 7, 2);
    w32(&mut d, 3 * PAGE_SIZE + LOC_CTRL, LOC_CTRL_SEIZE);
    assert_eq!((r32(&mut d, LOC_STATE) >> 2) & 7, 3);
    assert_eq!(r32(&mut d, 2 * PAGE_SIZE + LOC_STS), LOC_STS_BEEN_SEIZED);
    // Locality 3 runs the session; PCR 16 is extendable from every locality.
    let p3 = 3 * PAGE_SIZE;
    cmd_ready(&mut d, p3);
    let mut twin = Engine::new();
    for c in session() {
        let got = send_recv(&mut d, 3, &c);
        assert_eq!(got, twin.execute(3, &c));
    }
    // Locality 0's page sees neither the buffer nor accepts START.
    let mut b = [0u8; 4];
    d.read(DATA_BUFFER, &mut b);
    assert_eq!(b, [0xFF; 4]);
    go_idle(&mut d, p3);
    relinquish(&mut d, 3);
    // Locality 2 acknowledges the seize by requesting again.
    request_locality(&mut d, 2);
    assert_eq!(r32(&mut d, 2 * PAGE_SIZE + LOC_STS), LOC_STS_GRANTED);
}

#[test]
fn reset_establishment_only_from_locality_3_and_4() {
    let cfg = CrbConfig {
        localities: 5,
        ..CrbConfig::default()
    };
    let mock = Mock {
        established: true,
        ..Mock::default()
    };
    let mut d = Crb::with_config(cfg, mock).unwrap();
    assert_eq!(r32(&mut d, LOC_STATE) & LOC_STATE_NOT_ESTABLISHED, 0);
    w32(&mut d, LOC_CTRL, LOC_CTRL_RESET_ESTABLISHMENT);
    w32(
        &mut d,
        2 * PAGE_SIZE + LOC_CTRL,
        LOC_CTRL_RESET_ESTABLISHMENT,
    );
    assert_eq!(r32(&mut d, LOC_STATE) & LOC_STATE_NOT_ESTABLISHED, 0);
    w32(
        &mut d,
        3 * PAGE_SIZE + LOC_CTRL,
        LOC_CTRL_RESET_ESTABLISHMENT,
    );
    assert_eq!(r32(&mut d, LOC_STATE) & LOC_STATE_NOT_ESTABLISHED, 1);
    assert_eq!(d.backend().resets, vec![3]);
}

#[test]
fn oversized_and_undersized_commands() {
    let mut d = Crb::new(Mock::default());
    request_locality(&mut d, 0);
    cmd_ready(&mut d, 0);
    // Header size larger than the buffer: answered TPM_RC_COMMAND_SIZE, TPM not asked.
    let mut big = get_random(8);
    big[2..6].copy_from_slice(&0x1000u32.to_be_bytes());
    let r = send_recv(&mut d, 0, &big);
    assert_eq!(rc(&r), TPM_RC_COMMAND_SIZE);
    assert!(d.backend().commands.is_empty());
    // Header size below the header: sent as is, the TPM answers it.
    let mut small = get_random(8);
    small[2..6].copy_from_slice(&3u32.to_be_bytes());
    send_recv(&mut d, 0, &small);
    assert_eq!(d.backend().commands[0].1, small[..3].to_vec());
    // A backend response larger than the buffer becomes TPM_RC_FAILURE.
    d.backend_mut().response = Some(vec![0x80; 5000]);
    let r = send_recv(&mut d, 0, &get_random(8));
    assert_eq!(rc(&r), tpm2_devices::TPM_RC_FAILURE);
}

#[test]
fn malformed_guest_accesses() {
    let mut d = Crb::new(Mock::default());
    // START and cmdReady without the locality: dropped.
    w32(&mut d, CTRL_REQ, CTRL_REQ_CMD_READY);
    assert_eq!(r32(&mut d, CTRL_STS), CTRL_STS_TPM_IDLE);
    w32(&mut d, CTRL_START, 1);
    assert_eq!(r32(&mut d, CTRL_START), 0);
    // The buffer of a locality that is not active reads all ones.
    assert_eq!(r32(&mut d, DATA_BUFFER), u32::MAX);
    request_locality(&mut d, 0);
    // START while Idle (no cmdReady): ignored.
    write_buffer(&mut d, 0, &get_random(4));
    w32(&mut d, CTRL_START, 1);
    assert_eq!(r32(&mut d, CTRL_START), 0);
    assert!(d.backend().commands.is_empty());
    // Both CTRL_REQ bits at once: ignored.
    w32(&mut d, CTRL_REQ, 3);
    assert_eq!(r32(&mut d, CTRL_STS), CTRL_STS_TPM_IDLE);
    // Pages of absent localities, offsets past the window, the top of the address space.
    assert_eq!(r32(&mut d, PAGE_SIZE + LOC_STATE), u32::MAX);
    w32(&mut d, PAGE_SIZE + LOC_CTRL, LOC_CTRL_RELINQUISH);
    assert_eq!(r32(&mut d, LOC_STATE), 0x83);
    let mut b = [0u8; 8];
    d.read(u64::MAX - 2, &mut b);
    assert_eq!(b, [0xFF; 8]);
    d.write(u64::MAX - 2, &[1; 8]);
    // Unaligned and odd-sized accesses see the register bytes at those addresses.
    let mut three = [0u8; 3];
    d.read(INTF_ID + 1, &mut three);
    assert_eq!(three, [0x58, 0x02, 0x00]);
    let mut odd = [0u8; 7];
    d.read(CMD_SIZE + 2, &mut odd);
    assert_eq!(odd, [0, 0, 0x80, 0, 0xD4, 0xFE, 0]);
    d.read(0, &mut []);
    d.write(0, &[]);
    // A 16-bit write of LOC_CTRL's upper half means nothing.
    d.write(LOC_CTRL + 2, &[2, 0]);
    assert_eq!(r32(&mut d, LOC_STATE), 0x83);
    // Read-only registers ignore writes.
    w32(&mut d, CMD_SIZE, 16);
    assert_eq!(r32(&mut d, CMD_SIZE), 0xF80);
    w32(&mut d, INT_ENABLE, u32::MAX);
    assert_eq!(r32(&mut d, INT_ENABLE), 0x8000_000F);
    w32(&mut d, INT_STS, u32::MAX);
    assert_eq!(r32(&mut d, INT_STS), 0);
    d.check().unwrap();
}

#[test]
fn interrupts_when_enabled() {
    let mut d = Crb::new(Mock::default());
    request_locality(&mut d, 0);
    w32(&mut d, INT_ENABLE, INT_GLOBAL_ENABLE | INT_START);
    cmd_ready(&mut d, 0);
    assert!(!d.interrupt_pending());
    send_recv(&mut d, 0, &get_random(4));
    assert!(d.interrupt_pending());
    assert_eq!(r32(&mut d, INT_STS), INT_START);
    w32(&mut d, INT_STS, INT_START);
    assert!(!d.interrupt_pending());
}

#[test]
fn deferred_start_poll_and_cancel() {
    let cfg = CrbConfig {
        deferred: true,
        ..CrbConfig::default()
    };
    let mut d = Crb::with_config(cfg, Mock::default()).unwrap();
    request_locality(&mut d, 0);
    cmd_ready(&mut d, 0);
    write_buffer(&mut d, 0, &get_random(4));
    w32(&mut d, CTRL_START, 1);
    assert_eq!(r32(&mut d, CTRL_START), 1, "START reads 1 until done");
    // Buffer writes and goIdle during execution are dropped.
    d.write(DATA_BUFFER, &[0; 4]);
    w32(&mut d, CTRL_REQ, CTRL_REQ_GO_IDLE);
    assert_eq!(r32(&mut d, CTRL_STS) & CTRL_STS_TPM_IDLE, 0);
    // crb_cancel: CANCEL 1, then 0.
    w32(&mut d, CTRL_CANCEL, CTRL_CANCEL_INVOKE);
    assert_eq!(r32(&mut d, CTRL_CANCEL), 1);
    assert_eq!(d.backend().cancels, 1);
    assert!(d.poll());
    assert!(!d.poll());
    assert_eq!(r32(&mut d, CTRL_START), 0);
    w32(&mut d, CTRL_CANCEL, 0);
    assert_eq!(r32(&mut d, CTRL_CANCEL), 0);
    assert_eq!(d.backend().commands[0].1, get_random(4));
}

#[test]
fn snapshot_mid_command_round_trips() {
    let mut d = Crb::new(Engine::new());
    request_locality(&mut d, 0);
    cmd_ready(&mut d, 0);
    let mut twin = Engine::new();
    let c = startup_clear();
    assert_eq!(send_recv(&mut d, 0, &c), twin.execute(0, &c));
    // Half a command written, then snapshot (serialized) and restore.
    let c = pcr_read_sha256(16);
    write_buffer(&mut d, 0, &c[..7]);
    let bytes = postcard::to_allocvec(&d.state()).unwrap();
    let state: CrbState = postcard::from_bytes(&bytes).unwrap();
    assert_eq!(state, d.state());
    let backend = d.into_backend();
    let mut d = Crb::from_state(state, backend).unwrap();
    let p = DATA_BUFFER + 7;
    d.write(p, &c[7..]);
    w32(&mut d, CTRL_START, 1);
    let mut r = vec![0u8; 62];
    d.read(DATA_BUFFER, &mut r);
    assert_eq!(r, twin.execute(0, &c));
    // A damaged snapshot is refused.
    let mut bad = d.state();
    bad.buffer.truncate(10);
    assert!(Crb::from_state(bad, Mock::default()).is_err());
    let mut bad = d.state();
    bad.localities.active = Some(3);
    assert!(Crb::from_state(bad, Mock::default()).is_err());
    assert!(Crb::with_config(
        CrbConfig {
            buffer_size: 5000,
            ..CrbConfig::default()
        },
        Mock::default()
    )
    .is_err());
}
