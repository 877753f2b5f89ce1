//! Catalogue import on the console (issue #15): an admin uploads a file; the page shows the progress, then
//! the report with every problem as `FILE:LINE`; a file with a problem writes nothing unless the admin
//! asked to skip invalid records; each import is audited; contacts and forms without the CSRF token are
//! refused. Over a real socket (multipart upload), with the import writing to PostgreSQL.

mod common;

use common::app::ADMIN;
use common::web::*;
use reqwest::multipart::{Form, Part};
use reqwest::{Client, StatusCode};
use std::time::{Duration, Instant};

/// A valid patent record with `number` and `title`, owned by `institution`.
fn patent(number: &str, title: &str, institution: &str) -> String {
    serde_json::json!({
        "number": number, "title": title,
        "abstract": "本发明公开了一种用于宠物美容店的自动烘干装置，包括烘干箱、风机和温度传感器。",
        "keywords": ["烘干"], "patent_type": "invention", "legal_status": "granted",
        "institution": institution, "industry": "智能装备", "license_modes": ["transfer"]
    })
    .to_string()
}

/// Uploads `body` as `name` with the form's `csrf` and `extra` fields; returns the status and where
/// it sent the browser.
async fn upload(
    client: &Client,
    c: &Console,
    csrf: &str,
    name: &str,
    body: String,
    extra: &[(&'static str, &'static str)],
) -> (StatusCode, String) {
    let mut form = Form::new().text("csrf", csrf.to_owned());
    for (k, v) in extra {
        form = form.text(*k, *v);
    }
    let form = form.part("file", Part::text(body).file_name(name.to_owned()));
    let r = client
        .post(c.url("/web/admin/import"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let to = r
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let status = r.status();
    let text = r.text().await.unwrap();
    (status, if to.is_empty() { text } else { to })
}

/// The import's page once it stopped refreshing itself (the import finished).
async fn finished(client: &Client, c: &Console, path: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let r = client.get(c.url(path)).send().await.unwrap();
        let refreshing = r.headers().contains_key("refresh");
        let page = r.text().await.unwrap();
        if !refreshing {
            return page;
        }
        assert!(Instant::now() < deadline, "still running: {page}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[sqlx::test]
async fn an_admin_imports_a_file_and_sees_every_problem_with_its_line(pool: sqlx::PgPool) {
    let mut c = Console::new(&pool).await;
    let institution = any_institution(&pool).await;
    let before = c.count("SELECT count(*) FROM patents").await;
    let admin = c.signed_in(ADMIN).await;
    let (status, page) = get(&admin, &c.url("/web/admin/import")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("enctype=\"multipart/form-data\""), "{page}");
    let csrf = field(&page, "csrf");
    let good = patent("CN900000001A", "宠物烘干装置", &institution);
    let bad = patent("CN-2", "一种不合格的记录", &institution);
    let file = format!("{good}\n{bad}\n");

    let (status, to) = upload(&admin, &c, &csrf, "新专利.jsonl", file.clone(), &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{to}");
    let page = finished(&admin, &c, &to).await;
    assert!(
        page.contains("新专利.jsonl 有错误，没有写入任何记录"),
        "{page}"
    );
    assert!(page.contains("新专利.jsonl:2: number"), "{page}");
    assert!(
        !page.contains("/tmp/"),
        "the temporary path is never shown: {page}"
    );
    assert_eq!(c.count("SELECT count(*) FROM patents").await, before);

    let skip = [("skip_invalid", "1")];
    let (status, to) = upload(&admin, &c, &csrf, "新专利.jsonl", file, &skip).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let page = finished(&admin, &c, &to).await;
    assert!(page.contains("新专利.jsonl 已导入"), "{page}");
    assert!(
        page.contains("新增 1") && page.contains("有错误 1"),
        "{page}"
    );
    assert_eq!(c.count("SELECT count(*) FROM patents").await, before + 1);
    let audited = c
        .count("SELECT count(*) FROM audit_log WHERE action = 'import' AND detail LIKE '新专利.jsonl%'")
        .await;
    assert_eq!(audited, 2);
    let (_, list) = get(&admin, &c.url("/web/admin/import")).await;
    assert!(list.contains("新专利.jsonl 已导入") && list.contains("没有写入任何记录"));

    let (status, page) = upload(&admin, &c, &csrf, "notes.txt", "x".into(), &[]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("只接受 .jsonl、.json 或 .csv 文件"), "{page}");
    let other = patent("CN900000003A", "另一种装置", &institution);
    let (status, _) = upload(&admin, &c, "0", "x.jsonl", other.clone(), &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "no CSRF token");

    register(&mut c, CONTACT_A, &institution).await;
    let contact = c.signed_in(CONTACT_A).await;
    let (_, board) = get(&contact, &c.url("/web/board")).await;
    let their = field(&board, "csrf");
    let (status, _) = upload(&contact, &c, &their, "x.jsonl", other, &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "contacts import nothing");
    assert_eq!(c.count("SELECT count(*) FROM patents").await, before + 1);
    let jobs = c.count("SELECT count(*) FROM import_jobs").await;
    assert_eq!(jobs, 2, "refused uploads start no import");
}

#[sqlx::test]
async fn an_import_whose_process_stopped_shows_as_interrupted(pool: sqlx::PgPool) {
    let mut c = Console::new(&pool).await;
    let admin = c.signed_in(ADMIN).await;
    // What a process leaves behind when it stops mid-import (a restart, a crash): the job is unfinished
    // and its heartbeat, written every half second while it lived, stopped two minutes ago.
    let insert = |file: &'static str, silent_secs: f64| {
        sqlx::query_scalar::<_, i64>(
            "INSERT INTO import_jobs (file, started_by, bytes_total, bytes_done, heartbeat_at)
             VALUES ($1, 'telegram:1', 1000, 400, now() - make_interval(secs => $2)) RETURNING id",
        )
        .bind(file)
        .bind(silent_secs)
        .fetch_one(&pool)
    };
    let stopped = insert("停掉的.jsonl", 120.0).await.unwrap();
    let alive = insert("进行中.jsonl", 0.0).await.unwrap();

    let r = admin
        .get(c.url(&format!("/web/admin/import/{stopped}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        !r.headers().contains_key("refresh"),
        "an interrupted import's page stops refreshing"
    );
    let page = r.text().await.unwrap();
    assert!(page.contains("停掉的.jsonl 的导入被中断"), "{page}");
    assert!(!page.contains("<progress"), "{page}");

    let r = admin
        .get(c.url(&format!("/web/admin/import/{alive}")))
        .send()
        .await
        .unwrap();
    assert!(
        r.headers().contains_key("refresh"),
        "a live import still refreshes"
    );
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("正在导入 进行中.jsonl：已读取 40%")
    );

    let (_, list) = get(&admin, &c.url("/web/admin/import")).await;
    assert!(list.contains("停掉的.jsonl 的导入被中断"), "{list}");
    assert!(list.contains("正在导入 进行中.jsonl"), "{list}");
}
