//! Characters that text fields refuse because a reader cannot see them.
//!
//! An invisible or direction-changing character makes two different strings
//! look the same (`ann\u{200B}@example.com` beside `ann@example.com`) or makes
//! a string read differently from what it holds (U+202E reverses what
//! follows). Identifiers (email addresses) refuse every such character;
//! display names refuse the ones that hide or reorder text; free text that
//! may run over several lines (a role's description) refuses control
//! characters other than line breaks and tabs.

/// What kind of unseen character a text holds, with the character.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unseen {
    /// A C0 or C1 control character, or DEL.
    Control(char),
    /// A zero-width, bidirectional-control or other format character.
    Invisible(char),
}

impl Unseen {
    /// The validation message for a field holding this character.
    pub fn message(self) -> String {
        match self {
            Unseen::Control(c) => format!("contains a control character ({})", code_point(c)),
            Unseen::Invisible(c) => {
                format!("contains an invisible or direction-changing character ({})", code_point(c))
            }
        }
    }
}

/// `U+XXXX` for a character.
fn code_point(c: char) -> String {
    format!("U+{:04X}", c as u32)
}

/// Whether `c` is a bidirectional control: the embeddings, overrides and
/// isolates, the marks LRM, RLM and ALM.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Whether `c` has no width of its own: zero-width space, non-joiner and
/// joiner, word joiner and the invisible operators, the byte-order mark
/// (zero-width no-break space), the Mongolian vowel separator.
pub fn is_zero_width(c: char) -> bool {
    matches!(c, '\u{180E}' | '\u{200B}'..='\u{200D}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}')
}

/// Whether `c` belongs to Unicode's general category Cf (format
/// characters), as of Unicode 16.0.
pub fn is_format(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{0600}'..='\u{0605}'
            | '\u{061C}'
            | '\u{06DD}'
            | '\u{070F}'
            | '\u{0890}'..='\u{0891}'
            | '\u{08E2}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{110BD}'
            | '\u{110CD}'
            | '\u{13430}'..='\u{1343F}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0001}'
            | '\u{E0020}'..='\u{E007F}'
    )
}

/// The first character an identifier must not hold: a control character
/// or any format (Cf) character.
pub fn unseen_in_identifier(s: &str) -> Option<Unseen> {
    s.chars().find_map(|c| {
        if c.is_control() {
            Some(Unseen::Control(c))
        } else if is_format(c) || is_bidi_control(c) || is_zero_width(c) {
            Some(Unseen::Invisible(c))
        } else {
            None
        }
    })
}

/// The first character a display name must not hold: a control character,
/// a bidirectional control or a zero-width character.
pub fn unseen_in_name(s: &str) -> Option<Unseen> {
    s.chars().find_map(|c| {
        if c.is_control() {
            Some(Unseen::Control(c))
        } else if is_bidi_control(c) || is_zero_width(c) {
            Some(Unseen::Invisible(c))
        } else {
            None
        }
    })
}

/// The first character a free text must not hold: a control character
/// other than a line break (`\n`, and the `\r` of a form's `\r\n`) or a
/// tab, so that a text may run over several lines but holds no NUL, escape
/// or other control.
pub fn unseen_in_text(s: &str) -> Option<Unseen> {
    s.chars().find(|&c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')).map(Unseen::Control)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_refuse_every_unseen_character() {
        for c in [
            '\u{0}',
            '\t',
            '\n',
            '\r',
            '\u{1B}',
            '\u{7F}',
            '\u{85}',
            '\u{9F}',
            '\u{AD}',
            '\u{61C}',
            '\u{180E}',
            '\u{200B}',
            '\u{200C}',
            '\u{200D}',
            '\u{200E}',
            '\u{200F}',
            '\u{202A}',
            '\u{202B}',
            '\u{202C}',
            '\u{202D}',
            '\u{202E}',
            '\u{2060}',
            '\u{2063}',
            '\u{2066}',
            '\u{2067}',
            '\u{2068}',
            '\u{2069}',
            '\u{206F}',
            '\u{FEFF}',
            '\u{FFF9}',
            '\u{E0001}',
            '\u{E0041}',
        ] {
            let s = format!("ann{c}@example.com");
            assert!(unseen_in_identifier(&s).is_some(), "U+{:04X} must be refused", c as u32);
        }
        assert_eq!(unseen_in_identifier("ann.lee+x@example.com"), None);
        assert_eq!(unseen_in_identifier("josé@exämple.com"), None);
    }

    #[test]
    fn names_refuse_hidden_and_reordering_characters() {
        for c in ['\u{0}', '\t', '\u{7F}', '\u{200B}', '\u{200D}', '\u{2060}', '\u{FEFF}', '\u{202E}', '\u{2067}'] {
            assert!(unseen_in_name(&format!("Ann{c}Lee")).is_some(), "U+{:04X} must be refused", c as u32);
        }
        for ok in ["Ann Lee", "José Núñez", "李小龙", "محمد علي", "Zoë O'Brien-Smith"] {
            assert_eq!(unseen_in_name(ok), None, "{ok}");
        }
    }

    #[test]
    fn free_text_refuses_controls_but_keeps_lines_and_tabs() {
        for c in ['\u{0}', '\u{7}', '\u{8}', '\u{B}', '\u{C}', '\u{1B}', '\u{7F}', '\u{85}', '\u{9F}'] {
            assert_eq!(unseen_in_text(&format!("Reads{c}history")), Some(Unseen::Control(c)), "U+{:04X}", c as u32);
        }
        for ok in ["Reads history", "Reads history\nand the outbox", "Line one\r\nLine two", "Col\tumn", "Zoë ✨"] {
            assert_eq!(unseen_in_text(ok), None, "{ok:?}");
        }
    }

    #[test]
    fn messages_name_the_code_point() {
        assert_eq!(
            Unseen::Invisible('\u{200B}').message(),
            "contains an invisible or direction-changing character (U+200B)"
        );
        assert_eq!(Unseen::Control('\t').message(), "contains a control character (U+0009)");
    }
}
