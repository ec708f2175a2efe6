//! 18-character Salesforce record ids: key prefix, row index, case-safe checksum.
//!
//! An emulated id is `prefix(3) + "5g0" + base62(row index, 9 digits)` plus the real 3-character
//! checksum suffix, so the row an id names is found without an index (`parse`).

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const CHECKSUM: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";
const POD: &str = "5g0";

/// The 18-character id of row `index` of the object with key prefix `prefix`.
pub(crate) fn make(prefix: &str, index: usize) -> String {
    let mut digits = [b'0'; 9];
    let mut n = index;
    for slot in digits.iter_mut().rev() {
        *slot = BASE62[n % 62];
        n /= 62;
    }
    let mut id = String::with_capacity(18);
    id.push_str(prefix);
    id.push_str(POD);
    id.extend(digits.iter().map(|&b| b as char));
    let suffix = checksum(&id);
    id.push_str(&suffix);
    id
}

/// Salesforce's case-insensitive suffix: one character per 5-character chunk, whose bits say
/// which characters of that chunk are upper case.
fn checksum(id15: &str) -> String {
    id15.as_bytes()
        .chunks(5)
        .map(|chunk| {
            let bits = chunk
                .iter()
                .enumerate()
                .filter(|(_, c)| c.is_ascii_uppercase())
                .fold(0usize, |acc, (i, _)| acc | (1 << i));
            CHECKSUM[bits] as char
        })
        .collect()
}

/// The key prefix and row index an emulated id names; accepts 15- and 18-character ids
/// (checking the checksum of the latter). `None` for anything else.
pub(crate) fn parse(id: &str) -> Option<(&str, usize)> {
    if !(id.len() == 15 || id.len() == 18) || !id.is_ascii() {
        return None;
    }
    let id15 = &id[..15];
    if id.len() == 18 && checksum(id15) != id[15..] {
        return None;
    }
    if &id15[3..6] != POD {
        return None;
    }
    let mut index = 0usize;
    for b in id15[6..].bytes() {
        let digit = BASE62.iter().position(|&c| c == b)?;
        index = index.checked_mul(62)?.checked_add(digit)?;
    }
    Some((&id15[..3], index))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_carry_the_real_checksum() {
        let id = make("001", 123_456);
        assert_eq!(id.len(), 18);
        assert_eq!(parse(&id), Some(("001", 123_456)));
        assert_eq!(parse(&id[..15]), Some(("001", 123_456)));
        // The documented example: 001A0000006Vm9r -> 001A0000006Vm9rIAC.
        assert_eq!(checksum("001A0000006Vm9r"), "IAC");
    }

    #[test]
    fn a_bad_checksum_is_rejected() {
        let mut id = make("003", 7);
        id.replace_range(15.., "ZZZ");
        assert_eq!(parse(&id), None);
    }
}
