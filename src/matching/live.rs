//! The index kept current with the catalogue in PostgreSQL: built at start-up, caught up after every
//! import (LISTEN/NOTIFY, with a periodic check as a safety net), swapped atomically so that concurrent
//! searches always see one whole index.

use super::dense::SentenceModel;
use super::index::IndexDoc;
use super::query::Analyzer;
use super::search::{Filters, Index, SearchResult};
use super::synonyms::Synonyms;
use crate::catalog::import::CHANGE_CHANNEL;
use crate::catalog::store;
use sqlx::PgPool;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;
use std::time::Instant;

/// Patents read from the database per chunk while building, so start-up memory stays bounded.
const LOAD_CHUNK: i64 = 50_000;
/// How often the refresher checks for changes even without a notification.
const POLL_EVERY: Duration = Duration::from_secs(30);
/// Rebuild from scratch once this many segments have piled up from incremental changes.
const MAX_SEGMENTS: usize = 64;

/// Search over the live catalogue; cheap to share (`Arc<Matcher>`).
pub struct Matcher {
    index: RwLock<Arc<Index>>,
    analyzer: RwLock<Arc<Analyzer>>,
    /// Highest `change_seq` the index reflects.
    seen: AtomicI64,
    /// The change sequence's value at the last look, so an unchanged catalogue costs no scan.
    last_checked: AtomicI64,
    /// Serialises refreshes; searches never wait for it.
    refreshing: tokio::sync::Mutex<()>,
    /// How long the last whole build took, in milliseconds (for operators' metrics).
    build_millis: AtomicU64,
    /// Re-ranking by a sentence model, when configured.
    dense: Option<Arc<SentenceModel>>,
}

/// What operators watch of the index.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IndexStats {
    pub patents: usize,
    pub memory_bytes: usize,
    pub build_seconds: f64,
}

impl Matcher {
    /// Builds the index from the catalogue.
    pub async fn load(pool: &PgPool, synonyms: Synonyms) -> Result<Self, sqlx::Error> {
        let started = Instant::now();
        let (index, seen) = load_index(pool).await?;
        let mut analyzer = Analyzer::new(synonyms);
        analyzer.learn_words(index.keywords().map(|(w, _)| w));
        let matcher = Self::from_parts(index, analyzer, seen);
        matcher.built_in(started);
        Ok(matcher)
    }

    /// A matcher over an index built elsewhere (tests, benchmarks, files).
    pub fn from_parts(index: Index, analyzer: Analyzer, seen: i64) -> Self {
        Self {
            index: RwLock::new(Arc::new(index)),
            analyzer: RwLock::new(Arc::new(analyzer)),
            seen: AtomicI64::new(seen),
            last_checked: AtomicI64::new(0),
            refreshing: tokio::sync::Mutex::new(()),
            build_millis: AtomicU64::new(0),
            dense: None,
        }
    }

    /// Re-ranks results by a sentence model from now on.
    pub fn with_dense(mut self, model: SentenceModel) -> Self {
        self.dense = Some(Arc::new(model));
        self
    }

    fn built_in(&self, started: Instant) {
        let millis = started.elapsed().as_millis().min(u64::MAX as u128) as u64;
        self.build_millis.store(millis, Ordering::Relaxed);
    }

    /// Patents searchable, heap bytes of the index, and how long its last whole build took.
    pub fn stats(&self) -> IndexStats {
        let (index, _) = self.snapshot();
        IndexStats {
            patents: index.len(),
            memory_bytes: index.memory().2,
            build_seconds: self.build_millis.load(Ordering::Relaxed) as f64 / 1000.0,
        }
    }

    /// The highest catalogue `change_seq` the index reflects.
    pub fn seen(&self) -> i64 {
        self.seen.load(Ordering::SeqCst)
    }

    /// The current index and analyser (consistent with each other for the whole search).
    pub fn snapshot(&self) -> (Arc<Index>, Arc<Analyzer>) {
        // A poisoned lock only means a writer panicked between two whole values; the value is still whole.
        let index = self.index.read().unwrap_or_else(|e| e.into_inner()).clone();
        let analyzer = self
            .analyzer
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        (index, analyzer)
    }

    /// The best `limit` patents for a need (re-ranked by the sentence model when one is configured).
    pub async fn search(&self, need: &str, filters: &Filters, limit: usize) -> SearchResult {
        let (index, analyzer) = self.snapshot();
        match &self.dense {
            Some(dense) => dense.search(&index, &analyzer, need, filters, limit).await,
            None => index.search(&analyzer, need, filters, limit),
        }
    }

    /// Replaces the synonyms list (after an admin edited and reloaded it).
    pub fn set_synonyms(&self, synonyms: Synonyms) {
        let (index, _) = self.snapshot();
        let mut analyzer = Analyzer::new(synonyms);
        analyzer.learn_words(index.keywords().map(|(w, _)| w));
        *self.analyzer.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(analyzer);
    }

    /// Applies catalogue changes since the last refresh; returns how many patents changed. `notified`
    /// (a commit was announced) forces a look even when the change sequence has not moved since the
    /// last one: the committing import may have drawn its values before that look.
    pub async fn refresh(&self, pool: &PgPool, notified: bool) -> Result<usize, sqlx::Error> {
        let _guard = self.refreshing.lock().await;
        let seen = self.seen.load(Ordering::SeqCst);
        let latest = current_seq(pool).await?;
        if latest <= seen || (!notified && latest == self.last_checked.load(Ordering::SeqCst)) {
            return Ok(0);
        }
        self.last_checked.store(latest, Ordering::SeqCst);
        // Only values seen on committed rows advance `seen`: an import still in progress holds lower ones.
        let changed = store::patents_changed_since(pool, seen).await?;
        if changed.is_empty() {
            return Ok(0);
        }
        let max_seq = changed.iter().map(|p| p.change_seq).max().unwrap_or(seen);
        let count = changed.len();
        let (current, _) = self.snapshot();
        let next = if current.segment_count() >= MAX_SEGMENTS || count > current.len() / 5 {
            let started = Instant::now();
            let rebuilt = load_index(pool).await?.0;
            self.built_in(started);
            rebuilt
        } else {
            let docs: Vec<IndexDoc> = changed.into_iter().map(to_doc).collect();
            // Building segments is CPU work; keep it off the async workers.
            tokio::task::spawn_blocking(move || current.with_changes(&docs))
                .await
                .map_err(|e| sqlx::Error::Protocol(format!("index update task failed: {e}")))?
        };
        *self.index.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(next);
        self.seen.store(max_seq, Ordering::SeqCst);
        tracing::info!(changed = count, "search index updated");
        Ok(count)
    }

    /// Keeps the index current until the process ends: refreshes on every catalogue notification and
    /// every [`POLL_EVERY`] in case a notification was missed (for instance while reconnecting).
    pub fn spawn_refresher(self: Arc<Self>, pool: PgPool) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            loop {
                let mut listener = match sqlx::postgres::PgListener::connect_with(&pool).await {
                    Ok(mut l) => match l.listen(CHANGE_CHANNEL).await {
                        Ok(()) => Some(l),
                        Err(e) => {
                            tracing::warn!(error = %e, "cannot LISTEN for catalogue changes; polling instead");
                            None
                        }
                    },
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot open a listener connection; polling instead");
                        None
                    }
                };
                // Catch up on anything that changed while there was no listener.
                if let Err(e) = self.refresh(&pool, true).await {
                    tracing::warn!(error = %e, "search index refresh failed");
                }
                loop {
                    let notified = match listener.as_mut() {
                        Some(l) => match tokio::time::timeout(POLL_EVERY, l.recv()).await {
                            Ok(Ok(_)) => true,
                            Ok(Err(e)) => {
                                tracing::warn!(error = %e, "catalogue listener lost; reconnecting");
                                break;
                            }
                            Err(_) => false,
                        },
                        None => {
                            tokio::time::sleep(POLL_EVERY).await;
                            false
                        }
                    };
                    if let Err(e) = self.refresh(&pool, notified).await {
                        tracing::warn!(error = %e, notified, "search index refresh failed");
                    }
                    if listener.is_none() {
                        break;
                    }
                }
            }
        })
    }
}

fn to_doc(p: store::StoredPatent) -> IndexDoc {
    IndexDoc {
        record: p.record,
        region: p.region,
    }
}

/// The change sequence's last value: O(1), unlike max(change_seq) over an unindexed table.
async fn current_seq(pool: &PgPool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM catalog_change_seq",
    )
    .fetch_one(pool)
    .await
}

/// Reads the whole catalogue in chunks (in id order) and indexes each chunk as it arrives.
async fn load_index(pool: &PgPool) -> Result<(Index, i64), sqlx::Error> {
    let mut index = Index::empty();
    let mut after_id = 0i64;
    let mut max_seq = 0i64;
    loop {
        let chunk = store::patents_after_id(pool, after_id, LOAD_CHUNK).await?;
        let Some(last) = chunk.last() else { break };
        after_id = last.id;
        max_seq = max_seq.max(chunk.iter().map(|p| p.change_seq).max().unwrap_or(0));
        let docs: Vec<IndexDoc> = chunk.into_iter().map(to_doc).collect();
        index = tokio::task::spawn_blocking(move || {
            index.add(&docs);
            index
        })
        .await
        .map_err(|e| sqlx::Error::Protocol(format!("index build task failed: {e}")))?;
    }
    Ok((index, max_seq))
}
