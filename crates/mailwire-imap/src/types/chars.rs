//! Character classes of RFC 3501 §9, as a lookup table.

const ATOM: u8 = 1;
const ASTRING: u8 = 2;
const TAG: u8 = 4;
const TEXT: u8 = 8;
const QUOTED: u8 = 16;
const LIST: u8 = 32;

const fn classify(b: u8) -> u8 {
    let mut class = 0;
    let is_char = b >= 0x01 && b <= 0x7f;
    let is_ctl = b <= 0x1f || b == 0x7f;
    let atom_special = matches!(
        b,
        b'(' | b')' | b'{' | b' ' | b'%' | b'*' | b'"' | b'\\' | b']'
    );
    if is_char && !is_ctl && !atom_special {
        class |= ATOM | ASTRING | LIST;
        if b != b'+' {
            class |= TAG;
        }
    }
    if b == b']' {
        class |= ASTRING | TAG | LIST;
    }
    if b == b'%' || b == b'*' {
        class |= LIST;
    }
    if is_char && b != b'\r' && b != b'\n' {
        class |= TEXT;
        if b != b'"' && b != b'\\' {
            class |= QUOTED;
        }
    }
    class
}

const TABLE: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        #[allow(clippy::cast_possible_truncation, reason = "i < 256")]
        {
            table[i] = classify(i as u8);
        }
        i += 1;
    }
    table
};

/// `ATOM-CHAR`: any CHAR except atom-specials.
pub(crate) const fn is_atom_char(b: u8) -> bool {
    TABLE[b as usize] & ATOM != 0
}

/// `ASTRING-CHAR = ATOM-CHAR / resp-specials`.
pub(crate) const fn is_astring_char(b: u8) -> bool {
    TABLE[b as usize] & ASTRING != 0
}

/// `tag = 1*<any ASTRING-CHAR except "+">`.
pub(crate) const fn is_tag_char(b: u8) -> bool {
    TABLE[b as usize] & TAG != 0
}

/// `TEXT-CHAR = <any CHAR except CR and LF>`.
pub(crate) const fn is_text_char(b: u8) -> bool {
    TABLE[b as usize] & TEXT != 0
}

/// A TEXT-CHAR that needs no backslash inside a quoted string.
pub(crate) const fn is_quoted_plain(b: u8) -> bool {
    TABLE[b as usize] & QUOTED != 0
}

/// `list-char = ATOM-CHAR / list-wildcards / resp-specials`.
pub(crate) const fn is_list_char(b: u8) -> bool {
    TABLE[b as usize] & LIST != 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_follow_the_formal_syntax() {
        assert!(is_atom_char(b'a') && is_atom_char(b'+') && is_atom_char(b'['));
        for b in [
            b'(', b')', b'{', b' ', b'%', b'*', b'"', b'\\', b']', 0x00, 0x1f, 0x7f, 0x80,
        ] {
            assert!(!is_atom_char(b), "{b:#x}");
        }
        assert!(is_astring_char(b']') && !is_astring_char(b'*'));
        assert!(is_tag_char(b']') && !is_tag_char(b'+') && is_tag_char(b'A'));
        assert!(is_text_char(b'"') && !is_text_char(b'\r') && !is_text_char(b'\n'));
        assert!(!is_text_char(0x80) && !is_text_char(0));
        assert!(is_quoted_plain(b' ') && !is_quoted_plain(b'"') && !is_quoted_plain(b'\\'));
        assert!(is_list_char(b'%') && is_list_char(b'*') && is_list_char(b']'));
        assert!(!is_list_char(b'(') && !is_list_char(b' '));
    }
}
