//! The order reference a public buyer puts on an order (docs/domain.md, Order reference): free
//! text of at most 64 characters; a reference in the form of a Leitweg-ID must be a valid one.
//! A Leitweg-ID (KoSIT format) is a coarse address of 2 to 12 digits, an optional fine address
//! of up to 30 letters and digits, and two check digits (ISO 7064 MOD 97-10 with A=10 … Z=35),
//! joined by hyphens.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

/// The longest reference the shop stores.
pub const MAX_REFERENCE_CHARS: usize = 64;
/// The longest coarse address (Grobadressierung).
const MAX_COARSE_DIGITS: usize = 12;
/// The longest fine address (Feinadressierung).
const MAX_FINE_CHARS: usize = 30;

/// What is wrong with a reference, as `details` of `invalid_reference`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum ReferenceProblem {
    /// Longer than [`MAX_REFERENCE_CHARS`].
    TooLong {
        /// The limit.
        max: usize,
    },
    /// Contains a line break, tab or other control character.
    ControlCharacter,
    /// A Leitweg-ID's coarse address is not 2 to 12 digits.
    LeitwegCoarse,
    /// A Leitweg-ID's fine address is not 1 to 30 letters and digits.
    LeitwegFine,
    /// A Leitweg-ID's check digits do not match.
    LeitwegCheckDigits {
        /// The check digits the rest of the ID gives.
        expected: String,
    },
}

/// Checks a reference and returns it trimmed; `None` for an empty one.
pub fn check(reference: &str) -> Result<Option<String>> {
    let trimmed = reference.trim();
    let refuse = |problem| Err(Error::InvalidReference(problem));
    if trimmed.chars().count() > MAX_REFERENCE_CHARS {
        return refuse(ReferenceProblem::TooLong {
            max: MAX_REFERENCE_CHARS,
        });
    }
    if trimmed.chars().any(char::is_control) {
        return refuse(ReferenceProblem::ControlCharacter);
    }
    if trimmed.is_empty() {
        return Ok(None);
    }
    if looks_like_leitweg_id(trimmed) {
        if let Some(problem) = leitweg_problem(trimmed) {
            return refuse(problem);
        }
    }
    Ok(Some(trimmed.to_string()))
}

/// A reference in the form of a Leitweg-ID: letters, digits and hyphens only, starting with a
/// state code (01 to 16) or the federation's (99), ending in a hyphen and two digits. Anything
/// else (`Kostenstelle 0815-12`, `PO-2025-001`) is free text.
fn looks_like_leitweg_id(text: &str) -> bool {
    let state = text.get(..2).and_then(|s| s.parse::<u8>().ok());
    let valid_state = state.is_some_and(|s| (1..=16).contains(&s) || s == 99)
        && text.as_bytes()[..2].iter().all(u8::is_ascii_digit);
    let last = text.rsplit('-').next().unwrap_or_default();
    valid_state
        && text.contains('-')
        && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && last.len() == 2
        && last.bytes().all(|b| b.is_ascii_digit())
}

/// What is wrong with a Leitweg-shaped reference, `None` when it is a valid Leitweg-ID.
fn leitweg_problem(text: &str) -> Option<ReferenceProblem> {
    let parts: Vec<&str> = text.split('-').collect();
    let (coarse, fine, check_digits) = match parts.as_slice() {
        [coarse, check_digits] => (*coarse, "", *check_digits),
        [coarse, fine, check_digits] => (*coarse, *fine, *check_digits),
        _ => return Some(ReferenceProblem::LeitwegFine),
    };
    if !(2..=MAX_COARSE_DIGITS).contains(&coarse.len())
        || !coarse.bytes().all(|b| b.is_ascii_digit())
    {
        return Some(ReferenceProblem::LeitwegCoarse);
    }
    if parts.len() == 3 && !(1..=MAX_FINE_CHARS).contains(&fine.len()) {
        return Some(ReferenceProblem::LeitwegFine);
    }
    let expected = check_digits_of(&format!("{coarse}{fine}"));
    (expected != check_digits).then_some(ReferenceProblem::LeitwegCheckDigits { expected })
}

/// MOD 97-10: letters as 10 … 35, two zeros appended, 98 minus the remainder by 97.
fn check_digits_of(body: &str) -> String {
    let remainder = body
        .chars()
        .filter_map(|c| c.to_digit(36))
        .flat_map(|value| {
            let text = value.to_string();
            text.bytes()
                .map(|b| u32::from(b - b'0'))
                .collect::<Vec<_>>()
        })
        .chain([0, 0])
        .fold(0_u32, |rest, digit| (rest * 10 + digit) % 97);
    format!("{:02}", 98 - remainder)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(text: &str) -> ReferenceProblem {
        match check(text) {
            Err(Error::InvalidReference(problem)) => problem,
            other => panic!("{text}: {other:?}"),
        }
    }

    #[test]
    fn valid_leitweg_ids_and_free_text_pass_trimmed() {
        for id in [
            "04011000-1234512345-06",
            "991-33333TEST-33",
            "991-33333test-33",
            "992-90009-96",
            "09564000-NUE0001-49",
            "04011000-900X999-08",
        ] {
            assert_eq!(check(&format!(" {id} ")).unwrap().as_deref(), Some(id));
        }
        for free in [
            "Kostenstelle 0815-12",
            "PO-2025-001",
            "2025-17",
            "Bestellung 4711",
            "ä",
        ] {
            assert_eq!(check(free).unwrap().as_deref(), Some(free), "{free}");
        }
        assert_eq!(check("   ").unwrap(), None);
        assert_eq!(check(&"x".repeat(64)).unwrap().map(|r| r.len()), Some(64));
    }

    #[test]
    fn each_fault_is_named_exactly() {
        assert_eq!(
            problem("04011000-1234512345-07"),
            ReferenceProblem::LeitwegCheckDigits {
                expected: "06".into()
            }
        );
        assert_eq!(
            problem("991-33333TEST-34"),
            ReferenceProblem::LeitwegCheckDigits {
                expected: "33".into()
            }
        );
        assert_eq!(problem("0401100012345-06"), ReferenceProblem::LeitwegCoarse);
        assert_eq!(problem("04A-123-06"), ReferenceProblem::LeitwegCoarse);
        assert_eq!(
            problem(&format!("04011000-{}-06", "1".repeat(31))),
            ReferenceProblem::LeitwegFine
        );
        assert_eq!(problem("04011000--06"), ReferenceProblem::LeitwegFine);
        assert_eq!(problem("04-01-10-06"), ReferenceProblem::LeitwegFine);
        assert_eq!(
            problem(&"x".repeat(65)),
            ReferenceProblem::TooLong { max: 64 }
        );
        assert_eq!(problem("a\nb"), ReferenceProblem::ControlCharacter);
        let error = check("992-90009-95").unwrap_err();
        assert_eq!(error.code(), "invalid_reference");
        assert_eq!(
            error.details(),
            serde_json::json!({"problem": "leitweg_check_digits", "expected": "96"})
        );
    }

    #[test]
    fn check_digits_follow_mod_97_10() {
        // KoSIT's worked example: 04011000123451234500 mod 97 = 92, 98 - 92 = 06.
        assert_eq!(check_digits_of("040110001234512345"), "06");
        for body in ["991", "99", "123456789012ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ"] {
            let digits = check_digits_of(body);
            let whole: String = format!("{body}{digits}")
                .chars()
                .map(|c| c.to_digit(36).unwrap().to_string())
                .collect();
            let rest = whole
                .bytes()
                .fold(0_u32, |r, b| (r * 10 + u32::from(b - b'0')) % 97);
            assert_eq!(rest, 1, "{body}{digits}");
        }
    }
}
