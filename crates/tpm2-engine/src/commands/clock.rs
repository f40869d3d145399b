//! Clocks and timers (Part 3, §29): TPM2_ReadClock, TPM2_ClockSet, TPM2_ClockRateAdjust,
//! and the Clock update rule every command's tick uses.
//!
//! Time (`vol.time_ms`) counts milliseconds since `_TPM_Init`; Clock (`perm.clock`)
//! counts powered milliseconds over the TPM's life, is stored in NV whenever it passes a
//! multiple of `2^CLOCK_UPDATE_SHIFT` ms, and is reported "safe" unless a non-orderly
//! shutdown may have lost part of it.

use crate::dispatch::Command;
use crate::tpm::{CLOCK_NOMINAL, CLOCK_UPDATE_SHIFT};
use crate::Tpm;
use tpm2_types::structures::{TpmsClockInfo, TpmsTimeInfo};
use tpm2_types::Rc;

/// The largest value `TPM2_ClockSet` accepts, so that Clock cannot roll over in the life
/// of the TPM (Part 3, §29.2).
pub const MAX_CLOCK_SET: u64 = 0xFFFF_0000_0000_0000;

/// Rate steps of `TPM_CLOCK_ADJUST` (Part 2, §6.8): coarse, medium and fine, as fractions
/// of `CLOCK_NOMINAL` (the reference platform's values, which libtpms uses).
pub const CLOCK_ADJUST_COARSE: i32 = 300;
pub const CLOCK_ADJUST_MEDIUM: i32 = 30;
pub const CLOCK_ADJUST_FINE: i32 = 1;
/// The total adjustment is bounded to ±1/6 of nominal.
pub const CLOCK_ADJUST_LIMIT: i32 = 5000;

/// Converts `real` platform milliseconds into TPM milliseconds at rate setting `rate`,
/// exactly over any sequence of calls: `carry` (in 1/`CLOCK_NOMINAL` ms, always below the
/// divisor) is the platform time not yet counted. Returns `(elapsed, new carry)`.
pub(crate) fn rate_adjusted(real: u64, rate: i32, carry: u64) -> (u64, u64) {
    let nominal = CLOCK_NOMINAL as u128;
    let divisor = (CLOCK_NOMINAL + i64::from(rate)).max(1) as u128;
    let total = real as u128 * nominal + carry as u128;
    let elapsed = u64::try_from(total / divisor).unwrap_or(u64::MAX);
    (elapsed, (total % divisor) as u64)
}

impl Tpm {
    /// Sets Clock (the reference `TimeClockUpdate`). When the new value passes an update
    /// interval the NV copy is written; from then on no value greater than Clock can have
    /// been reported before (a lost NV update loses less than one interval), so Clock is
    /// safe again.
    pub(crate) fn clock_update(&mut self, new: u64) {
        let mask = (1u64 << CLOCK_UPDATE_SHIFT) - 1;
        if (new | mask) > (self.perm.clock | mask) {
            let p = self.perm_mut();
            p.clock = new;
            p.clock_safe = true;
        } else {
            self.perm.clock = new;
        }
    }

    /// `TPMS_TIME_INFO` now.
    pub(crate) fn time_info(&self) -> TpmsTimeInfo {
        TpmsTimeInfo {
            time: self.vol.time_ms,
            clock_info: TpmsClockInfo {
                clock: self.perm.clock,
                reset_count: self.perm.reset_count,
                restart_count: self.perm.restart_count,
                safe: self.perm.clock_safe,
            },
        }
    }
}

/// TPM2_ReadClock (Part 3, §29.1).
pub fn read_clock(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    c.params.end()?;
    let info = tpm.time_info();
    c.put(&info);
    Ok(())
}

/// TPM2_ClockSet (Part 3, §29.2): Clock only moves forward, and not past
/// [`MAX_CLOCK_SET`]; both violations are `TPM_RC_VALUE` on `newTime`.
pub fn clock_set(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    let new_time: u64 = c.params.read()?;
    c.params.end()?;
    if new_time > MAX_CLOCK_SET || new_time < tpm.perm.clock {
        return Err(Rc::VALUE.param(1));
    }
    tpm.clock_update(new_time);
    Ok(())
}

/// `TPM_CLOCK_ADJUST`: an `INT8` from -3 (coarse slower) to 3 (coarse faster).
fn read_clock_adjust(r: &mut tpm2_types::Reader<'_>) -> Result<i8, Rc> {
    let v = r.u8()? as i8;
    if (-3..=3).contains(&v) {
        Ok(v)
    } else {
        Err(Rc::VALUE)
    }
}

/// TPM2_ClockRateAdjust (Part 3, §29.3): moves the rate of Time and Clock by one coarse,
/// medium or fine step, within ±[`CLOCK_ADJUST_LIMIT`]. The setting is volatile.
pub fn clock_rate_adjust(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    let adjust = c.params.read_with(read_clock_adjust)?;
    c.params.end()?;
    let step = match adjust.unsigned_abs() {
        3 => CLOCK_ADJUST_COARSE,
        2 => CLOCK_ADJUST_MEDIUM,
        1 => CLOCK_ADJUST_FINE,
        _ => 0,
    };
    // Slower means each platform millisecond counts for less: the divisor grows.
    let delta = if adjust < 0 { step } else { -step };
    tpm.vol.clock_rate =
        (tpm.vol.clock_rate + delta).clamp(-CLOCK_ADJUST_LIMIT, CLOCK_ADJUST_LIMIT);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_adjustment_carries_the_remainder() {
        assert_eq!(rate_adjusted(1000, 0, 0), (1000, 0));
        // Slowest: 30000 per 35000 platform ms; fastest: 30000 per 25000.
        assert_eq!(rate_adjusted(35_000, CLOCK_ADJUST_LIMIT, 0), (30_000, 0));
        assert_eq!(rate_adjusted(25_000, -CLOCK_ADJUST_LIMIT, 0), (30_000, 0));
        // 1 ms at the fastest rate is 1.2 TPM ms: 1 now, the 0.2 carried.
        assert_eq!(rate_adjusted(1, -CLOCK_ADJUST_LIMIT, 0), (1, 5_000));
        let (mut total, mut carry) = (0, 0);
        for _ in 0..25_000 {
            let (e, c) = rate_adjusted(1, -CLOCK_ADJUST_LIMIT, carry);
            total += e;
            carry = c;
        }
        assert_eq!((total, carry), (30_000, 0));
        // A carry taken into a rate change is still platform time.
        assert_eq!(rate_adjusted(0, CLOCK_ADJUST_FINE, 29_000), (0, 29_000));
        assert_eq!(rate_adjusted(1, CLOCK_ADJUST_FINE, 29_000), (1, 28_999));
    }
}
