//! Euro amounts: `rust_decimal`, written as strings with exactly two places (`"60.16"`).

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Deserializer, Serializer};

/// Commercial rounding to the cent (half away from zero), as the shop and the invoice do.
pub fn round_cents(amount: Decimal) -> Decimal {
    let mut rounded = amount.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    rounded.rescale(2);
    rounded
}

/// The Shop API's text form of an amount: two decimal places, a dot, no currency.
pub fn to_text(amount: Decimal) -> String {
    round_cents(amount).to_string()
}

/// An amount as German readers expect it, as the app shows it: `1.234,56 €`.
pub fn german(amount: Decimal) -> String {
    let (sign, whole, cents) = parts(amount);
    format!("{sign}{},{cents} €", grouped(&whole, '.'))
}

/// An amount as English readers expect it, as the app shows it: `€1,234.56`.
pub fn english(amount: Decimal) -> String {
    let (sign, whole, cents) = parts(amount);
    format!("{sign}€{}.{cents}", grouped(&whole, ','))
}

/// Sign, whole euros and cents of the rounded amount, as text.
fn parts(amount: Decimal) -> (&'static str, String, String) {
    let text = to_text(amount);
    let (sign, digits) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest.to_string()),
        None => ("", text),
    };
    let (whole, cents) = digits.split_once('.').unwrap_or((digits.as_str(), "00"));
    (sign, whole.to_string(), cents.to_string())
}

/// `1234567` → `1.234.567` with `separator` between groups of three digits.
fn grouped(whole: &str, separator: char) -> String {
    let mut out = String::new();
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            out.push(separator);
        }
        out.push(digit);
    }
    out
}

/// Reads an amount from its decimal text; a JSON number is refused (floats are never money).
pub fn parse(text: &str) -> Option<Decimal> {
    let trimmed = text.trim();
    if trimmed.is_empty() || trimmed.contains(['e', 'E']) {
        return None;
    }
    trimmed.parse::<Decimal>().ok()
}

/// `#[serde(with = "crate::money")]` for a `Decimal` amount.
pub fn serialize<S: Serializer>(amount: &Decimal, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&to_text(*amount))
}

/// See [`serialize`].
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    let text = String::deserialize(d)?;
    parse(&text).ok_or_else(|| serde::de::Error::custom(format!("not a decimal amount: {text:?}")))
}

/// `#[serde(with = "crate::money::optional")]` for an amount that may be `null`.
pub mod optional {
    use super::*;

    /// Writes `null` or the amount's text.
    pub fn serialize<S: Serializer>(amount: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
        match amount {
            Some(a) => super::serialize(a, s),
            None => s.serialize_none(),
        }
    }

    /// Reads `null` or an amount's text.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|text| {
                parse(&text).ok_or_else(|| {
                    serde::de::Error::custom(format!("not a decimal amount: {text:?}"))
                })
            })
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros_free::dec;

    mod rust_decimal_macros_free {
        /// Parses a literal in tests without pulling in the macro crate.
        pub fn dec(s: &str) -> rust_decimal::Decimal {
            s.parse().unwrap()
        }
    }

    #[test]
    fn rounds_half_away_from_zero_to_two_places() {
        assert_eq!(to_text(dec("60.165")), "60.17");
        assert_eq!(to_text(dec("60.1643")), "60.16");
        assert_eq!(to_text(dec("-0.005")), "-0.01");
        assert_eq!(to_text(dec("12")), "12.00");
    }

    #[test]
    fn german_and_english_amounts_group_thousands() {
        assert_eq!(german(dec("1234.5")), "1.234,50 €");
        assert_eq!(german(dec("650")), "650,00 €");
        assert_eq!(german(dec("-1234567.891")), "-1.234.567,89 €");
        assert_eq!(english(dec("1234.56")), "€1,234.56");
        assert_eq!(english(dec("0.1")), "€0.10");
    }

    #[test]
    fn refuses_exponents_and_garbage() {
        assert_eq!(parse("1e3"), None);
        assert_eq!(parse("abc"), None);
        assert_eq!(parse(" 12.50 "), Some(dec("12.50")));
    }
}
