//! The oracle's script language (the one `conformance/README.md` describes): lines, tokens and the
//! argument grammars, parsed exactly as `oracle.c` parses them (C `strtoul` base 0 included).

/// Most tokens on one line.
pub const MAX_TOKENS: usize = 40;
/// Bits in a user nodemask buffer (1024 longs).
pub const MASK_BITS: u64 = 1024 * 64;
/// Most pages one touch/read/where/move may name.
pub const MAX_PAGES_OP: u64 = 65536;
/// Bytes per page.
pub const PAGE: u64 = 4096;

/// One operation line: its physical line number and its tokens.
#[derive(Debug)]
pub struct Line<'a> {
    /// The physical line number (1-based).
    pub number: usize,
    /// The tokens, or the error of a line with too many of them.
    pub tokens: Result<Vec<&'a [u8]>, TooManyTokens>,
}

/// The line has more than [`MAX_TOKENS`] tokens.
#[derive(Debug)]
pub struct TooManyTokens;

fn is_blank(c: u8) -> bool {
    c == b' ' || c == b'\t' || c == b'\r'
}

/// Splits one line into tokens; `#` at the start of a token starts a comment.
fn tokenize(line: &[u8]) -> Result<Vec<&[u8]>, TooManyTokens> {
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < line.len() {
        while i < line.len() && is_blank(line[i]) {
            i += 1;
        }
        if i >= line.len() || line[i] == b'#' || line[i] == 0 {
            break;
        }
        if tokens.len() == MAX_TOKENS {
            return Err(TooManyTokens);
        }
        let start = i;
        while i < line.len() && !is_blank(line[i]) && line[i] != 0 {
            i += 1;
        }
        tokens.push(&line[start..i]);
        // A NUL ends the C string of the line.
        if i < line.len() && line[i] == 0 {
            break;
        }
    }
    Ok(tokens)
}

/// Returns the operation lines of a script (blank and comment-only lines are skipped but
/// counted).
pub fn lines(script: &[u8]) -> Vec<Line<'_>> {
    let mut out = Vec::new();
    for (i, raw) in script.split(|&c| c == b'\n').enumerate() {
        let tokens = tokenize(raw);
        if matches!(&tokens, Ok(t) if t.is_empty()) {
            continue;
        }
        out.push(Line {
            number: i + 1,
            tokens,
        });
    }
    out
}

/// Returns the words after `topology:` of the script's topology directive, if any.
pub fn topology_directive(script: &[u8]) -> Option<String> {
    for raw in script.split(|&c| c == b'\n') {
        let text = String::from_utf8_lossy(raw);
        let trimmed = text.trim_start_matches([' ', '\t']);
        let Some(rest) = trimmed.strip_prefix('#') else {
            continue;
        };
        let rest = rest.trim_start_matches([' ', '\t']);
        if let Some(words) = rest.strip_prefix("topology:") {
            return Some(words.trim().to_string());
        }
    }
    None
}

/// C `strtoul(s, &end, 0)` requiring the whole token to be consumed (`oracle.c parse_num`).
pub fn parse_num(s: &[u8]) -> Option<u64> {
    let (value, rest) = strtoul(s, 0)?;
    rest.is_empty().then_some(value)
}

/// C `strtol(s, &end, 0)` requiring the whole token to be consumed (`oracle.c parse_long`).
pub fn parse_long(s: &[u8]) -> Option<i64> {
    if s.is_empty() {
        return None;
    }
    let (neg, digits) = match s[0] {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let (magnitude, rest) = strtoul_unsigned(digits, 0)?;
    if !rest.is_empty() {
        return None;
    }
    if neg {
        if magnitude > i64::MAX as u64 + 1 {
            return None;
        }
        Some((magnitude as i64).wrapping_neg())
    } else {
        i64::try_from(magnitude).ok()
    }
}

/// C `strtoul` with `base` 0 or 10: returns the value and the unparsed rest, or `None` when no
/// digits were read... except that C returns 0 with the end at the start; callers that need
/// the whole token treat a non-empty rest as an error anyway. Overflow (`ERANGE`) is `None`.
pub fn strtoul(s: &[u8], base: u32) -> Option<(u64, &[u8])> {
    if s.is_empty() {
        return None;
    }
    let (neg, digits) = match s[0] {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let (value, rest) = strtoul_unsigned(digits, base)?;
    if rest.len() == digits.len() {
        // No digits at all: C sets end = s.
        return Some((0, s));
    }
    Some((if neg { value.wrapping_neg() } else { value }, rest))
}

fn strtoul_unsigned(s: &[u8], base: u32) -> Option<(u64, &[u8])> {
    let (radix, body) = if (base == 0 || base == 16)
        && s.len() > 2
        && s[0] == b'0'
        && (s[1] | 0x20) == b'x'
        && (s[2] as char).is_ascii_hexdigit()
    {
        (16, &s[2..])
    } else if base == 0 && s.first() == Some(&b'0') {
        (8, s)
    } else if base == 0 {
        (10, s)
    } else {
        (base, s)
    };
    let mut value: u64 = 0;
    let mut overflow = false;
    let mut n = 0;
    for &c in body {
        let Some(d) = (c as char).to_digit(radix) else {
            break;
        };
        match value
            .checked_mul(u64::from(radix))
            .and_then(|v| v.checked_add(u64::from(d)))
        {
            Some(v) => value = v,
            None => overflow = true,
        }
        n += 1;
    }
    if overflow {
        return None;
    }
    if n == 0 {
        return Some((0, s));
    }
    Some((value, &body[n..]))
}

/// A symbol table for `parse_syms`.
pub type Syms = &'static [(&'static str, u64)];

/// Mode and mode-flag names (`oracle.c mode_syms`).
pub const MODE_SYMS: Syms = &[
    ("DEFAULT", 0),
    ("PREFERRED", 1),
    ("BIND", 2),
    ("INTERLEAVE", 3),
    ("LOCAL", 4),
    ("PREFERRED_MANY", 5),
    ("WEIGHTED_INTERLEAVE", 6),
    ("STATIC_NODES", 1 << 15),
    ("STATIC", 1 << 15),
    ("RELATIVE_NODES", 1 << 14),
    ("RELATIVE", 1 << 14),
    ("NUMA_BALANCING", 1 << 13),
    ("BALANCING", 1 << 13),
];
/// get_mempolicy flag names.
pub const GFLAG_SYMS: Syms = &[("NODE", 1), ("ADDR", 2), ("MEMS_ALLOWED", 4)];
/// mbind / move_pages flag names.
pub const MBFLAG_SYMS: Syms = &[("STRICT", 1), ("MOVE", 2), ("MOVE_ALL", 4)];

fn strip_prefix_ci<'a>(s: &'a [u8], prefix: &str) -> Option<&'a [u8]> {
    (s.len() >= prefix.len() && s[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes()))
        .then(|| &s[prefix.len()..])
}

/// `A|B|0x10`: names from `table` (any case, optional `MPOL_` / `MPOL_F_` / `MPOL_MF_`
/// prefix) or numbers, OR-ed together (`oracle.c parse_syms`).
pub fn parse_syms(s: &[u8], table: Syms) -> Option<u64> {
    let mut acc = 0u64;
    for part in s.split(|&c| c == b'|') {
        if part.is_empty() || part.len() >= 64 {
            return None;
        }
        let p = strip_prefix_ci(part, "MPOL_MF_")
            .or_else(|| strip_prefix_ci(part, "MPOL_F_"))
            .or_else(|| strip_prefix_ci(part, "MPOL_"))
            .unwrap_or(part);
        if p.first().is_some_and(u8::is_ascii_digit) {
            acc |= parse_num(p)?;
        } else {
            let (_, v) = table
                .iter()
                .find(|(name, _)| name.as_bytes().eq_ignore_ascii_case(p))?;
            acc |= v;
        }
    }
    // C: a trailing '|' is skipped and the loop ends; "A|" is accepted.
    Some(acc)
}

/// A user nodemask argument: `None` for a NULL pointer, else the buffer words.
pub type UserMask = Option<Vec<u64>>;

/// `-`, `none`/`empty`, `0xHEX` or a list `0-2,5` (`oracle.c parse_nodes`).
pub fn parse_nodes(s: &[u8]) -> Option<UserMask> {
    let mut buf = vec![0u64; (MASK_BITS / 64) as usize];
    if s == b"-" {
        return Some(None);
    }
    if s.eq_ignore_ascii_case(b"none") || s.eq_ignore_ascii_case(b"empty") {
        return Some(Some(buf));
    }
    if s.len() >= 2 && s[..2].eq_ignore_ascii_case(b"0x") {
        buf[0] = parse_num(s)?;
        return Some(Some(buf));
    }
    let mut rest = s;
    while !rest.is_empty() {
        if !rest[0].is_ascii_digit() {
            return None;
        }
        let (a, after) = strtoul(rest, 10)?;
        let mut b = a;
        rest = after;
        if rest.first() == Some(&b'-') {
            rest = &rest[1..];
            if !rest.first().is_some_and(u8::is_ascii_digit) {
                return None;
            }
            let (v, after) = strtoul(rest, 10)?;
            b = v;
            rest = after;
        }
        if b < a || b >= MASK_BITS {
            return None;
        }
        for i in a..=b {
            buf[(i / 64) as usize] |= 1 << (i % 64);
        }
        match rest.first() {
            Some(b',') => rest = &rest[1..],
            Some(_) => return None,
            None => {}
        }
    }
    Some(Some(buf))
}

/// `P` or `P+B` → `P*4096+B` bytes (`oracle.c parse_pagebytes`; wrapping like C).
pub fn parse_pagebytes(s: &[u8]) -> Option<u64> {
    if !s.first().is_some_and(u8::is_ascii_digit) {
        return None;
    }
    let (p, rest) = strtoul(s, 0)?;
    let (b, rest) = match rest.first() {
        Some(b'+') => {
            let q = &rest[1..];
            if !q.first().is_some_and(u8::is_ascii_digit) {
                return None;
            }
            strtoul(q, 0)?
        }
        _ => (0, rest),
    };
    if !rest.is_empty() {
        return None;
    }
    Some(p.wrapping_mul(PAGE).wrapping_add(b))
}

/// Prints a nodelist of user-buffer words the oracle's way (`none` when empty).
///
/// Skips whole words at a time, so that a large, mostly empty buffer costs one test per word.
pub fn format_nodelist(words: &[u64]) -> String {
    let bits = words.len() as u64 * 64;
    // The first bit at or after `from` that is set (`set`) or clear (`!set`), else `bits`.
    let next = |from: u64, set: bool| -> u64 {
        let mut i = from;
        while i < bits {
            let word = words[(i / 64) as usize];
            let word = if set { word } else { !word };
            let rest = word >> (i % 64);
            if rest != 0 {
                return i + u64::from(rest.trailing_zeros());
            }
            i = (i / 64 + 1) * 64;
        }
        bits
    };
    let mut out = String::new();
    let mut i = next(0, true);
    while i < bits {
        let end = next(i, false);
        if !out.is_empty() {
            out.push(',');
        }
        if end - 1 > i {
            out.push_str(&format!("{i}-{}", end - 1));
        } else {
            out.push_str(&i.to_string());
        }
        i = next(end, true);
    }
    if out.is_empty() {
        out.push_str("none");
    }
    out
}

/// Prints a mode word the oracle's way (`oracle.c out_mode`).
pub fn format_mode(m: i64) -> String {
    const NAMES: [&str; 7] = [
        "DEFAULT",
        "PREFERRED",
        "BIND",
        "INTERLEAVE",
        "LOCAL",
        "PREFERRED_MANY",
        "WEIGHTED_INTERLEAVE",
    ];
    let flags_mask = (1u64 << 15) | (1 << 14) | (1 << 13);
    let raw = m as u64;
    let mode = raw & !flags_mask;
    if raw >> 16 != 0 || mode > 6 {
        return format!("0x{raw:x}");
    }
    let mut s = NAMES[mode as usize].to_string();
    if raw & (1 << 15) != 0 {
        s.push_str("|STATIC_NODES");
    }
    if raw & (1 << 14) != 0 {
        s.push_str("|RELATIVE_NODES");
    }
    if raw & (1 << 13) != 0 {
        s.push_str("|NUMA_BALANCING");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strtoul_like_c() {
        assert_eq!(parse_num(b"0x10"), Some(16));
        assert_eq!(parse_num(b"010"), Some(8));
        assert_eq!(parse_num(b"-1"), Some(u64::MAX));
        assert_eq!(parse_num(b"0x"), None);
        assert_eq!(parse_num(b""), None);
        assert_eq!(parse_num(b"99999999999999999999999"), None);
        assert_eq!(parse_long(b"-5"), Some(-5));
    }

    #[test]
    fn tokens_and_comments() {
        let script = b"# c\n\nset_mempolicy BIND 0 1 64 # x\n  #y\necho a\tb\r\n";
        let lines = lines(script);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].number, 3);
        assert_eq!(lines[0].tokens.as_ref().unwrap().len(), 5);
        assert_eq!(lines[1].number, 5);
    }

    #[test]
    fn nodes_and_modes() {
        assert_eq!(parse_nodes(b"-"), Some(None));
        assert_eq!(parse_nodes(b"1,3-4").unwrap().unwrap()[0], 0b11010);
        assert!(parse_nodes(b"3-1").is_none());
        assert_eq!(
            parse_syms(b"BIND|mpol_f_static", MODE_SYMS),
            Some(2 | 1 << 15)
        );
        assert_eq!(format_mode(2 | 1 << 13), "BIND|NUMA_BALANCING");
        assert_eq!(format_nodelist(&[0b1011]), "0-1,3");
        assert_eq!(format_nodelist(&[]), "none");
        assert_eq!(format_nodelist(&[0, 0, 0]), "none");
        assert_eq!(format_nodelist(&[u64::MAX, 1]), "0-64");
        assert_eq!(format_nodelist(&[1 << 63, 0, 1]), "63,128");
        assert_eq!(format_nodelist(&[0, 1 << 63, 3]), "127-129");
        assert_eq!(format_nodelist(&[u64::MAX; 3]), "0-191");
        assert_eq!(format_nodelist(&[0, 0, 1 << 63]), "191");
        assert_eq!(parse_pagebytes(b"0+100"), Some(100));
    }

    /// The nodelist of `words` found one bit at a time.
    fn nodelist_bit_by_bit(words: &[u64]) -> String {
        let set: Vec<u64> = (0..words.len() as u64 * 64)
            .filter(|&i| words[(i / 64) as usize] & (1 << (i % 64)) != 0)
            .collect();
        let mut runs: Vec<(u64, u64)> = Vec::new();
        for i in set {
            match runs.last_mut() {
                Some((_, last)) if *last + 1 == i => *last = i,
                _ => runs.push((i, i)),
            }
        }
        let parts: Vec<String> = runs
            .iter()
            .map(|&(a, b)| {
                if a == b {
                    a.to_string()
                } else {
                    format!("{a}-{b}")
                }
            })
            .collect();
        if parts.is_empty() {
            "none".into()
        } else {
            parts.join(",")
        }
    }

    #[test]
    fn nodelist_word_skipping_matches_bit_by_bit() {
        // Words mostly empty, full, or sparse, so that runs start, end and cross word edges.
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut random = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..2000 {
            let len = (random() % 6) as usize;
            let words: Vec<u64> = (0..len)
                .map(|_| match random() % 5 {
                    0 => 0,
                    1 => u64::MAX,
                    2 => random() & random() & random(),
                    3 => !(1 << (random() % 64)),
                    _ => random(),
                })
                .collect();
            assert_eq!(
                format_nodelist(&words),
                nodelist_bit_by_bit(&words),
                "{words:x?}"
            );
        }
    }
}
