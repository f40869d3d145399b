//! TPM2_NV_ReadPublic, TPM2_NV_Write and TPM2_NV_Read (Part 3, §31.6, §31.7, §31.13).

use super::{index_name, nv_type, read_access, write_access};
use crate::dispatch::Command;
use crate::Tpm;
use tpm2_types::constants::{nt, nv_attr};
use tpm2_types::nv::Tpm2bNvPublic;
use tpm2_types::{Rc, Tpm2bMaxNvBuffer, Tpm2bName, MAX_NV_BUFFER_SIZE};

pub fn read_public(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    c.params.end()?;
    let p = tpm.nv_index(c.handle(0))?.public.clone();
    let name = Tpm2bName::from(index_name(&p));
    c.put(&Tpm2bNvPublic(p));
    c.put(&name);
    Ok(())
}

pub fn write(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    let data: Tpm2bMaxNvBuffer = c.params.read()?;
    let offset: u16 = c.params.read()?;
    c.params.end()?;
    let (auth, h) = (c.handle(0), c.handle(1));
    let p = &tpm.nv_index(h)?.public;
    write_access(auth, h, p.attributes)?;
    // Counters, bit fields and extend indices change only through their own commands
    // (libtpms reports this TPM_RC_ATTRIBUTES without a handle number).
    if matches!(nv_type(p.attributes), nt::COUNTER | nt::BITS | nt::EXTEND) {
        return Err(Rc::ATTRIBUTES);
    }
    let (size, offset) = (p.data_size as usize, offset as usize);
    if offset > size {
        return Err(Rc::VALUE.param(2));
    }
    if data.len() > size - offset {
        return Err(Rc::NV_RANGE);
    }
    // WRITEALL: one write covers the whole index (so offset is 0).
    if p.has(nv_attr::WRITEALL) && data.len() < size {
        return Err(Rc::NV_RANGE);
    }
    tpm.nv_write_data(h, offset, data.as_slice())
}

pub fn read(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    let size: u16 = c.params.read()?;
    let offset: u16 = c.params.read()?;
    c.params.end()?;
    let (auth, h) = (c.handle(0), c.handle(1));
    let ix = tpm.nv_index(h)?;
    read_access(auth, h, ix.public.attributes)?;
    let (size, offset) = (size as usize, offset as usize);
    if size > MAX_NV_BUFFER_SIZE {
        return Err(Rc::VALUE.param(1));
    }
    let data_size = ix.public.data_size as usize;
    if offset > data_size {
        return Err(Rc::VALUE.param(2));
    }
    if size > data_size - offset {
        return Err(Rc::NV_RANGE);
    }
    let out = ix
        .data
        .get(offset..offset + size)
        .ok_or(Rc::NV_RANGE)?
        .to_vec();
    c.put(&Tpm2bMaxNvBuffer::from(out));
    Ok(())
}
