//! Shared by the device tests: the engine as a backend, a counting mock backend, and
//! hand-built command bytes.
#![allow(dead_code)]

use tpm2_devices::TpmBackend;
use tpm2_engine::{SimPlatform, Tpm};

/// The real engine behind a device.
pub struct Engine(pub Tpm);

impl Engine {
    pub fn new() -> Self {
        Engine(Tpm::manufacture(Box::new(SimPlatform::new(1))))
    }
}

impl TpmBackend for Engine {
    fn execute(&mut self, locality: u8, command: &[u8]) -> Vec<u8> {
        self.0.execute(locality, command).response
    }
    fn established(&mut self) -> bool {
        self.0.tpm_established()
    }
    fn reset_established(&mut self, locality: u8) {
        let _ = self.0.reset_established(locality);
    }
    fn hash_start(&mut self) {
        self.0.hash_start()
    }
    fn hash_data(&mut self, data: &[u8]) {
        self.0.hash_data(data)
    }
    fn hash_end(&mut self) {
        self.0.hash_end()
    }
}

/// Records what the device asked for; answers a fixed response.
#[derive(Default)]
pub struct Mock {
    pub commands: Vec<(u8, Vec<u8>)>,
    pub cancels: usize,
    pub response: Option<Vec<u8>>,
    pub established: bool,
    pub resets: Vec<u8>,
}

impl TpmBackend for Mock {
    fn execute(&mut self, locality: u8, command: &[u8]) -> Vec<u8> {
        self.commands.push((locality, command.to_vec()));
        self.response
            .clone()
            .unwrap_or_else(|| ok_response(&[0xAB; 4]))
    }
    fn cancel(&mut self) {
        self.cancels += 1;
    }
    fn established(&mut self) -> bool {
        self.established
    }
    fn reset_established(&mut self, locality: u8) {
        self.resets.push(locality);
        if locality >= 3 {
            self.established = false;
        }
    }
}

pub fn ok_response(params: &[u8]) -> Vec<u8> {
    let mut r = vec![0x80, 0x01];
    r.extend_from_slice(&((10 + params.len()) as u32).to_be_bytes());
    r.extend_from_slice(&0u32.to_be_bytes());
    r.extend_from_slice(params);
    r
}

pub fn rc(response: &[u8]) -> u32 {
    u32::from_be_bytes(response[6..10].try_into().unwrap())
}

/// A command: tag, size, code, then `body`.
pub fn command(tag: u16, cc: u32, body: &[u8]) -> Vec<u8> {
    let mut c = tag.to_be_bytes().to_vec();
    c.extend_from_slice(&((10 + body.len()) as u32).to_be_bytes());
    c.extend_from_slice(&cc.to_be_bytes());
    c.extend_from_slice(body);
    c
}

const ST_NO_SESSIONS: u16 = 0x8001;
const ST_SESSIONS: u16 = 0x8002;

/// A password authorization area with an empty password.
fn password_auth() -> Vec<u8> {
    let mut a = 9u32.to_be_bytes().to_vec();
    a.extend_from_slice(&0x4000_0009u32.to_be_bytes());
    a.extend_from_slice(&[0, 0, 0, 0, 0]);
    a
}

pub fn startup_clear() -> Vec<u8> {
    command(ST_NO_SESSIONS, 0x144, &[0, 0])
}

pub fn get_random(n: u16) -> Vec<u8> {
    command(ST_NO_SESSIONS, 0x17B, &n.to_be_bytes())
}

pub fn pcr_extend_sha256(pcr: u32, digest: [u8; 32]) -> Vec<u8> {
    let mut b = pcr.to_be_bytes().to_vec();
    b.extend_from_slice(&password_auth());
    b.extend_from_slice(&1u32.to_be_bytes());
    b.extend_from_slice(&0x000Bu16.to_be_bytes());
    b.extend_from_slice(&digest);
    command(ST_SESSIONS, 0x182, &b)
}

pub fn pcr_read_sha256(pcr: u32) -> Vec<u8> {
    let mut sel = [0u8; 3];
    sel[(pcr / 8) as usize] = 1 << (pcr % 8);
    let mut b = 1u32.to_be_bytes().to_vec();
    b.extend_from_slice(&0x000Bu16.to_be_bytes());
    b.push(3);
    b.extend_from_slice(&sel);
    command(ST_NO_SESSIONS, 0x17E, &b)
}

/// The SHA-256 value in a one-PCR `TPM2_PCR_Read` response.
pub fn pcr_value(response: &[u8]) -> Vec<u8> {
    response[30..62].to_vec()
}

/// `TPM2_CreatePrimary` under the owner hierarchy: an ECC P-256 restricted decryption
/// key (an SRK-like template).
pub fn create_primary_ecc() -> Vec<u8> {
    let mut public = Vec::new();
    public.extend_from_slice(&0x0023u16.to_be_bytes()); // TPM_ALG_ECC
    public.extend_from_slice(&0x000Bu16.to_be_bytes()); // SHA-256
    public.extend_from_slice(&0x0003_0072u32.to_be_bytes());
    public.extend_from_slice(&0u16.to_be_bytes()); // authPolicy
    public.extend_from_slice(&0x0006u16.to_be_bytes()); // AES
    public.extend_from_slice(&128u16.to_be_bytes());
    public.extend_from_slice(&0x0043u16.to_be_bytes()); // CFB
    public.extend_from_slice(&0x0010u16.to_be_bytes()); // scheme NULL
    public.extend_from_slice(&0x0003u16.to_be_bytes()); // NIST P-256
    public.extend_from_slice(&0x0010u16.to_be_bytes()); // kdf NULL
    public.extend_from_slice(&[0, 0, 0, 0]); // unique x, y
    let mut b = 0x4000_0001u32.to_be_bytes().to_vec();
    b.extend_from_slice(&password_auth());
    b.extend_from_slice(&4u16.to_be_bytes());
    b.extend_from_slice(&[0, 0, 0, 0]);
    b.extend_from_slice(&(public.len() as u16).to_be_bytes());
    b.extend_from_slice(&public);
    b.extend_from_slice(&0u16.to_be_bytes()); // outsideInfo
    b.extend_from_slice(&0u32.to_be_bytes()); // creationPCR
    command(ST_SESSIONS, 0x131, &b)
}

/// The session the tests run through a device, and directly on a twin engine.
pub fn session() -> Vec<Vec<u8>> {
    vec![
        startup_clear(),
        get_random(16),
        pcr_read_sha256(16),
        pcr_extend_sha256(16, [0x5A; 32]),
        pcr_read_sha256(16),
        create_primary_ecc(),
        get_random(32),
    ]
}

/// Runs [`session`] through `transmit`, comparing each response with a twin engine's.
pub fn check_session(mut transmit: impl FnMut(&[u8]) -> Vec<u8>, locality: u8) {
    let mut twin = Engine::new();
    let mut pcr_before = None;
    for (k, cmd) in session().iter().enumerate() {
        let got = transmit(cmd);
        let want = twin.execute(locality, cmd);
        assert_eq!(
            got, want,
            "command {k} differs from the engine's own answer"
        );
        assert_eq!(rc(&got), 0, "command {k} failed: {:#x}", rc(&got));
        match k {
            1 => assert_eq!(got.len(), 12 + 16),
            2 => pcr_before = Some(pcr_value(&got)),
            4 => {
                assert_ne!(Some(pcr_value(&got)), pcr_before, "PCR 16 did not change");
                assert_eq!(pcr_before, Some(vec![0; 32]));
            }
            5 => assert_eq!(
                u32::from_be_bytes(got[10..14].try_into().unwrap()) >> 24,
                0x80
            ),
            _ => {}
        }
    }
}

/// The engine's PPI state behind a PPI region, as a VMM wires it: the guest submits
/// unconfirmed requests (it is never the physically present user).
impl tpm2_devices::ppi::PpiBackend for Engine {
    fn status(&mut self) -> tpm2_devices::ppi::PpiStatus {
        let p = self.0.ppi();
        let (request, param) = p.pending.map_or((0, 0), |r| (r.op, r.param));
        tpm2_devices::ppi::PpiStatus {
            request,
            param,
            last_op: p.last_op,
            last_response: p.last_response,
        }
    }
    fn user_confirmation(&mut self, op: u32) -> u8 {
        tpm2_engine::ppi::user_confirmation(op, &self.0.ppi().flags)
    }
    fn submit(&mut self, op: u32, param: u32) -> bool {
        self.0.ppi_request(op, param, false).is_ok()
    }
}
