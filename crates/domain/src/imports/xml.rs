//! A streaming reader of an XML document's tags, for the checks made before
//! calamine reads a spreadsheet's XML (`super::ods`, and the cell references
//! of an XLSX in `super::file`).

use super::file::FileError;

/// The longest tag accepted, in bytes.
const MAX_TAG_BYTES: usize = 1 << 20;
/// The deepest nesting accepted.
const MAX_DEPTH: usize = 1_000;

/// Where [`XmlTags`] is in the document.
#[derive(Default, Clone, Copy, PartialEq, Eq)]
enum Within {
    #[default]
    Text,
    Tag,
    Comment,
    CData,
    Instruction,
}

/// A streaming reader of an XML document's tags, enough to hold that every
/// element is closed, by its own name, and to show each tag (the bytes
/// between `<` and `>`) to a visitor. Quotes in tags, comments, CDATA and
/// processing instructions are skipped over as XML does; a DOCTYPE with an
/// internal subset is refused.
pub(crate) struct XmlTags {
    /// The part's name, for messages.
    part: &'static str,
    within: Within,
    tag: Vec<u8>,
    quote: Option<u8>,
    /// How many bytes of a closing `-->`, `]]>` or `?>` were just seen.
    closing: usize,
    open: Vec<Vec<u8>>,
}

impl XmlTags {
    /// A reader for the part named `part` (named in messages).
    pub(crate) fn new(part: &'static str) -> Self {
        XmlTags { part, within: Within::Text, tag: Vec::new(), quote: None, closing: 0, open: Vec::new() }
    }

    fn not_well_formed(&self) -> FileError {
        FileError::Damaged(format!("its {} is not well-formed XML", self.part))
    }

    /// Reads the next bytes of the document, showing each complete tag to `visit`.
    pub(crate) fn feed(&mut self, bytes: &[u8], visit: &mut impl FnMut(&[u8])) -> Result<(), FileError> {
        for &byte in bytes {
            match self.within {
                Within::Text => {
                    if byte == b'<' {
                        self.within = Within::Tag;
                        self.tag.clear();
                        self.quote = None;
                    }
                }
                Within::Tag => {
                    if self.quote.is_none() {
                        if self.tag.is_empty() && byte == b'?' {
                            (self.within, self.closing) = (Within::Instruction, 0);
                            continue;
                        }
                        if self.tag == b"!-" && byte == b'-' {
                            (self.within, self.closing) = (Within::Comment, 0);
                            continue;
                        }
                        if self.tag == b"![CDATA" && byte == b'[' {
                            (self.within, self.closing) = (Within::CData, 0);
                            continue;
                        }
                    }
                    match self.quote {
                        Some(quote) if byte == quote => self.quote = None,
                        Some(_) => {}
                        None if byte == b'"' || byte == b'\'' => self.quote = Some(byte),
                        None if byte == b'>' => {
                            self.close_tag(visit)?;
                            self.within = Within::Text;
                            continue;
                        }
                        None if byte == b'<' => return Err(self.not_well_formed()),
                        None => {}
                    }
                    self.tag.push(byte);
                    if self.tag.len() > MAX_TAG_BYTES {
                        return Err(FileError::Damaged(format!("its {} has a tag longer than 1 MB", self.part)));
                    }
                }
                Within::Comment | Within::CData => {
                    let dash = if self.within == Within::Comment { b'-' } else { b']' };
                    if byte == b'>' && self.closing >= 2 {
                        self.within = Within::Text;
                    } else if byte == dash {
                        self.closing += 1;
                    } else {
                        self.closing = 0;
                    }
                }
                Within::Instruction => {
                    if byte == b'>' && self.closing >= 1 {
                        self.within = Within::Text;
                    } else {
                        self.closing = usize::from(byte == b'?');
                    }
                }
            }
        }
        Ok(())
    }

    fn close_tag(&mut self, visit: &mut impl FnMut(&[u8])) -> Result<(), FileError> {
        let tag = std::mem::take(&mut self.tag);
        if let Some(declaration) = tag.strip_prefix(b"!") {
            // <!DOCTYPE …>: no internal subset (entities) is accepted.
            return if declaration.contains(&b'[') { Err(self.not_well_formed()) } else { Ok(()) };
        }
        if let Some(name) = tag.strip_prefix(b"/") {
            let name = name.trim_ascii_end();
            if self.open.pop().as_deref() != Some(name) {
                return Err(self.not_well_formed());
            }
        } else {
            let name_end = tag.iter().position(|b| b.is_ascii_whitespace() || *b == b'/').unwrap_or(tag.len());
            if name_end == 0 {
                return Err(self.not_well_formed());
            }
            if !tag.ends_with(b"/") {
                if self.open.len() >= MAX_DEPTH {
                    return Err(self.not_well_formed());
                }
                self.open.push(tag[..name_end].to_vec());
            }
        }
        visit(&tag);
        self.tag = tag;
        self.tag.clear();
        Ok(())
    }

    /// The end of the document: nothing may be left open.
    pub(crate) fn finish(&self) -> Result<(), FileError> {
        if self.within == Within::Text && self.open.is_empty() {
            Ok(())
        } else {
            Err(FileError::Damaged(format!("its {} is cut short", self.part)))
        }
    }
}

/// The attributes of a tag (the bytes between `<` and `>`): name and value
/// pairs, values without their quotes (and not unescaped). Reading stops at
/// anything that is not an attribute.
pub(crate) fn attributes(tag: &[u8]) -> impl Iterator<Item = (&[u8], &[u8])> {
    let name_end = tag.iter().position(|b| b.is_ascii_whitespace() || *b == b'/').unwrap_or(tag.len());
    let mut rest = &tag[name_end..];
    std::iter::from_fn(move || {
        let trimmed = rest.trim_ascii_start();
        let name_end = trimmed.iter().position(|b| b.is_ascii_whitespace() || *b == b'=')?;
        let name = &trimmed[..name_end];
        let after = trimmed[name_end..].trim_ascii_start().strip_prefix(b"=")?.trim_ascii_start();
        let quote = *after.first().filter(|q| **q == b'"' || **q == b'\'')?;
        let value_end = after[1..].iter().position(|&b| b == quote)?;
        rest = &after[value_end + 2..];
        Some((name, &after[1..1 + value_end]))
    })
}

/// A tag's name without its namespace prefix (`x:c` → `c`).
pub(crate) fn local_name(tag: &[u8]) -> &[u8] {
    let name = &tag[..tag.iter().position(|b| b.is_ascii_whitespace() || *b == b'/').unwrap_or(tag.len())];
    name.iter().rposition(|&b| b == b':').map_or(name, |colon| &name[colon + 1..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(xml: &[u8]) -> Result<Vec<Vec<u8>>, FileError> {
        let mut tags = XmlTags::new("test.xml");
        let mut seen = Vec::new();
        tags.feed(xml, &mut |tag| seen.push(tag.to_vec()))?;
        tags.finish()?;
        Ok(seen)
    }

    #[test]
    fn unclosed_or_mismatched_elements_are_refused() {
        for bad in [
            &b"<a><table:table>"[..],
            b"<a></b>",
            b"<a>",
            b"<a",
            b"<a x='>",
            b"<!-- never closed",
            b"<a><![CDATA[ x ]]</a>",
            b"<!DOCTYPE a [<!ENTITY e 'x'>]><a/>",
            b"<a><office:annotation><text:p>x</text:p></a>",
            b"</a>",
            b"<>",
        ] {
            assert!(check(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
        for good in [
            &b"<?xml version=\"1.0\"?><a b=\"x>y\" c='</a>'><!-- <b> --><![CDATA[</a><b>]]><c/></a>"[..],
            b"<a ><b /></a >",
            b"\xEF\xBB\xBF<a/>",
        ] {
            assert!(check(good).is_ok(), "{}", String::from_utf8_lossy(good));
        }
    }

    #[test]
    fn attributes_and_names() {
        let tag = br#"x:c r="B7" s = '2' t="s"/"#;
        let pairs: Vec<(&[u8], &[u8])> = attributes(tag).collect();
        assert_eq!(pairs, [(&b"r"[..], &b"B7"[..]), (b"s", b"2"), (b"t", b"s")]);
        assert_eq!(local_name(tag), b"c");
        assert_eq!(local_name(b"row r=\"1\""), b"row");
        assert_eq!(
            attributes(b"a b=\"x>y\" c='</a>'").map(|(_, v)| v.to_vec()).collect::<Vec<_>>(),
            [b"x>y".to_vec(), b"</a>".to_vec()]
        );
    }
}
