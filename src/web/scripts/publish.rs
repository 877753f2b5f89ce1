//! Publishing a new text of a script file, the one path for an edit and a rollback alike: under a lock
//! every process shares, the whole set is checked with the new text (the loader's own checks), the
//! replaced text is kept in the history, the audit log says who did it, the file is replaced atomically,
//! and on commit PostgreSQL tells every process to reload (this one reloads at once). A text with any
//! problem writes nothing: the file and the running scripts stay as they were.

use super::files::ScriptFile;
use super::store::{self, Actor, Replaced};
use crate::app::App;
use crate::app::tasks::SCRIPTS_CHANGED;
use crate::dialog::ScriptError;

/// What a publish did.
#[derive(Debug)]
pub enum Published {
    /// Written; the replaced text is version `0` of the history.
    Done(i64),
    /// The text is the file's own: nothing to do.
    Unchanged,
    /// The file changed since the editor opened it (another admin published): nothing written.
    Stale,
    /// Refused: every problem the set would have.
    Problems(Vec<ScriptError>),
}

/// Why a publish could not be done (logged; the page says it failed).
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("database: {0}")]
    Store(#[from] sqlx::Error),
    #[error("cannot read or write {file}: {source}")]
    Io {
        file: String,
        source: std::io::Error,
    },
}

/// A new text for a file.
pub struct Edit<'a> {
    pub file: &'a ScriptFile,
    pub text: &'a str,
    /// [`fingerprint`] of the text the editor was opened with; `None` (a rollback): whatever is there.
    pub base: Option<&'a str>,
    pub how: Replaced,
}

/// The hex SHA-256 of a text: the editor carries it to notice that the file changed meanwhile.
pub fn fingerprint(text: &str) -> String {
    store::sha(text)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Publishes `edit` as `by` (see the module's comment).
pub async fn publish(app: &App, by: &Actor, edit: Edit<'_>) -> Result<Published, PublishError> {
    let file = edit.file;
    let io = |source| PublishError::Io {
        file: file.name().to_owned(),
        source,
    };
    let mut tx = app.pool().begin().await?;
    // One publish at a time across processes: each checks against, and replaces, the others' result.
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('script_history'), 0)")
        .execute(&mut *tx)
        .await?;
    let old = file.read().map_err(io)?;
    if edit.base.is_some_and(|base| base != fingerprint(&old)) {
        return Ok(Published::Stale);
    }
    if old == edit.text {
        return Ok(Published::Unchanged);
    }
    if let Err(problems) = app.dialog_source().check_replacing(file.name(), edit.text) {
        return Ok(Published::Problems(problems));
    }
    let id = store::keep(&mut tx, file.name(), &old, edit.text, by, edit.how).await?;
    let (action, detail) = match edit.how {
        Replaced::Publish => ("script_publish", file.name().to_owned()),
        Replaced::Rollback(to) => ("script_rollback", format!("{} #{to}", file.name())),
    };
    crate::operators::audit::record(&mut tx, &by.channel, by.user_id, action, &detail).await?;
    // Delivered to every listening process when (and only if) the transaction commits.
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(SCRIPTS_CHANGED)
        .bind(file.name())
        .execute(&mut *tx)
        .await?;
    file.write(edit.text).map_err(io)?;
    if let Err(e) = tx.commit().await {
        // Nothing of the publish is recorded: the file goes back to what it was.
        if let Err(undo) = file.write(&old) {
            tracing::error!(file = file.name(), error = %undo, "cannot restore a script after a failed publish");
        }
        return Err(e.into());
    }
    if let Err(problems) = app.reload() {
        // Only a change by other means between the check and now can do this; the old set serves on.
        let list: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
        tracing::error!(errors = %list.join("; "), "a published script did not reload");
    }
    tracing::info!(
        file = file.name(),
        user_id = by.user_id,
        action,
        "script published"
    );
    Ok(Published::Done(id))
}
