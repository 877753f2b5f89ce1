//! `embed` and the optional sentence model's settings: patents' vectors written once (and brought up
//! to date after imports), the model loaded for `search`, `eval`, `chat` and `serve`.

use super::*;
use crate::config::DenseSettings;
use crate::matching::IndexDoc;
use crate::matching::dense::encoder::{Encoder, Kind};
use crate::matching::dense::vectors::{Header, PatentVectors, text_hash};
use crate::matching::dense::{DenseError, SentenceModel, patent_text};

/// The file is saved after this many newly encoded patents, so an interrupted run keeps its work.
const SAVE_EVERY: usize = 512;

#[derive(Args, Debug)]
pub struct EmbedArgs {
    /// Encode this patents file instead of the catalogue in the database.
    #[arg(long)]
    pub corpus: Option<PathBuf>,
    /// The vectors file: created, or brought up to date (patents new or changed since are encoded).
    #[arg(long, env = "DENSE_VECTORS")]
    pub vectors: PathBuf,
    /// The OpenAI-compatible embeddings endpoint, e.g. http://127.0.0.1:8000/v1/embeddings.
    #[arg(long, env = "DENSE_ENCODER_URL", value_parser = crate::config::http_url)]
    pub encoder_url: url::Url,
    /// Patents sent per request.
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub batch: u16,
}

/// The sentence model when configured: its vectors read (an invalid file stops the command, naming the
/// file and line) and its encoder set up.
pub(crate) fn sentence_model(settings: &DenseSettings) -> anyhow::Result<Option<SentenceModel>> {
    let (Some(path), Some(url)) = (&settings.dense_vectors, &settings.dense_encoder_url) else {
        return Ok(None);
    };
    let vectors = PatentVectors::load(path)?;
    Ok(Some(SentenceModel {
        vectors,
        encoder: Encoder::new(url.as_str()),
        weight: settings.dense_weight,
    }))
}

/// Says at start-up whether the encoder answers (searches still work when it does not).
pub(crate) async fn check_encoder(model: &SentenceModel) {
    match model.need_vector("检测").await {
        Ok(_) => eprintln!(
            "sentence model on: {} patents' vectors ({})",
            model.vectors.len(),
            model.vectors.header.model
        ),
        Err(e) => {
            eprintln!("warning: {e}; results stay in lexical order until the encoder answers")
        }
    }
}

/// `queqiao embed`: encodes the patents that have no current vector.
pub(super) async fn embed(settings: &Common, args: EmbedArgs) -> anyhow::Result<ExitCode> {
    let docs = match &args.corpus {
        Some(path) => search::docs_from_file(path)?,
        None => search::docs_from_db(&connect(settings).await?).await?,
    };
    let mut vectors = match args.vectors.exists() {
        true => Some(PatentVectors::load(&args.vectors)?),
        false => None,
    };
    let todo: Vec<(&IndexDoc, String)> = docs
        .iter()
        .map(|d| (d, patent_text(&d.record)))
        .filter(|(d, text)| {
            let stored = vectors.as_ref().and_then(|v| v.get(&d.record.number));
            stored.is_none_or(|s| s.hash != text_hash(text))
        })
        .collect();
    let encoder = Encoder::new(args.encoder_url.as_str());
    let mut unsaved = 0;
    for (done, chunk) in todo.chunks(usize::from(args.batch)).enumerate() {
        let texts: Vec<String> = chunk.iter().map(|(_, t)| t.clone()).collect();
        let (encoded, model) = encoder.encode(Kind::Passage, &texts).await?;
        let v = vectors.get_or_insert_with(|| {
            PatentVectors::new(Header {
                model: model.clone(),
                dim: encoded.first().map_or(0, Vec::len),
            })
        });
        if v.header.model != model {
            return Err(DenseError::Model {
                served: model,
                made: v.header.model.clone(),
            }
            .into());
        }
        for ((doc, text), vector) in chunk.iter().zip(&encoded) {
            v.insert(&doc.record.number, text_hash(text), vector)?;
        }
        unsaved += chunk.len();
        if unsaved >= SAVE_EVERY {
            v.save(&args.vectors)?;
            unsaved = 0;
            let encoded = ((done + 1) * usize::from(args.batch)).min(todo.len());
            eprintln!("{encoded} of {} patents encoded", todo.len());
        }
    }
    if let Some(v) = &vectors
        && unsaved > 0
    {
        v.save(&args.vectors)?;
    }
    println!(
        "{} patents encoded, {} already current; {} vectors in {}",
        todo.len(),
        docs.len() - todo.len(),
        vectors.as_ref().map_or(0, PatentVectors::len),
        args.vectors.display()
    );
    Ok(ExitCode::SUCCESS)
}
