//! Catalogue import for admins: upload a JSON Lines or CSV file of patents or institutions; it is imported
//! in the background by the same validated, all-or-nothing import as `queqiao import`
//! ([`crate::catalog::upload`]); its page shows the bytes read as they advance (it refreshes itself, no
//! script) and then the report: counts, and every problem as `FILE:LINE: field: reason`. Progress and
//! reports live in `import_jobs` ([`super::import_jobs`]); each import is written to the audit log.

use super::admin::{Admin, date, head, refusal};
use super::auth::Signed;
use super::import_jobs::{self as jobs, Job};
use super::{html, read_by_path_id, see_other, server_error};
use crate::catalog::import::{FileReport, ImportOptions};
use axum::extract::{Multipart, Path};
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use sqlx::PgPool;
use std::fmt::Write;
use std::path::PathBuf;
use std::time::Duration;

/// The largest file the console takes (a bigger catalogue goes through `queqiao import`).
pub const MAX_UPLOAD_MB: usize = 256;
/// How often a running import writes its progress.
const TICK: Duration = Duration::from_millis(500);

/// `GET /web/admin/import`: the upload form and the newest imports.
pub async fn page(Admin(signed): Admin) -> Response {
    let recent = match jobs::recent(signed.app.pool()).await {
        Ok(r) => r,
        Err(e) => return server_error(&signed.app, "listing imports", e),
    };
    let t = |key: &str| html::esc(&signed.t(key, &[]));
    let title = signed.t("nav_import", &[]);
    let mut body = format!(
        "<h2>{}</h2>{}<form method=\"post\" action=\"/web/admin/import\" enctype=\"multipart/form-data\">{}\
         <label>{}<input type=\"file\" name=\"file\" accept=\".jsonl,.json,.csv\" required></label><br>\
         <label><input type=\"checkbox\" name=\"skip_invalid\" value=\"1\"> {}</label><br>\
         <label><input type=\"checkbox\" name=\"create_institutions\" value=\"1\"> {}</label><br>\
         <button>{}</button></form>",
        html::esc(&title),
        html::para(
            &signed.t("import_intro", &[("count", MAX_UPLOAD_MB.to_string())]),
            None
        ),
        html::csrf_field(&signed.session.csrf),
        t("import_file"),
        t("import_skip_invalid"),
        t("import_create_institutions"),
        t("import_start"),
    );
    if !recent.is_empty() {
        let _ = write!(body, "<h3>{}</h3>", t("import_recent"));
        body.push_str(&head(
            &signed,
            &["col_id", "col_file", "col_who", "col_when", "col_status"],
        ));
        for j in &recent {
            let _ = write!(
                body,
                "<tr><td><a href=\"/web/admin/import/{id}\">#{id}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                html::esc(&j.file),
                html::esc(&j.started_by),
                date(j.started_at),
                html::esc(&outcome_line(&signed, j)),
                id = j.id,
            );
        }
        body.push_str("</tbody></table>");
    }
    signed.page(StatusCode::OK, &title, &body)
}

/// What an upload carried.
struct Upload {
    csrf: String,
    /// The file's name as uploaded (its last component, printable characters only).
    name: String,
    dir: PathBuf,
    path: PathBuf,
    bytes: u64,
    opts: ImportOptions,
}

/// Why an upload was refused: the text key (and its count) that says so.
type Refused = (StatusCode, &'static str);

/// Reads the form, writing the file to a new temporary folder as it arrives.
async fn receive(mut form: Multipart) -> Result<Upload, Refused> {
    let bad = (StatusCode::BAD_REQUEST, "upload_missing");
    let dir = std::env::temp_dir().join(format!("queqiao-upload-{:016x}", rand::random::<u64>()));
    std::fs::create_dir(&dir).map_err(|_| (StatusCode::INTERNAL_SERVER_ERROR, "upload_missing"))?;
    let mut up = Upload {
        csrf: String::new(),
        name: String::new(),
        path: dir.join("upload"),
        dir,
        bytes: 0,
        opts: ImportOptions::default(),
    };
    let cleanup = |up: &Upload| {
        let _ = std::fs::remove_dir_all(&up.dir);
    };
    loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                cleanup(&up);
                return Err(limit_or(e.status(), bad));
            }
        };
        match field.name().unwrap_or_default() {
            "csrf" => up.csrf = field.text().await.unwrap_or_default(),
            "skip_invalid" => up.opts.skip_invalid = true,
            "create_institutions" => up.opts.create_institutions = true,
            "file" => {
                up.name = clean_name(field.file_name().unwrap_or_default());
                if let Err(refused) = save(field, &mut up).await {
                    cleanup(&up);
                    return Err(refused);
                }
            }
            _ => {}
        }
    }
    if up.name.is_empty() || up.bytes == 0 {
        cleanup(&up);
        return Err(bad);
    }
    Ok(up)
}

fn limit_or(status: StatusCode, otherwise: Refused) -> Refused {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        (status, "upload_too_big")
    } else {
        otherwise
    }
}

/// A file name fit to show: its last component, without control characters, at most 100 characters.
fn clean_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    last.chars().filter(|c| !c.is_control()).take(100).collect()
}

async fn save(
    mut field: axum::extract::multipart::Field<'_>,
    up: &mut Upload,
) -> Result<(), Refused> {
    use tokio::io::AsyncWriteExt;
    let lower = up.name.to_ascii_lowercase();
    if ![".jsonl", ".json", ".csv"]
        .iter()
        .any(|ext| lower.ends_with(ext))
    {
        return Err((StatusCode::BAD_REQUEST, "upload_format"));
    }
    let failed = (StatusCode::INTERNAL_SERVER_ERROR, "upload_missing");
    let mut out = tokio::fs::File::create(&up.path)
        .await
        .map_err(|_| failed)?;
    loop {
        match field.chunk().await {
            Ok(Some(chunk)) => {
                up.bytes += chunk.len() as u64;
                out.write_all(&chunk).await.map_err(|_| failed)?;
            }
            Ok(None) => break,
            Err(e) => {
                return Err(limit_or(
                    e.status(),
                    (StatusCode::BAD_REQUEST, "upload_missing"),
                ));
            }
        }
    }
    out.flush().await.map_err(|_| failed)
}

/// `POST /web/admin/import` (multipart): starts the import and goes to its page.
pub async fn upload(Admin(signed): Admin, form: Multipart) -> Response {
    let up = match receive(form).await {
        Ok(up) => up,
        Err((status, key)) => {
            let text = signed.t(key, &[("count", MAX_UPLOAD_MB.to_string())]);
            return refusal(&signed, status, &text);
        }
    };
    if let Err(r) = signed.check_csrf(&up.csrf) {
        let _ = std::fs::remove_dir_all(&up.dir);
        return r;
    }
    let person = &signed.session.person;
    let by = format!("{}:{}", person.channel, person.user_id);
    let pool = signed.app.pool().clone();
    let id = match jobs::start(&pool, &up.name, &by, up.bytes as i64).await {
        Ok(id) => id,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&up.dir);
            return server_error(&signed.app, "starting an import", e);
        }
    };
    tokio::spawn(run(pool, id, up, (person.channel.clone(), person.user_id)));
    see_other(&format!("/web/admin/import/{id}"))
}

/// Imports in the background, writing the progress every [`TICK`], then the audit entry and the outcome.
/// (The import is one transaction: if the process stops meanwhile, nothing of it is written.)
async fn run(pool: PgPool, id: i64, up: Upload, who: (String, i64)) {
    let bar = indicatif::ProgressBar::hidden();
    let ticker = tokio::spawn({
        let (pool, bar) = (pool.clone(), bar.clone());
        async move {
            loop {
                tokio::time::sleep(TICK).await;
                let _ = jobs::advance(&pool, id, bar.position() as i64).await;
            }
        }
    });
    let outcome =
        crate::catalog::upload::import_upload(&pool, &up.path, &up.name, &up.opts, bar).await;
    ticker.abort();
    let _ = std::fs::remove_dir_all(&up.dir);
    let detail = match &outcome {
        Ok(report) => report.summary(),
        Err(e) => e.clone(),
    };
    // Audited before the job shows as finished, so that whoever sees it finished finds it in the log.
    let audited = async {
        let mut conn = pool.acquire().await?;
        crate::operators::audit::record(&mut conn, &who.0, who.1, "import", &detail).await
    };
    if let Err(e) = audited.await {
        tracing::error!(error = %e, import = id, "cannot audit an import");
    }
    let report = outcome.map(|r| serde_json::to_value(&r).unwrap_or_default());
    if let Err(e) = jobs::finish(&pool, id, report).await {
        tracing::error!(error = %e, import = id, "cannot record an import's outcome");
    }
}

/// One line for the list: running (with its percentage), interrupted, imported, not imported, failed.
fn outcome_line(signed: &Signed, j: &Job) -> String {
    let file = ("file", j.file.clone());
    match (&j.finished_at, report_of(j), &j.error) {
        (None, _, _) if j.interrupted => signed.t("import_interrupted", &[file]),
        (None, _, _) => signed.t("import_running", &[file, ("count", percent(j).to_string())]),
        (Some(_), Some(r), _) if r.committed => signed.t("import_done", &[file]),
        (Some(_), Some(_), _) => signed.t("import_not_committed", &[file]),
        (Some(_), None, error) => signed.t(
            "import_failed",
            &[file, ("error", error.clone().unwrap_or_default())],
        ),
    }
}

fn percent(j: &Job) -> i64 {
    if j.bytes_total > 0 {
        (j.bytes_done * 100 / j.bytes_total).clamp(0, 100)
    } else {
        0
    }
}

fn report_of(j: &Job) -> Option<FileReport> {
    serde_json::from_value(j.report.as_ref()?.0.clone()).ok()
}

/// `GET /web/admin/import/{id}`: the progress (refreshing itself each second), then the report.
pub async fn job(Admin(signed): Admin, Path(id): Path<String>) -> Response {
    let not_found = || {
        refusal(
            &signed,
            StatusCode::NOT_FOUND,
            &signed.t("import_unknown", &[]),
        )
    };
    let read = read_by_path_id(&signed.app, &id, "reading an import", async |id| {
        jobs::get(signed.app.pool(), id).await
    });
    let j = match read.await {
        Ok(Some(j)) => j,
        Ok(None) => return not_found(),
        Err(r) => return r,
    };
    let title = signed.t("nav_import", &[]);
    let mut body = format!(
        "<h2>{}</h2>{}",
        html::esc(&title),
        html::para(&outcome_line(&signed, &j), None)
    );
    if j.finished_at.is_none() && !j.interrupted {
        let _ = write!(
            body,
            "<progress max=\"100\" value=\"{}\"></progress>",
            percent(&j)
        );
        let mut page = signed.page(StatusCode::OK, &title, &body);
        page.headers_mut()
            .insert("refresh", HeaderValue::from_static("1"));
        return page;
    }
    if let Some(r) = report_of(&j) {
        body.push_str(&report_body(&signed, &r));
    }
    let _ = write!(
        body,
        "<p><a href=\"/web/admin/import\">{}</a></p>",
        html::esc(&signed.t("import_again", &[]))
    );
    signed.page(StatusCode::OK, &title, &body)
}

fn report_body(signed: &Signed, r: &FileReport) -> String {
    let counts = [
        ("inserted", r.inserted.to_string()),
        ("updated", r.updated.to_string()),
        ("unchanged", r.unchanged.to_string()),
        ("rejected", r.rejected.to_string()),
        ("kind", r.kind.clone()),
    ];
    let mut out = html::para(&signed.t("import_counts", &counts), None);
    if !r.errors.is_empty() {
        let _ = write!(
            out,
            "<h3>{}</h3><ul class=\"problems\">",
            html::esc(&signed.t("import_errors", &[]))
        );
        for e in &r.errors {
            let _ = write!(out, "<li><code>{}</code></li>", html::esc(e));
        }
        out.push_str("</ul>");
    }
    out
}
