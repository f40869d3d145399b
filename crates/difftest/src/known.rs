//! The list of known differences (known-differences.md): markdown tables under `##`
//! headings, one row per difference:
//!
//! `| case | command | kind | detail | why |`
//!
//! `case`, `command` and `detail` are globs (`*` any run, `?` one character) written in
//! backticks; `kind` is one of the [`Kind`](crate::run::Kind) names. A difference is listed
//! when some row matches it; every row must match at least one observed difference.

use crate::run::Diff;

#[derive(Clone, Debug)]
pub struct Row {
    /// The `##` heading the row is under (its category in reports).
    pub section: String,
    pub case: String,
    pub command: String,
    pub kind: String,
    pub detail: String,
    pub why: String,
    /// 1-based line in the file.
    pub line: usize,
}

impl Row {
    pub fn matches(&self, d: &Diff) -> bool {
        self.kind == d.kind.name()
            && glob(&self.case, &d.case)
            && glob(&self.command, &d.command)
            && glob(&self.detail, &d.detail)
    }
}

fn cell(s: &str) -> String {
    s.trim().trim_matches('`').to_string()
}

/// Parses the file; rows with the wrong number of cells are an error.
pub fn parse(text: &str) -> Result<Vec<Row>, String> {
    let mut section = String::new();
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let l = line.trim();
        if let Some(h) = l.strip_prefix("## ") {
            section = h.trim().to_string();
            continue;
        }
        if !l.starts_with('|') {
            continue;
        }
        let cells: Vec<&str> = l.trim_matches('|').split('|').collect();
        // The header row and the separator row of each table.
        if cells.first().is_some_and(|c| c.trim() == "case")
            || l.starts_with("|--")
            || l.starts_with("| --")
        {
            continue;
        }
        if cells.len() != 5 {
            return Err(format!(
                "line {}: a row needs 5 cells, has {}",
                i + 1,
                cells.len()
            ));
        }
        if section.is_empty() {
            return Err(format!("line {}: row before any `##` heading", i + 1));
        }
        let row = Row {
            section: section.clone(),
            case: cell(cells[0]),
            command: cell(cells[1]),
            kind: cell(cells[2]),
            detail: cell(cells[3]),
            why: cells[4].trim().to_string(),
            line: i + 1,
        };
        if !crate::run::Kind::ALL.iter().any(|k| k.name() == row.kind) {
            return Err(format!("line {}: unknown kind `{}`", i + 1, row.kind));
        }
        rows.push(row);
    }
    Ok(rows)
}

/// Glob match: `*` matches any run of characters, `?` one character.
pub fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob("nv/*", "nv/define/ordinary"));
        assert!(glob("*", ""));
        assert!(glob("a?c", "abc"));
        assert!(!glob("a?c", "ac"));
        assert!(glob(
            "*TPM_RC_COMMAND_CODE*",
            "ours=TPM_RC_COMMAND_CODE [0x143] theirs=x"
        ));
        assert!(!glob("nv/*", "pcr/nv"));
        assert!(glob("*a*b", "xxaxxb"));
        assert!(!glob("*a*b", "xxaxxbc"));
    }

    #[test]
    fn rows() {
        let t = "## Intentional\n| case | command | kind | detail | why |\n|---|---|---|---|---|\n| `cap/*` | `GetCapability` | `response` | `TPM_PT_REVISION:*` | we say 1.59 |\n";
        let r = parse(t).unwrap();
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].section, "Intentional");
        assert_eq!(r[0].detail, "TPM_PT_REVISION:*");
        assert!(parse("## X\n| a | b | nokind | d | e |\n").is_err());
    }
}
