//! The in-memory search index: BM25F impacts over title, keywords, abstract and claims, stored as compact
//! postings (delta-varint doc ids + one byte of quantised impact), in immutable segments that are built in
//! parallel and shared by concurrent readers.

use super::text::{Term, for_each_term, is_cjk};
use crate::catalog::record::{LegalStatus, LicenseMode, PatentRecord, PatentType};
use rustc_hash::FxHashMap;

/// Field weights for BM25F: a match in the title says more about the topic than one in the claims.
const FIELD_WEIGHTS: [f32; 4] = [3.0, 2.0, 1.0, 0.5];
/// BM25 saturation and length normalisation. B 0.85 rather than the textbook 0.75: a long abstract or
/// claims section says every word somewhere (development set, nDCG@10 odd / even halves: 0.712 / 0.773 at
/// 0.75, 0.714 / 0.774 at 0.85, 0.715 / 0.773 at 0.9; K1 from 0.9 to 2.0 no better on both halves).
const K1: f32 = 1.2;
const B: f32 = 0.85;

/// A patent as the index needs it.
#[derive(Debug, Clone)]
pub struct IndexDoc {
    pub record: PatentRecord,
    pub region: Option<String>,
}

/// Dictionaries of the short categorical fields, shared by all segments (filters compare ids).
#[derive(Debug, Clone, Default)]
pub struct Labels {
    names: Vec<String>,
    ids: FxHashMap<String, u16>,
}

impl Labels {
    pub fn id(&mut self, name: &str) -> u16 {
        if let Some(id) = self.ids.get(name) {
            return *id;
        }
        let id = self.names.len().min(u16::MAX as usize) as u16;
        self.names.push(name.to_owned());
        self.ids.insert(name.to_owned(), id);
        id
    }

    pub fn find(&self, name: &str) -> Option<u16> {
        self.ids.get(name).copied()
    }

    pub fn name(&self, id: u16) -> &str {
        self.names
            .get(id as usize)
            .map(String::as_str)
            .unwrap_or("")
    }

    pub fn names(&self) -> &[String] {
        &self.names
    }
}

/// Per-document facts used by filters, ranking ties and result marks.
#[derive(Debug, Clone, Copy)]
pub struct DocMeta {
    pub institution: u16,
    pub industry: u16,
    pub region: u16,
    /// Bit i set = `LicenseMode::ALL[i]` offered.
    pub modes: u8,
    pub legal_status: LegalStatus,
    pub patent_type: PatentType,
    pub rating_institution: u8,
    pub rating_enterprise: u8,
    /// -1 when no asking price is given.
    pub asking_price: i64,
}

impl DocMeta {
    pub fn offers(&self, mode: LicenseMode) -> bool {
        let bit = LicenseMode::ALL
            .iter()
            .position(|m| *m == mode)
            .unwrap_or(0);
        self.modes & (1 << bit) != 0
    }

    pub fn double_five(&self) -> bool {
        self.rating_institution == 5 && self.rating_enterprise == 5
    }
}

/// Field order inside a document's stored text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Title = 0,
    Keywords = 1,
    Abstract = 2,
    Claims = 3,
}

/// An immutable slice of the catalogue with its own postings.
pub struct Segment {
    numbers: Vec<[u8; 12]>,
    pub(crate) meta: Vec<DocMeta>,
    /// All stored text as UTF-16 (two bytes per Chinese character instead of UTF-8's three).
    text: Vec<u16>,
    /// Offsets into `text`: doc d's field f is `text[offsets[4d+f]..offsets[4d+f+1]]`.
    offsets: Vec<u32>,
    dictionary: FxHashMap<Term, u32>,
    /// Documents whose title, keywords or abstract contain each CJK character: the idf of a one-character
    /// word of a need (膜, 粉, 锁), which the bigram postings cannot give.
    char_df: FxHashMap<u16, u32>,
    /// Posting list of term t is `postings[starts[t]..starts[t+1]]`.
    starts: Vec<u64>,
    postings: Vec<u8>,
    df: Vec<u32>,
    /// Per term: documents that list it in their keywords, for how much a need's word names a technical
    /// concept rather than context (see `query::keyness`).
    keyword_df: Vec<u32>,
    /// Skip table: for each long list, every SKIP-th posting's (previous doc id, byte offset in the list),
    /// so that a lookup jumps to the right block instead of decoding the list from its start.
    skip_starts: Vec<u32>,
    skips: Vec<(u32, u32)>,
}

/// Postings per skip block.
const SKIP: usize = 128;

/// Field lengths (in characters) averaged over the whole build, for BM25 length normalisation.
#[derive(Debug, Clone, Copy)]
pub struct FieldStats {
    pub avg_len: [f32; 4],
}

impl FieldStats {
    pub fn of(docs: &[IndexDoc]) -> Self {
        let mut total = [0f64; 4];
        for d in docs {
            for (f, text) in field_texts(&d.record).iter().enumerate() {
                total[f] += text.chars().count() as f64;
            }
        }
        let n = docs.len().max(1) as f64;
        Self {
            avg_len: total.map(|t| ((t / n) as f32).max(1.0)),
        }
    }
}

fn field_texts(r: &PatentRecord) -> [std::borrow::Cow<'_, str>; 4] {
    [
        r.title.as_str().into(),
        r.keywords.join("、").into(),
        r.abstract_text.as_str().into(),
        r.claims.as_deref().unwrap_or("").into(),
    ]
}

fn push_varint(out: &mut Vec<u8>, mut v: u32) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Iterates a posting list: (doc, impact).
pub struct Postings<'a> {
    bytes: &'a [u8],
    pos: usize,
    doc: u32,
    first: bool,
}

impl Iterator for Postings<'_> {
    type Item = (u32, u8);
    #[inline]
    fn next(&mut self) -> Option<(u32, u8)> {
        if self.pos >= self.bytes.len() {
            return None;
        }
        let mut delta = 0u32;
        let mut shift = 0;
        loop {
            let b = self.bytes[self.pos];
            self.pos += 1;
            delta |= ((b & 0x7f) as u32) << shift;
            if b & 0x80 == 0 {
                break;
            }
            shift += 7;
        }
        self.doc = if self.first { delta } else { self.doc + delta };
        self.first = false;
        let impact = *self.bytes.get(self.pos)?;
        self.pos += 1;
        Some((self.doc, impact))
    }
}

impl Segment {
    /// Builds a segment; `labels` must already hold every institution, industry and region of `docs`.
    pub fn build(docs: &[IndexDoc], stats: &FieldStats, labels: &Labels) -> Segment {
        let mut numbers = Vec::with_capacity(docs.len());
        let mut meta = Vec::with_capacity(docs.len());
        let mut text: Vec<u16> = Vec::new();
        let mut offsets = Vec::with_capacity(docs.len() * 4 + 1);
        let mut dictionary: FxHashMap<Term, u32> = FxHashMap::default();
        let mut lists: Vec<Vec<u8>> = Vec::new();
        let mut last_doc: Vec<u32> = Vec::new();
        let mut keyword_df: Vec<u32> = Vec::new();
        let mut tf: FxHashMap<u32, [u16; 4]> = FxHashMap::default();
        let mut char_df: FxHashMap<u16, u32> = FxHashMap::default();
        let mut doc_chars: Vec<u16> = Vec::new();
        offsets.push(0);
        for (d, doc) in docs.iter().enumerate() {
            let r = &doc.record;
            let mut number = [b' '; 12];
            for (slot, b) in number.iter_mut().zip(r.number.bytes()) {
                *slot = b;
            }
            numbers.push(number);
            meta.push(DocMeta {
                institution: labels.find(&r.institution).unwrap_or(0),
                industry: labels.find(&r.industry).unwrap_or(0),
                region: labels
                    .find(doc.region.as_deref().unwrap_or(""))
                    .unwrap_or(0),
                modes: r.license_modes.iter().fold(0u8, |acc, m| {
                    acc | 1 << LicenseMode::ALL.iter().position(|x| x == m).unwrap_or(0)
                }),
                legal_status: r.legal_status,
                patent_type: r.patent_type,
                rating_institution: r
                    .rating
                    .as_ref()
                    .map(|x| x.institution.clamp(0, 5) as u8)
                    .unwrap_or(0),
                rating_enterprise: r
                    .rating
                    .as_ref()
                    .and_then(|x| x.enterprise)
                    .map(|e| e.clamp(0, 5) as u8)
                    .unwrap_or(0),
                asking_price: r.asking_price_cny.unwrap_or(-1),
            });
            tf.clear();
            let fields = field_texts(r);
            doc_chars.clear();
            let mut lens = [0f32; 4];
            for (f, field) in fields.iter().enumerate() {
                // Claims are indexed but not stored: they mostly restate the abstract, and leaving them out
                // keeps a million-patent index under 1 GB. Explanations and snippets use the other fields.
                if f != Field::Claims as usize {
                    let from = text.len();
                    text.extend(field.encode_utf16());
                    doc_chars.extend(
                        text[from..]
                            .iter()
                            .filter(|&&u| char::from_u32(u as u32).is_some_and(is_cjk)),
                    );
                }
                offsets.push(text.len() as u32);
                lens[f] = field.chars().count() as f32;
                for_each_term(field, |term| {
                    let next = dictionary.len() as u32;
                    let id = *dictionary.entry(term).or_insert_with(|| {
                        lists.push(Vec::new());
                        last_doc.push(0);
                        keyword_df.push(0);
                        next
                    });
                    let counts = tf.entry(id).or_insert([0; 4]);
                    counts[f] = counts[f].saturating_add(1);
                });
            }
            doc_chars.sort_unstable();
            doc_chars.dedup();
            for &c in &doc_chars {
                *char_df.entry(c).or_insert(0) += 1;
            }
            for (&id, counts) in &tf {
                if counts[Field::Keywords as usize] > 0 {
                    keyword_df[id as usize] += 1;
                }
                let mut wtf = 0f32;
                for f in 0..4 {
                    if counts[f] > 0 {
                        let norm = 1.0 - B + B * lens[f] / stats.avg_len[f];
                        wtf += FIELD_WEIGHTS[f] * counts[f] as f32 / norm;
                    }
                }
                let impact = (wtf / (K1 + wtf) * 255.0).round().clamp(1.0, 255.0) as u8;
                let list = &mut lists[id as usize];
                let d = d as u32;
                let delta = if list.is_empty() {
                    d
                } else {
                    d - last_doc[id as usize]
                };
                push_varint(list, delta);
                list.push(impact);
                last_doc[id as usize] = d;
            }
        }
        let mut starts = Vec::with_capacity(lists.len() + 1);
        let mut df = Vec::with_capacity(lists.len());
        let total: usize = lists.iter().map(Vec::len).sum();
        let mut postings = Vec::with_capacity(total);
        let mut skip_starts = Vec::with_capacity(lists.len() + 1);
        let mut skips = Vec::new();
        starts.push(0u64);
        skip_starts.push(0u32);
        for list in lists {
            postings.extend_from_slice(&list);
            starts.push(postings.len() as u64);
            df.push(build_skips(&list, &mut skips));
            skip_starts.push(skips.len() as u32);
        }
        text.shrink_to_fit();
        dictionary.shrink_to_fit();
        char_df.shrink_to_fit();
        keyword_df.shrink_to_fit();
        Segment {
            char_df,
            numbers,
            meta,
            text,
            offsets,
            dictionary,
            starts,
            postings,
            df,
            keyword_df,
            skip_starts,
            skips,
        }
    }

    pub fn len(&self) -> usize {
        self.numbers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.numbers.is_empty()
    }

    pub fn term_id(&self, term: &Term) -> Option<u32> {
        self.dictionary.get(term).copied()
    }

    /// Documents containing the (BMP) CJK character `c` in title, keywords or abstract.
    pub fn char_df(&self, c: u16) -> u32 {
        self.char_df.get(&c).copied().unwrap_or(0)
    }

    /// A stored field as UTF-16 code units, without copying.
    pub fn field_units(&self, doc: u32, field: Field) -> &[u16] {
        let i = doc as usize * 4 + field as usize;
        &self.text[self.offsets[i] as usize..self.offsets[i + 1] as usize]
    }

    /// Score of one-character words (UTF-16 unit, idf-weighted weight) in a document's title, keywords
    /// and abstract, saturated like the BM25F impacts.
    pub fn char_score(&self, doc: u32, chars: &[(u16, f32)]) -> f32 {
        let fields = [Field::Title, Field::Keywords, Field::Abstract];
        chars
            .iter()
            .map(|&(c, w)| {
                let wtf: f32 = fields
                    .iter()
                    .map(|&f| {
                        let n = self.field_units(doc, f).iter().filter(|&&u| u == c).count();
                        FIELD_WEIGHTS[f as usize] * n as f32
                    })
                    .sum();
                w * wtf / (K1 + wtf)
            })
            .sum()
    }

    pub fn df(&self, term: u32) -> u32 {
        self.df[term as usize]
    }

    /// Documents that list the term in their keywords.
    pub fn keyword_df(&self, term: u32) -> u32 {
        self.keyword_df[term as usize]
    }

    pub fn postings(&self, term: u32) -> Postings<'_> {
        let (a, b) = (
            self.starts[term as usize] as usize,
            self.starts[term as usize + 1] as usize,
        );
        Postings {
            bytes: &self.postings[a..b],
            pos: 0,
            doc: 0,
            first: true,
        }
    }

    /// Calls `found(doc, impact)` for each of `docs` (sorted ascending) that the term's list contains,
    /// decoding only the blocks that can hold them.
    pub fn for_each_impact(&self, term: u32, docs: &[u32], mut found: impl FnMut(u32, u8)) {
        let (a, b) = (
            self.starts[term as usize] as usize,
            self.starts[term as usize + 1] as usize,
        );
        let bytes = &self.postings[a..b];
        let skips = &self.skips[self.skip_starts[term as usize] as usize
            ..self.skip_starts[term as usize + 1] as usize];
        let mut it = Postings {
            bytes,
            pos: 0,
            doc: 0,
            first: true,
        };
        let mut current: Option<(u32, u8)> = it.next();
        for &target in docs {
            // Jump ahead when a later block starts before the target.
            let block = skips.partition_point(|&(prev, _)| prev < target);
            if block > 0 {
                let (prev, offset) = skips[block - 1];
                if current.is_none_or(|(d, _)| d <= prev) {
                    it = Postings {
                        bytes,
                        pos: offset as usize,
                        doc: prev,
                        first: false,
                    };
                    current = it.next();
                }
            }
            while let Some((d, _)) = current {
                if d >= target {
                    break;
                }
                current = it.next();
            }
            match current {
                Some((d, impact)) if d == target => found(d, impact),
                Some(_) => {}
                None => return,
            }
        }
    }

    pub fn number(&self, doc: u32) -> &str {
        std::str::from_utf8(&self.numbers[doc as usize])
            .unwrap_or("")
            .trim_end()
    }

    pub fn field(&self, doc: u32, field: Field) -> String {
        String::from_utf16_lossy(self.field_units(doc, field))
    }

    /// Approximate heap bytes held by the segment.
    pub fn memory_bytes(&self) -> usize {
        self.numbers.len() * 12
            + self.meta.len() * std::mem::size_of::<DocMeta>()
            + self.text.capacity() * 2
            + self.offsets.capacity() * 4
            + self.dictionary.capacity() * (std::mem::size_of::<Term>() + 4 + 8)
            + self.char_df.capacity() * 8
            + self.starts.capacity() * 8
            + self.postings.capacity()
            + self.df.capacity() * 4
            + self.keyword_df.capacity() * 4
            + self.skip_starts.capacity() * 4
            + self.skips.capacity() * 8
    }

    /// Bytes of the postings alone (the compact part the index design is about).
    pub fn postings_bytes(&self) -> usize {
        self.postings.len()
            + self.starts.len() * 8
            + self.df.len() * 4
            + self.skips.len() * 8
            + self.skip_starts.len() * 4
    }

    /// Bytes of stored text (for snippets and explanations).
    pub fn text_bytes(&self) -> usize {
        self.text.len() * 2 + self.offsets.len() * 4
    }
}

/// Walks a list once: appends its skip entries (blocks after the first) and returns its length.
fn build_skips(list: &[u8], skips: &mut Vec<(u32, u32)>) -> u32 {
    let mut it = Postings {
        bytes: list,
        pos: 0,
        doc: 0,
        first: true,
    };
    let mut count = 0u32;
    let mut prev_doc = 0u32;
    loop {
        let offset = it.pos as u32;
        let Some((doc, _)) = it.next() else { break };
        if count > 0 && (count as usize).is_multiple_of(SKIP) {
            skips.push((prev_doc, offset));
        }
        prev_doc = doc;
        count += 1;
    }
    count
}

/// Labels for every categorical value in `docs`, with id 0 reserved for "none".
pub fn labels_for(docs: &[IndexDoc], labels: &mut Labels) {
    labels.id("");
    for d in docs {
        labels.id(&d.record.institution);
        labels.id(&d.record.industry);
        labels.id(d.region.as_deref().unwrap_or(""));
    }
}

/// Builds segments over `docs` on all cores.
pub fn build_segments(docs: &[IndexDoc], labels: &Labels) -> Vec<Segment> {
    if docs.is_empty() {
        return Vec::new();
    }
    let stats = FieldStats::of(docs);
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    // Small catalogues gain nothing from splitting; one segment also keeps scoring simplest.
    let parts = if docs.len() < 50_000 { 1 } else { threads };
    let chunk = docs.len().div_ceil(parts);
    std::thread::scope(|s| {
        let handles: Vec<_> = docs
            .chunks(chunk)
            .map(|c| s.spawn(move || Segment::build(c, &stats, labels)))
            .collect();
        handles.into_iter().filter_map(|h| h.join().ok()).collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skip_lookups_agree_with_a_full_walk() {
        // One term in every third document: a list long enough for many skip blocks.
        let docs: Vec<IndexDoc> = (0..2_000)
            .map(|i| {
                let mut record: PatentRecord = serde_json::from_str(
                    crate::catalog::store::DEMO_PATENTS.lines().next().unwrap(),
                )
                .unwrap();
                record.number = format!("CN{:09}A", 100_000_000 + i);
                record.title = if i % 3 == 0 {
                    "磁悬浮".into()
                } else {
                    "齿轮".into()
                };
                IndexDoc {
                    record,
                    region: None,
                }
            })
            .collect();
        let mut labels = Labels::default();
        labels_for(&docs, &mut labels);
        let seg = Segment::build(&docs, &FieldStats::of(&docs), &labels);
        let id = seg.term_id(&Term::bigram('磁', '悬')).unwrap();
        let all: Vec<(u32, u8)> = seg.postings(id).collect();
        assert_eq!(all.len(), 667);
        let targets: Vec<u32> = vec![0, 1, 3, 300, 301, 1500, 1998, 1999];
        let mut got = Vec::new();
        seg.for_each_impact(id, &targets, |d, i| got.push((d, i)));
        let want: Vec<(u32, u8)> = all
            .iter()
            .copied()
            .filter(|(d, _)| targets.contains(d))
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn varint_postings_round_trip() {
        let mut list = Vec::new();
        let docs = [0u32, 1, 130, 20_000, 5_000_000];
        let mut last = 0;
        for (i, d) in docs.iter().enumerate() {
            push_varint(&mut list, if i == 0 { *d } else { d - last });
            list.push(i as u8 + 1);
            last = *d;
        }
        let got: Vec<(u32, u8)> = Postings {
            bytes: &list,
            pos: 0,
            doc: 0,
            first: true,
        }
        .collect();
        assert_eq!(
            got,
            vec![(0, 1), (1, 2), (130, 3), (20_000, 4), (5_000_000, 5)]
        );
    }
}
