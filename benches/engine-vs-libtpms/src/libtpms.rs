//! libtpms driven in-process through its library API (`tpm_library.h`), with NVRAM kept in
//! memory so that only engine work is measured.

use std::collections::HashMap;
use std::ffi::{c_char, c_int, c_uchar, c_void, CStr};
use std::sync::Mutex;

type TpmResult = u32;
const TPM_SUCCESS: TpmResult = 0;
const TPM_FAIL: TpmResult = 9;
/// libtpms reads `TPM_RETRY` from the load callback as "no such blob".
const TPM_RETRY: TpmResult = 0x800;
const TPMLIB_TPM_VERSION_2: c_int = 1;

#[repr(C)]
struct Callbacks {
    size_of_struct: c_int,
    nvram_init: Option<extern "C" fn() -> TpmResult>,
    nvram_loaddata: Option<extern "C" fn(*mut *mut c_uchar, *mut u32, u32, *const c_char) -> TpmResult>,
    nvram_storedata: Option<extern "C" fn(*const c_uchar, u32, u32, *const c_char) -> TpmResult>,
    nvram_deletename: Option<extern "C" fn(u32, *const c_char, c_uchar) -> TpmResult>,
    io_init: Option<extern "C" fn() -> TpmResult>,
    io_getlocality: Option<extern "C" fn(*mut u32, u32) -> TpmResult>,
    io_getphysicalpresence: Option<extern "C" fn(*mut c_uchar, u32) -> TpmResult>,
}

extern "C" {
    fn TPMLIB_ChooseTPMVersion(ver: c_int) -> TpmResult;
    fn TPMLIB_RegisterCallbacks(cbs: *mut Callbacks) -> TpmResult;
    fn TPMLIB_MainInit() -> TpmResult;
    fn TPMLIB_Terminate();
    fn TPMLIB_Process(
        respbuffer: *mut *mut c_uchar,
        resp_size: *mut u32,
        respbufsize: *mut u32,
        command: *mut c_uchar,
        command_size: u32,
    ) -> TpmResult;
    fn malloc(n: usize) -> *mut c_void;
    fn free(p: *mut c_void);
}

static NVRAM: Mutex<Option<HashMap<String, Vec<u8>>>> = Mutex::new(None);

fn blob_name(name: *const c_char) -> Option<String> {
    if name.is_null() {
        return None;
    }
    // SAFETY: libtpms passes a NUL-terminated C string that lives for the call.
    Some(unsafe { CStr::from_ptr(name) }.to_string_lossy().into_owned())
}

extern "C" fn nvram_init() -> TpmResult {
    TPM_SUCCESS
}

extern "C" fn nvram_load(data: *mut *mut c_uchar, length: *mut u32, _n: u32, name: *const c_char) -> TpmResult {
    let Some(name) = blob_name(name) else { return TPM_FAIL };
    let guard = NVRAM.lock().unwrap_or_else(|e| e.into_inner());
    let Some(blob) = guard.as_ref().and_then(|m| m.get(&name)) else {
        return TPM_RETRY;
    };
    // SAFETY: libtpms takes ownership of a malloc'ed buffer of `length` bytes and frees it
    // with free(); we allocate exactly blob.len() bytes (at least 1) and copy into it.
    unsafe {
        let p = malloc(blob.len().max(1)) as *mut c_uchar;
        if p.is_null() {
            return TPM_FAIL;
        }
        std::ptr::copy_nonoverlapping(blob.as_ptr(), p, blob.len());
        *data = p;
        *length = blob.len() as u32;
    }
    TPM_SUCCESS
}

extern "C" fn nvram_store(data: *const c_uchar, length: u32, _n: u32, name: *const c_char) -> TpmResult {
    let Some(name) = blob_name(name) else { return TPM_FAIL };
    // SAFETY: libtpms passes a buffer of `length` readable bytes for the duration of the call.
    let bytes = unsafe { std::slice::from_raw_parts(data, length as usize) }.to_vec();
    let mut guard = NVRAM.lock().unwrap_or_else(|e| e.into_inner());
    guard.get_or_insert_with(HashMap::new).insert(name, bytes);
    TPM_SUCCESS
}

extern "C" fn nvram_delete(_n: u32, name: *const c_char, _must: c_uchar) -> TpmResult {
    if let Some(name) = blob_name(name) {
        let mut guard = NVRAM.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(m) = guard.as_mut() {
            m.remove(&name);
        }
    }
    TPM_SUCCESS
}

extern "C" fn io_init() -> TpmResult {
    TPM_SUCCESS
}

extern "C" fn io_locality(loc: *mut u32, _n: u32) -> TpmResult {
    // SAFETY: libtpms passes a valid pointer to write the locality to.
    unsafe { *loc = 0 };
    TPM_SUCCESS
}

extern "C" fn io_pp(pp: *mut c_uchar, _n: u32) -> TpmResult {
    // SAFETY: libtpms passes a valid pointer to write the flag to.
    unsafe { *pp = 0 };
    TPM_SUCCESS
}

/// One libtpms TPM 2.0 instance (libtpms is a process-wide singleton: create one at a time).
pub struct Libtpms {
    buf: *mut c_uchar,
    bufsize: u32,
}

impl Libtpms {
    pub fn new() -> Result<Libtpms, String> {
        *NVRAM.lock().unwrap_or_else(|e| e.into_inner()) = Some(HashMap::new());
        let mut cbs = Callbacks {
            size_of_struct: std::mem::size_of::<Callbacks>() as c_int,
            nvram_init: Some(nvram_init),
            nvram_loaddata: Some(nvram_load),
            nvram_storedata: Some(nvram_store),
            nvram_deletename: Some(nvram_delete),
            io_init: Some(io_init),
            io_getlocality: Some(io_locality),
            io_getphysicalpresence: Some(io_pp),
        };
        // SAFETY: plain C calls with a valid, fully initialized callback struct whose
        // function pointers are 'static; libtpms copies the struct.
        unsafe {
            let rc = TPMLIB_ChooseTPMVersion(TPMLIB_TPM_VERSION_2);
            if rc != TPM_SUCCESS {
                return Err(format!("TPMLIB_ChooseTPMVersion: {rc:#x}"));
            }
            let rc = TPMLIB_RegisterCallbacks(&mut cbs);
            if rc != TPM_SUCCESS {
                return Err(format!("TPMLIB_RegisterCallbacks: {rc:#x}"));
            }
            let rc = TPMLIB_MainInit();
            if rc != TPM_SUCCESS {
                return Err(format!("TPMLIB_MainInit: {rc:#x}"));
            }
        }
        Ok(Libtpms {
            buf: std::ptr::null_mut(),
            bufsize: 0,
        })
    }

    /// Executes one command; returns the response bytes.
    pub fn process(&mut self, cmd: &[u8]) -> Vec<u8> {
        let mut copy = cmd.to_vec();
        let mut len = 0u32;
        // SAFETY: `buf`/`bufsize` are the buffer libtpms (re)allocates and owns between
        // calls (null/0 initially); `copy` is a valid mutable buffer of the given size.
        unsafe {
            let rc = TPMLIB_Process(&mut self.buf, &mut len, &mut self.bufsize, copy.as_mut_ptr(), copy.len() as u32);
            if rc != TPM_SUCCESS || self.buf.is_null() {
                return Vec::new();
            }
            std::slice::from_raw_parts(self.buf, len as usize).to_vec()
        }
    }
}

impl Drop for Libtpms {
    fn drop(&mut self) {
        // SAFETY: terminating the singleton we initialized; the response buffer was
        // allocated by libtpms with malloc and is ours to free.
        unsafe {
            TPMLIB_Terminate();
            if !self.buf.is_null() {
                free(self.buf as *mut c_void);
            }
        }
    }
}
