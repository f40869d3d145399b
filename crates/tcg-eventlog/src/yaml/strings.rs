//! String rendering in tpm2_eventlog's styles.

use std::fmt::Write;

/// The bytes up to the first NUL, as C's `%.*s` prints them.
pub fn c_string(d: &[u8]) -> &[u8] {
    match d.iter().position(|&b| b == 0) {
        Some(n) => &d[..n],
        None => d,
    }
}

/// `{key}: |-` and the text on the next line, indented two more spaces than the key (a
/// literal block scalar). Lines after the first keep the indent so the block stays valid.
pub fn block_text(out: &mut String, key: &str, text: &[u8]) {
    let indent = key.len() - key.trim_start().len() + 2;
    let pad = " ".repeat(indent);
    let _ = writeln!(out, "{key}: |-");
    let s = String::from_utf8_lossy(text);
    let mut lines = s.split('\n');
    let first = lines.next().unwrap_or("");
    let _ = writeln!(out, "{pad}{}", printable_lossy(first));
    for l in lines {
        let _ = writeln!(out, "{pad}{}", printable_lossy(l));
    }
}

/// Replaces characters a YAML block cannot hold.
fn printable_lossy(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c != '\t' && (c.is_control() || c == '\u{feff}') {
                char::REPLACEMENT_CHARACTER
            } else {
                c
            }
        })
        .collect()
}

/// `{indent}{field}: "..."`: a double-quoted YAML string, split after each newline into
/// continuation lines (a trailing `\` then `{indent}  ` on the next line), with the escapes
/// tpm2_eventlog uses (`\0 \a \b \v \f \n \r \e \\ \"`, and `\t` / `\x20` for leading blanks,
/// which a continuation line would otherwise lose). Other control bytes and bytes that are
/// not UTF-8 are written as `\xNN`.
pub fn split_string(out: &mut String, indent: &str, field: &str, d: &[u8]) {
    let _ = write!(out, "{indent}{field}: \"");
    let mut rest = d;
    let mut first = true;
    loop {
        let len = rest
            .iter()
            .position(|&b| b == b'\n')
            .map_or(rest.len(), |p| p + 1);
        let (line, tail) = rest.split_at(len);
        if !first {
            let _ = write!(out, "{indent}  ");
        }
        first = false;
        escape_line(out, line);
        rest = tail;
        if rest.is_empty() {
            out.push_str("\"\n");
            break;
        }
        out.push_str("\\\n");
    }
}

fn escape_line(out: &mut String, line: &[u8]) {
    let mut leading = true;
    let mut i = 0;
    while i < line.len() {
        // Fast path: a run of printable ASCII that needs no escape.
        let run = line[i..]
            .iter()
            .take_while(|&&b| {
                (b'!'..=b'~').contains(&b) && b != b'\\' && b != b'"'
                    || (!leading && (b == b' ' || b == b'\t'))
            })
            .count();
        if run > 0 {
            out.push_str(std::str::from_utf8(&line[i..i + run]).unwrap_or_default());
            i += run;
            leading = false;
            continue;
        }
        let b = line[i];
        let esc = match b {
            0 => Some("\\0"),
            0x07 => Some("\\a"),
            0x08 => Some("\\b"),
            b'\t' if leading => Some("\\t"),
            0x0b => Some("\\v"),
            0x0c => Some("\\f"),
            b'\n' => Some("\\n"),
            b'\r' => Some("\\r"),
            0x1b => Some("\\e"),
            b'\\' => Some("\\\\"),
            b'"' => Some("\\\""),
            b' ' if leading => Some("\\x20"),
            _ => None,
        };
        if b != b' ' && b != b'\t' {
            leading = false;
        }
        if let Some(e) = esc {
            out.push_str(e);
            i += 1;
            continue;
        }
        if b < 0x20 && b != b'\t' || b == 0x7f {
            let _ = write!(out, "\\x{b:02x}");
            i += 1;
            continue;
        }
        if b < 0x80 {
            out.push(b as char);
            i += 1;
            continue;
        }
        // A UTF-8 sequence is copied whole; a byte that does not start one is escaped.
        let n = match b {
            0xc2..=0xdf => 2,
            0xe0..=0xef => 3,
            0xf0..=0xf4 => 4,
            _ => 0,
        };
        match line.get(i..i + n).map(std::str::from_utf8) {
            Some(Ok(s)) if n > 0 => {
                out.push_str(s);
                i += n;
            }
            _ => {
                let _ = write!(out, "\\x{b:02x}");
                i += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(d: &[u8]) -> String {
        let mut s = String::new();
        split_string(&mut s, "    ", "String", d);
        s
    }

    #[test]
    fn split_string_escapes_like_tpm2_eventlog() {
        assert_eq!(
            split(b"grub_cmd: set x=1\0"),
            "    String: \"grub_cmd: set x=1\\0\"\n"
        );
        // Leading blanks of each line are escaped, later ones are not.
        assert_eq!(
            split(b"menu {\n\t\tfwsetup\n\t}\0"),
            "    String: \"menu {\\n\\\n      \\t\\tfwsetup\\n\\\n      \\t}\\0\"\n"
        );
        assert_eq!(split(b" a b"), "    String: \"\\x20a b\"\n");
        assert_eq!(split(b"\"q\"\\"), "    String: \"\\\"q\\\"\\\\\"\n");
        assert_eq!(split(b""), "    String: \"\"\n");
        assert_eq!(split(b"\x01\xff\xc3\xa9"), "    String: \"\\x01\\xffé\"\n");
    }

    #[test]
    fn block_text_and_c_string() {
        let mut s = String::new();
        block_text(&mut s, "  Event", c_string(b"Exit Boot Services\0junk"));
        assert_eq!(s, "  Event: |-\n    Exit Boot Services\n");
        let mut s = String::new();
        block_text(&mut s, "  Event", b"a\nb");
        assert_eq!(s, "  Event: |-\n    a\n    b\n");
    }
}
