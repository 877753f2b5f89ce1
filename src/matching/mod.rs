//! Matching enterprise needs to patents: explainable lexical similarity over an in-memory index.
//!
//! - [`text`]: normalisation and terms (Chinese bigrams, Latin words); [`variants`]: traditional
//!   characters read as simplified ones; [`cedict`]: the shipped CC-CEDICT both learn from.
//! - [`query`]: from a chatty need to weighted terms (filler removal, synonyms, typo tolerance); its
//!   `words` builds the need's own words and what stands in for unknown ones (stems, characters).
//! - [`synonyms`]: the admin-editable lay-term list.
//! - [`index`]: compact postings in immutable segments.
//! - [`search`]: ranking, filters, scores; a folder of its own: the index and the ranking that ties the
//!   stages together (`mod.rs`), first-stage candidate scoring (`first_stage`: BM25F impacts plus
//!   whole-word coverage), second-stage re-scoring (`second_stage`, with `plan`: alternatives counted
//!   once, one-character words), `filters`, `result`, `versions` (superseded patents) and `vocabulary`
//!   (the catalogue's keywords, taught to the segmenter).
//! - [`explain`]: a result's matched words and snippet (what the user is shown as the reason).
//! - [`calibration`]: when a result, or a whole answer, counts as a good match.
//! - [`live`]: the index kept current with the catalogue in PostgreSQL.
//! - [`dense`]: optional re-ranking of the best results by a sentence model (a separate server).
//! - [`eval`]: nDCG@10, Recall@10, MRR@10 on graded needs.

pub mod calibration;
mod cedict;
pub mod dense;
pub mod dictionary;
pub mod eval;
mod expand;
pub mod explain;
mod filler;
pub mod index;
pub mod live;
pub mod query;
pub mod search;
pub mod synonyms;
pub mod text;
pub mod variants;

pub use index::IndexDoc;
pub use live::Matcher;
pub use query::Analyzer;
pub use search::{Filters, Hit, Index, SearchResult};
pub use synonyms::Synonyms;
