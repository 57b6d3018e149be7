//! Text from outside (the shop, the system) made safe to show in one line.

/// Every control character (ANSI and OSC escapes start with one; CR, NEL and the rest end a line
/// somewhere) and the Unicode line and paragraph separators become spaces.
pub fn printable(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            c if c.is_control() => ' ',
            '\u{2028}' | '\u{2029}' => ' ',
            c => c,
        })
        .collect()
}
