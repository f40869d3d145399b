//! Strings in event data: firmware logs ASCII/UTF-8 (grub, most actions) or UTF-16LE
//! (sd-boot, EFI variable names, CRTM versions) without saying which.

/// Decodes UTF-16LE code units, replacing unpaired surrogates, up to the first NUL.
pub fn utf16_lossy(bytes: &[u8]) -> String {
    let units = bytes
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .take_while(|&u| u != 0);
    char::decode_utf16(units)
        .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect()
}

/// Whether `bytes` look like UTF-16LE text: even length and a zero high byte for the ASCII
/// characters that make up most of it.
fn looks_utf16(bytes: &[u8]) -> bool {
    if bytes.len() < 4 || !bytes.len().is_multiple_of(2) {
        return false;
    }
    let units = bytes.len() / 2;
    let zero_high = bytes.chunks_exact(2).filter(|c| c[1] == 0).count();
    let printable_low = bytes
        .chunks_exact(2)
        .filter(|c| c[1] == 0 && (c[0] == 0 || c[0].is_ascii_graphic() || c[0] == b' '))
        .count();
    zero_high * 4 >= units * 3 && printable_low * 4 >= units * 3
}

/// Decodes a string of unknown encoding: UTF-16LE if it looks like it, else UTF-8 (lossy).
/// Trailing NULs are dropped.
pub fn decode_text(bytes: &[u8]) -> String {
    if looks_utf16(bytes) {
        let mut s: String = char::decode_utf16(
            bytes
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]])),
        )
        .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect();
        s.truncate(s.trim_end_matches('\0').len());
        return s;
    }
    let s = String::from_utf8_lossy(bytes);
    s.trim_end_matches('\0').to_string()
}

/// A NUL-terminated UTF-16LE string that fills `bytes` exactly, if it is one.
pub fn utf16_nul_terminated(bytes: &[u8]) -> Option<String> {
    if bytes.len() < 2 || !bytes.len().is_multiple_of(2) || bytes[bytes.len() - 2..] != [0, 0] {
        return None;
    }
    let units: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    let body = &units[..units.len() - 1];
    if body.contains(&0) {
        return None;
    }
    char::decode_utf16(body.iter().copied())
        .collect::<Result<String, _>>()
        .ok()
        .filter(|s| !s.chars().any(char::is_control))
}

/// The text of `bytes` if it is printable (ASCII/UTF-8 or UTF-16LE, NUL-terminated or not).
pub fn printable(bytes: &[u8]) -> Option<String> {
    let s = decode_text(bytes);
    let ok = !s.is_empty()
        && !s.contains(char::REPLACEMENT_CHARACTER)
        && s.chars().all(|c| !c.is_control() || c == '\n' || c == '\t');
    ok.then_some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16(s: &str) -> Vec<u8> {
        s.encode_utf16().flat_map(u16::to_le_bytes).collect()
    }

    #[test]
    fn ascii_and_utf16_are_told_apart() {
        assert_eq!(decode_text(b"grub_cmd: set x=1\0"), "grub_cmd: set x=1");
        assert_eq!(decode_text(&utf16(" console=ttyS0\0")), " console=ttyS0");
        assert_eq!(decode_text(b"\xff\xfe"), "\u{fffd}\u{fffd}");
    }

    #[test]
    fn nul_terminated_utf16() {
        assert_eq!(utf16_nul_terminated(&[0, 0]).as_deref(), Some(""));
        assert_eq!(
            utf16_nul_terminated(&utf16("1.0\0")).as_deref(),
            Some("1.0")
        );
        assert_eq!(utf16_nul_terminated(&utf16("1.0")), None);
        assert_eq!(utf16_nul_terminated(&utf16("a\0b\0")), None);
        assert_eq!(utf16_lossy(&utf16("Boot0001\0junk")), "Boot0001");
    }

    #[test]
    fn printable_refuses_binary() {
        assert_eq!(
            printable(b"Linux initrd\0").as_deref(),
            Some("Linux initrd")
        );
        assert_eq!(printable(&[1, 2, 3, 0x80]), None);
    }
}
