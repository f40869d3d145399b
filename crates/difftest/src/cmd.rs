//! Building TPM commands byte by byte, and naming command codes for reports.

use tpm2_types::constants::{rh, st};
use tpm2_types::Codec;

/// A command under construction: handles, an optional authorization area, parameters.
#[derive(Clone, Debug)]
pub struct Cmd {
    pub code: u32,
    handles: Vec<u32>,
    sessions: Option<Vec<u8>>,
    params: Vec<u8>,
}

impl Cmd {
    pub fn new(code: u32) -> Self {
        Cmd {
            code,
            handles: Vec::new(),
            sessions: None,
            params: Vec::new(),
        }
    }

    pub fn h(mut self, handle: u32) -> Self {
        self.handles.push(handle);
        self
    }

    /// A password session (`TPM_RS_PW`, continueSession) with this password.
    pub fn pw(self, password: &[u8]) -> Self {
        self.session(rh::PW, &[], 0x01, password)
    }

    /// One arbitrary session entry.
    pub fn session(mut self, handle: u32, nonce: &[u8], attrs: u8, hmac: &[u8]) -> Self {
        let s = self.sessions.get_or_insert_with(Vec::new);
        handle.encode(s);
        (nonce.len() as u16).encode(s);
        s.extend_from_slice(nonce);
        s.push(attrs);
        (hmac.len() as u16).encode(s);
        s.extend_from_slice(hmac);
        self
    }

    /// An authorization area given raw (its size prefix is still computed).
    pub fn raw_sessions(mut self, area: &[u8]) -> Self {
        self.sessions = Some(area.to_vec());
        self
    }

    pub fn u8(mut self, v: u8) -> Self {
        self.params.push(v);
        self
    }

    pub fn u16(mut self, v: u16) -> Self {
        v.encode(&mut self.params);
        self
    }

    pub fn u32(mut self, v: u32) -> Self {
        v.encode(&mut self.params);
        self
    }

    pub fn u64(mut self, v: u64) -> Self {
        v.encode(&mut self.params);
        self
    }

    /// A `TPM2B_` parameter with a correct size prefix.
    pub fn b(mut self, data: &[u8]) -> Self {
        (data.len() as u16).encode(&mut self.params);
        self.params.extend_from_slice(data);
        self
    }

    pub fn raw(mut self, data: &[u8]) -> Self {
        self.params.extend_from_slice(data);
        self
    }

    /// The command's bytes: header with the right tag and size.
    pub fn build(&self) -> Vec<u8> {
        let mut body = Vec::new();
        for h in &self.handles {
            h.encode(&mut body);
        }
        let tag = match &self.sessions {
            Some(s) => {
                (s.len() as u32).encode(&mut body);
                body.extend_from_slice(s);
                st::SESSIONS
            }
            None => st::NO_SESSIONS,
        };
        body.extend_from_slice(&self.params);
        let mut out = Vec::with_capacity(body.len() + 10);
        tag.encode(&mut out);
        ((body.len() + 10) as u32).encode(&mut out);
        self.code.encode(&mut out);
        out.extend_from_slice(&body);
        out
    }
}

/// Sets a command's header size field to its length (after a mutation changed it).
pub fn fix_size(bytes: &mut [u8]) {
    if bytes.len() >= 6 {
        let n = (bytes.len() as u32).to_be_bytes();
        bytes[2..6].copy_from_slice(&n);
    }
}

/// The command code of a command's bytes, if it has a header.
pub fn code_of(bytes: &[u8]) -> Option<u32> {
    bytes
        .get(6..10)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

/// Commands whose response carries a handle before the parameters (`rHandle`).
pub fn has_response_handle(code: u32) -> bool {
    use tpm2_types::constants::cc;
    matches!(
        code,
        cc::CREATE_PRIMARY
            | cc::LOAD
            | cc::HMAC_START
            | cc::CONTEXT_LOAD
            | cc::LOAD_EXTERNAL
            | cc::START_AUTH_SESSION
            | cc::HASH_SEQUENCE_START
            | cc::CREATE_LOADED
    )
}

/// The TPM 2.0 command names (Part 2, §6.5.2), for reports.
const NAMES: &[(u32, &str)] = &[
    (0x11F, "NV_UndefineSpaceSpecial"),
    (0x120, "EvictControl"),
    (0x121, "HierarchyControl"),
    (0x122, "NV_UndefineSpace"),
    (0x124, "ChangeEPS"),
    (0x125, "ChangePPS"),
    (0x126, "Clear"),
    (0x127, "ClearControl"),
    (0x128, "ClockSet"),
    (0x129, "HierarchyChangeAuth"),
    (0x12A, "NV_DefineSpace"),
    (0x12B, "PCR_Allocate"),
    (0x12C, "PCR_SetAuthPolicy"),
    (0x12D, "PpCommands"),
    (0x12E, "SetPrimaryPolicy"),
    (0x12F, "FieldUpgradeStart"),
    (0x130, "ClockRateAdjust"),
    (0x131, "CreatePrimary"),
    (0x132, "NV_GlobalWriteLock"),
    (0x133, "GetCommandAuditDigest"),
    (0x134, "NV_Increment"),
    (0x135, "NV_SetBits"),
    (0x136, "NV_Extend"),
    (0x137, "NV_Write"),
    (0x138, "NV_WriteLock"),
    (0x139, "DictionaryAttackLockReset"),
    (0x13A, "DictionaryAttackParameters"),
    (0x13B, "NV_ChangeAuth"),
    (0x13C, "PCR_Event"),
    (0x13D, "PCR_Reset"),
    (0x13E, "SequenceComplete"),
    (0x13F, "SetAlgorithmSet"),
    (0x140, "SetCommandCodeAuditStatus"),
    (0x141, "FieldUpgradeData"),
    (0x142, "IncrementalSelfTest"),
    (0x143, "SelfTest"),
    (0x144, "Startup"),
    (0x145, "Shutdown"),
    (0x146, "StirRandom"),
    (0x147, "ActivateCredential"),
    (0x148, "Certify"),
    (0x149, "PolicyNV"),
    (0x14A, "CertifyCreation"),
    (0x14B, "Duplicate"),
    (0x14C, "GetTime"),
    (0x14D, "GetSessionAuditDigest"),
    (0x14E, "NV_Read"),
    (0x14F, "NV_ReadLock"),
    (0x150, "ObjectChangeAuth"),
    (0x151, "PolicySecret"),
    (0x152, "Rewrap"),
    (0x153, "Create"),
    (0x154, "ECDHZgen"),
    (0x155, "HMAC"),
    (0x156, "Import"),
    (0x157, "Load"),
    (0x158, "Quote"),
    (0x159, "RSADecrypt"),
    (0x15B, "HMACStart"),
    (0x15C, "SequenceUpdate"),
    (0x15D, "Sign"),
    (0x15E, "Unseal"),
    (0x160, "PolicySigned"),
    (0x161, "ContextLoad"),
    (0x162, "ContextSave"),
    (0x163, "ECDHKeyGen"),
    (0x164, "EncryptDecrypt"),
    (0x165, "FlushContext"),
    (0x167, "LoadExternal"),
    (0x168, "MakeCredential"),
    (0x169, "NV_ReadPublic"),
    (0x16A, "PolicyAuthorize"),
    (0x16B, "PolicyAuthValue"),
    (0x16C, "PolicyCommandCode"),
    (0x16D, "PolicyCounterTimer"),
    (0x16E, "PolicyCPHash"),
    (0x16F, "PolicyLocality"),
    (0x170, "PolicyNameHash"),
    (0x171, "PolicyOR"),
    (0x172, "PolicyTicket"),
    (0x173, "ReadPublic"),
    (0x174, "RSAEncrypt"),
    (0x176, "StartAuthSession"),
    (0x177, "VerifySignature"),
    (0x178, "ECCParameters"),
    (0x179, "FirmwareRead"),
    (0x17A, "GetCapability"),
    (0x17B, "GetRandom"),
    (0x17C, "GetTestResult"),
    (0x17D, "Hash"),
    (0x17E, "PCR_Read"),
    (0x17F, "PolicyPCR"),
    (0x180, "PolicyRestart"),
    (0x181, "ReadClock"),
    (0x182, "PCR_Extend"),
    (0x183, "PCR_SetAuthValue"),
    (0x184, "NV_Certify"),
    (0x185, "EventSequenceComplete"),
    (0x186, "HashSequenceStart"),
    (0x187, "PolicyPhysicalPresence"),
    (0x188, "PolicyDuplicationSelect"),
    (0x189, "PolicyGetDigest"),
    (0x18A, "TestParms"),
    (0x18B, "Commit"),
    (0x18C, "PolicyPassword"),
    (0x18D, "Zgen2phase"),
    (0x18E, "ECEphemeral"),
    (0x18F, "PolicyNVWritten"),
    (0x190, "PolicyTemplate"),
    (0x191, "CreateLoaded"),
    (0x192, "PolicyAuthorizeNV"),
    (0x193, "EncryptDecrypt2"),
    (0x197, "CertifyX509"),
];

/// A command code's name, or its hex value.
pub fn cc_name(code: u32) -> String {
    NAMES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, n)| n.to_string())
        .unwrap_or_else(|| format!("CC_{code:#x}"))
}
