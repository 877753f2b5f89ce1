//! `queqiao import` against a real PostgreSQL: a fresh database per test.

mod common;

use common::*;
use queqiao::catalog::PatentRecord;
use queqiao::catalog::import::ImportOptions;
use queqiao::catalog::store;
use sqlx::PgPool;
use std::collections::HashMap;

async fn exported(pool: &PgPool) -> HashMap<String, PatentRecord> {
    store::patents_changed_since(pool, 0)
        .await
        .unwrap()
        .into_iter()
        .map(|p| (p.record.number.clone(), p.record))
        .collect()
}

#[sqlx::test]
async fn sample_imports_and_round_trips_exactly(pool: PgPool) {
    let dir = tempfile::tempdir().unwrap();
    let inst = write(dir.path(), "institutions.jsonl", store::DEMO_INSTITUTIONS);
    let pats = write(dir.path(), "patents.jsonl", store::DEMO_PATENTS);
    // Patents first on the command line: institutions are still imported first.
    let reports = import(&pool, &[pats, inst], &ImportOptions::default()).await;
    assert_eq!(reports[0].kind, "institutions");
    assert_eq!((reports[0].inserted, reports[1].inserted), (14, 3720));
    assert_eq!(patent_count(&pool).await, 3720);

    // Every field comes back exactly as the file had it, compared as JSON values.
    let stored = exported(&pool).await;
    for line in store::DEMO_PATENTS.lines() {
        let original: serde_json::Value = serde_json::from_str(line).unwrap();
        let number = original["number"].as_str().unwrap();
        let back = serde_json::to_value(&stored[number]).unwrap();
        assert_eq!(back, original, "{number}");
    }
    let institutions = store::institutions(&pool).await.unwrap();
    let mut expected = sample_institutions();
    expected.sort_by(|a, b| a.name.cmp(&b.name));
    assert_eq!(institutions, expected);
}

#[sqlx::test]
async fn reimport_updates_in_place(pool: PgPool) {
    let dir = tempfile::tempdir().unwrap();
    with_institutions(&pool, dir.path()).await;
    let mut patents = sample_patents();
    patents.truncate(100);
    let path = write(dir.path(), "p.jsonl", jsonl(&patents));
    import(
        &pool,
        std::slice::from_ref(&path),
        &ImportOptions::default(),
    )
    .await;
    let ids_before: Vec<i64> = sqlx::query_scalar("SELECT id FROM patents ORDER BY number")
        .fetch_all(&pool)
        .await
        .unwrap();

    patents[5].title = "一种改过标题的装置".into();
    let path = write(dir.path(), "p.jsonl", jsonl(&patents));
    let report = &import(&pool, &[path], &ImportOptions::default()).await[0];
    assert_eq!(
        (report.inserted, report.updated, report.rejected),
        (0, 100, 0)
    );
    let ids_after: Vec<i64> = sqlx::query_scalar("SELECT id FROM patents ORDER BY number")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(ids_before, ids_after);
    assert_eq!(
        exported(&pool).await[&patents[5].number].title,
        "一种改过标题的装置"
    );
}

/// Applies `mutate` to the third record of a five-record file and checks that the import names line 3 and
/// the field, and writes nothing.
async fn assert_rejected(pool: &PgPool, field: &str, mutate: impl Fn(&mut serde_json::Value)) {
    let dir = tempfile::tempdir().unwrap();
    let mut records: Vec<serde_json::Value> = sample_patents()
        .into_iter()
        .take(5)
        .map(|p| serde_json::to_value(p).unwrap())
        .collect();
    mutate(&mut records[2]);
    let path = write(dir.path(), "bad.jsonl", jsonl(&records));
    let report = &import(pool, std::slice::from_ref(&path), &ImportOptions::default()).await[0];
    assert!(!report.committed, "{field}: {report:?}");
    assert_eq!(report.rejected, 1, "{field}: {:?}", report.errors);
    let prefix = format!("{}:3: {field}: ", path.display());
    assert!(
        report.errors[0].starts_with(&prefix),
        "expected `{prefix}…`, got {:?}",
        report.errors
    );
    assert_eq!(
        patent_count(pool).await,
        0,
        "{field}: nothing may be written"
    );
}

#[sqlx::test]
async fn each_rule_rejects_with_line_and_field(pool: PgPool) {
    use serde_json::json;
    let dir = tempfile::tempdir().unwrap();
    with_institutions(&pool, dir.path()).await;
    let open =
        json!({"payment": "lump_sum", "fee_cny": 1000, "royalty_percent": null, "term_years": 2});
    let set =
        |k: &'static str, v: serde_json::Value| move |r: &mut serde_json::Value| r[k] = v.clone();
    assert_rejected(&pool, "number", set("number", json!("CN12AB"))).await;
    assert_rejected(&pool, "title", set("title", json!("长".repeat(201)))).await;
    assert_rejected(&pool, "patent_type", set("patent_type", json!("software"))).await;
    assert_rejected(&pool, "legal_status", set("legal_status", json!("expired"))).await;
    assert_rejected(&pool, "license_modes", set("license_modes", json!([]))).await;
    assert_rejected(
        &pool,
        "license_modes[0]",
        set("license_modes", json!(["rent"])),
    )
    .await;
    assert_rejected(
        &pool,
        "application_date",
        set("application_date", json!("2023-02-30")),
    )
    .await;
    assert_rejected(
        &pool,
        "rating.institution",
        set("rating", json!({"institution": 6, "enterprise": null})),
    )
    .await;
    assert_rejected(&pool, "colour", set("colour", json!("red"))).await;
    assert_rejected(
        &pool,
        "institution",
        set("institution", json!("不存在大学")),
    )
    .await;
    assert_rejected(&pool, "title", |r| {
        r.as_object_mut().unwrap().remove("title");
    })
    .await;
    // Open licence: only on a granted patent, never with exclusive or sole, terms consistent with payment.
    assert_rejected(&pool, "license_modes", |r| {
        r["license_modes"] = json!(["open"]);
        r["legal_status"] = json!("pending");
        r["open_license"] = open.clone();
    })
    .await;
    assert_rejected(&pool, "license_modes", |r| {
        r["license_modes"] = json!(["open", "sole"]);
        r["legal_status"] = json!("granted");
        r["open_license"] = open.clone();
    })
    .await;
    assert_rejected(&pool, "open_license.royalty_percent", |r| {
        r["license_modes"] = json!(["open"]);
        r["legal_status"] = json!("granted");
        r["open_license"] =
            json!({"payment": "royalty", "fee_cny": null, "royalty_percent": 0, "term_years": 2});
    })
    .await;
    assert_rejected(&pool, "open_license", |r| {
        r["license_modes"] = json!(["transfer"]);
        r["open_license"] = open.clone();
    })
    .await;
}

#[sqlx::test]
async fn bad_inputs_get_clear_messages(pool: PgPool) {
    let dir = tempfile::tempdir().unwrap();
    with_institutions(&pool, dir.path()).await;
    let good = jsonl(&sample_patents()[..3]);
    let lines: Vec<&str> = good.lines().collect();

    let run = |name: &'static str, content: Vec<u8>| {
        let path = write(dir.path(), name, content);
        let pool = pool.clone();
        async move {
            queqiao::catalog::import::import_paths(&pool, &[path], &ImportOptions::default()).await
        }
    };

    // Invalid UTF-8 on line 2.
    let mut bytes = format!("{}\n", lines[0]).into_bytes();
    let mut bad = lines[1].as_bytes().to_vec();
    bad[30] = 0xC3;
    bad[31] = 0x28;
    bytes.extend(bad);
    bytes.push(b'\n');
    let report = &run("utf8.jsonl", bytes).await.unwrap()[0];
    assert!(
        report.errors[0].contains(":2: record: invalid UTF-8"),
        "{:?}",
        report.errors
    );

    // Empty file.
    let err = run("empty.jsonl", Vec::new())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.ends_with("empty.jsonl: the file is empty (no records)"),
        "{err}"
    );

    // Truncated last line.
    let half: String = lines[1]
        .chars()
        .take(lines[1].chars().count() / 2)
        .collect();
    let cut = format!("{}\n{}", lines[0], half);
    let report = &run("cut.jsonl", cut.into_bytes()).await.unwrap()[0];
    assert!(
        report.errors[0].contains(":2: record: truncated last line"),
        "{:?}",
        report.errors
    );

    // A 10 MB field.
    let mut huge: serde_json::Value = serde_json::from_str(lines[1]).unwrap();
    huge["abstract"] = serde_json::Value::String("长".repeat(10 * 1024 * 1024 / 3));
    let content = format!("{}\n{}\n", lines[0], huge);
    let report = &run("huge.jsonl", content.into_bytes()).await.unwrap()[0];
    assert!(
        report.errors[0].contains(":2: abstract: 3495253 characters, more than the limit of 20000"),
        "{:?}",
        report.errors
    );

    // The same number twice.
    let content = format!("{}\n{}\n{}\n", lines[0], lines[1], lines[0]);
    let report = &run("dup.jsonl", content.into_bytes()).await.unwrap()[0];
    assert!(
        report.errors[0].contains(":3: number: ") && report.errors[0].contains("first on line 1"),
        "{:?}",
        report.errors
    );

    // Not JSON at all.
    let report = &run("junk.jsonl", b"number,title\n".to_vec()).await.unwrap()[0];
    assert!(
        report.errors[0].contains(":1: record: invalid JSON"),
        "{:?}",
        report.errors
    );

    assert_eq!(patent_count(&pool).await, 0);
}

#[sqlx::test]
async fn skip_invalid_imports_the_rest_and_writes_rejects(pool: PgPool) {
    let dir = tempfile::tempdir().unwrap();
    with_institutions(&pool, dir.path()).await;
    let mut records: Vec<serde_json::Value> = sample_patents()
        .into_iter()
        .take(10)
        .map(|p| serde_json::to_value(p).unwrap())
        .collect();
    records[3]["patent_type"] = "software".into();
    records[7]["institution"] = "不存在大学".into();
    let path = write(dir.path(), "some-bad.jsonl", jsonl(&records));
    let opts = ImportOptions {
        skip_invalid: true,
        ..Default::default()
    };
    let report = &import(&pool, &[path], &opts).await[0];
    assert_eq!((report.inserted, report.rejected), (8, 2));
    assert_eq!(patent_count(&pool).await, 8);
    let rejects_path = report.rejects_file.clone().expect("rejects file");
    let rejects: Vec<serde_json::Value> = std::fs::read_to_string(rejects_path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rejects.len(), 2);
    assert_eq!(rejects[0]["line"], 4);
    assert!(
        rejects[0]["errors"][0]
            .as_str()
            .unwrap()
            .starts_with("patent_type: unknown variant `software`")
    );
    assert_eq!(rejects[1]["line"], 8);
    // The rejected record is kept whole, so it can be fixed and imported again.
    let original: serde_json::Value =
        serde_json::from_str(rejects[1]["record"].as_str().unwrap()).unwrap();
    assert_eq!(original, records[7]);
}

#[sqlx::test]
async fn unknown_institution_is_created_only_when_asked(pool: PgPool) {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "p.jsonl", jsonl(&sample_patents()[..20]));
    let report = &import(
        &pool,
        std::slice::from_ref(&path),
        &ImportOptions::default(),
    )
    .await[0];
    assert!(!report.committed);
    assert!(
        report.errors[0].contains(":1: institution: ")
            && report.errors[0].contains("--create-institutions")
    );
    let opts = ImportOptions {
        create_institutions: true,
        ..Default::default()
    };
    let report = &import(&pool, &[path], &opts).await[0];
    assert_eq!(report.inserted, 20);
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM institutions")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(n >= 1);
}

/// Writes the patents as CSV with the documented columns.
fn to_csv(patents: &[PatentRecord]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    // The documented column list, as the importer knows it.
    w.write_record(<PatentRecord as queqiao::catalog::source::CatalogRecord>::CSV_COLUMNS)
        .unwrap();
    let opt = |v: Option<String>| v.unwrap_or_default();
    for p in patents {
        let o = p.open_license.as_ref();
        w.write_record([
            p.number.clone(),
            p.title.clone(),
            p.abstract_text.clone(),
            opt(p.claims.clone()),
            p.keywords.join(";"),
            p.ipc.join(";"),
            p.patent_type.as_str().into(),
            p.legal_status.as_str().into(),
            p.institution.clone(),
            p.inventors.join(";"),
            opt(p.application_date.map(|d| d.to_string())),
            p.industry.clone(),
            p.license_modes
                .iter()
                .map(|m| m.as_str())
                .collect::<Vec<_>>()
                .join(";"),
            opt(o.map(|o| o.payment.as_str().into())),
            opt(o.and_then(|o| o.fee_cny).map(|v| v.to_string())),
            opt(o.and_then(|o| o.royalty_percent).map(|v| v.to_string())),
            opt(o.map(|o| o.term_years.to_string())),
            opt(p.asking_price_cny.map(|v| v.to_string())),
            opt(p.rating.as_ref().map(|r| r.institution.to_string())),
            opt(p
                .rating
                .as_ref()
                .and_then(|r| r.enterprise)
                .map(|v| v.to_string())),
        ])
        .unwrap();
    }
    w.into_inner().unwrap()
}

#[sqlx::test]
async fn csv_and_jsonl_give_the_same_catalogue(pool: PgPool) {
    let dir = tempfile::tempdir().unwrap();
    let mut institutions_csv =
        String::from("name,region,contact_name,contact_email,contact_telegram_chat_id\n");
    for i in sample_institutions() {
        for c in &i.contacts {
            institutions_csv.push_str(&format!(
                "{},{},{},{},\n",
                i.name,
                i.region.clone().unwrap_or_default(),
                c.name,
                c.email.clone().unwrap_or_default()
            ));
        }
    }
    let inst = write(dir.path(), "institutions.csv", institutions_csv);
    // Claims: the CSV cell is empty for a null claim, so the round trip holds for the sample as it is.
    let patents = sample_patents();
    let pats = write(dir.path(), "patents.csv", to_csv(&patents));
    let reports = import(&pool, &[inst, pats], &ImportOptions::default()).await;
    assert!(reports.iter().all(|r| r.committed), "{reports:?}");
    let stored = exported(&pool).await;
    assert_eq!(stored.len(), patents.len());
    for p in &patents {
        assert_eq!(&stored[&p.number], p, "{}", p.number);
    }
    let mut expected = sample_institutions();
    expected.sort_by(|a, b| a.name.cmp(&b.name));
    assert_eq!(store::institutions(&pool).await.unwrap(), expected);
}

#[sqlx::test]
async fn csv_errors_name_line_and_column(pool: PgPool) {
    let dir = tempfile::tempdir().unwrap();
    with_institutions(&pool, dir.path()).await;
    let mut csv = String::from_utf8(to_csv(&sample_patents()[..3])).unwrap();
    csv = csv.replacen(",invention,", ",gadget,", 1);
    let path = write(dir.path(), "p.csv", &csv);
    let report = &import(&pool, &[path], &ImportOptions::default()).await[0];
    assert!(!report.committed);
    assert!(
        report
            .errors
            .iter()
            .any(|e| e.contains(":2: patent_type: `gadget` is not one of")),
        "{:?}",
        report.errors
    );

    let path = write(dir.path(), "q.csv", "number,title,shape\n");
    let err = queqiao::catalog::import::import_paths(&pool, &[path], &ImportOptions::default())
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("q.csv:1: header: unknown column `shape`"),
        "{err}"
    );
    assert_eq!(patent_count(&pool).await, 0);
}

#[sqlx::test]
async fn the_binary_reports_and_exits_non_zero_on_bad_records(pool: PgPool) {
    let dir = tempfile::tempdir().unwrap();
    let url = database_url(&pool);
    let mut records: Vec<serde_json::Value> = sample_patents()
        .into_iter()
        .take(60)
        .map(|p| serde_json::to_value(p).unwrap())
        .collect();
    for r in records.iter_mut().skip(2) {
        r["legal_status"] = "expired".into();
    }
    let inst = write(
        dir.path(),
        "institutions.jsonl",
        queqiao::catalog::store::DEMO_INSTITUTIONS,
    );
    let bad = write(dir.path(), "bad.jsonl", jsonl(&records));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_queqiao"))
        .args(["import"])
        .arg(&inst)
        .arg(&bad)
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let error_lines = stderr
        .lines()
        .filter(|l| l.contains("bad.jsonl:") && l.contains(": legal_status:"))
        .count();
    assert_eq!(
        error_lines, 50,
        "the first 50 errors, then a count: {stderr}"
    );
    assert!(stderr.contains("58 rejected records in all"), "{stderr}");
    assert_eq!(patent_count(&pool).await, 0);

    // The demo data, twice: the second run updates everything and inserts nothing.
    let pats = write(
        dir.path(),
        "patents.jsonl",
        queqiao::catalog::store::DEMO_PATENTS,
    );
    for expected in ["3720 inserted, 0 updated", "0 inserted, 3720 updated"] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_queqiao"))
            .arg("import")
            .arg(&pats)
            .arg(&inst)
            .env("DATABASE_URL", &url)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains(expected),
            "{stdout}"
        );
    }
}

#[sqlx::test]
async fn the_database_itself_refuses_what_the_format_forbids(pool: PgPool) {
    let dir = tempfile::tempdir().unwrap();
    with_institutions(&pool, dir.path()).await;
    let path = write(dir.path(), "p.jsonl", jsonl(&sample_patents()[..1]));
    import(&pool, &[path], &ImportOptions::default()).await;
    for (what, sql) in [
        (
            "open licence on a pending patent",
            "UPDATE patents SET license_modes = '{open}', open_payment = 'lump_sum', open_fee_cny = 1, open_term_years = 1, legal_status = 'pending'",
        ),
        (
            "open with exclusive",
            "UPDATE patents SET license_modes = '{open,exclusive}', open_payment = 'lump_sum', open_fee_cny = 1, open_term_years = 1, legal_status = 'granted'",
        ),
        (
            "royalty without a percentage",
            "UPDATE patents SET license_modes = '{open}', open_payment = 'royalty', open_fee_cny = NULL, open_royalty_percent = NULL, open_term_years = 1, legal_status = 'granted'",
        ),
        (
            "fee without open licence",
            "UPDATE patents SET license_modes = '{transfer}', open_payment = NULL, open_term_years = NULL, open_fee_cny = 5",
        ),
        ("rating 6", "UPDATE patents SET rating_institution = 6"),
        (
            "an institution that does not exist",
            "UPDATE patents SET institution_id = 999999",
        ),
        (
            "unknown status",
            "UPDATE patents SET legal_status = 'expired'",
        ),
        (
            "duplicate institution",
            "INSERT INTO institutions (name) SELECT name FROM institutions LIMIT 1",
        ),
    ] {
        assert!(
            sqlx::query(sql).execute(&pool).await.is_err(),
            "the database accepted: {what}"
        );
    }
}

#[test]
fn a_wrong_database_url_gets_one_clear_sentence() {
    for (url, expect) in [
        (
            "postgres://nobody@127.0.0.1:1/x",
            "cannot reach PostgreSQL at postgres://nobody@127.0.0.1:1/x",
        ),
        ("not a url", "is not a valid PostgreSQL URL"),
        (
            "postgres://u:hunter2@127.0.0.1:1/x",
            "postgres://u:***@127.0.0.1:1/x",
        ),
    ] {
        let out = common::queqiao(url, ["migrate"]);
        assert!(!out.status.success());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            stderr.trim().lines().count(),
            1,
            "one sentence, no backtrace: {stderr}"
        );
        assert!(stderr.contains(expect), "{stderr}");
        assert!(
            !stderr.contains("hunter2"),
            "the password must not be shown: {stderr}"
        );
    }
}

#[sqlx::test]
async fn load_demo_fills_an_empty_catalogue_once(pool: PgPool) {
    let url = database_url(&pool);
    let run = || common::queqiao_ok(&url, ["load-demo"]);
    assert!(run().contains("3720 inserted"));
    assert!(run().contains("already has patents"));
    assert_eq!(patent_count(&pool).await, 3720);
}

/// Spreadsheet exports and odd bytes through the binary: a NUL in a field is named and skippable, a byte
/// order mark is no part of the data, and a patents CSV without its number column says so.
#[sqlx::test]
async fn nul_bom_and_a_missing_column_get_clear_messages(pool: PgPool) {
    let dir = tempfile::tempdir().unwrap();
    let url = database_url(&pool);
    let inst = write(
        dir.path(),
        "institutions.jsonl",
        [
            b"\xEF\xBB\xBF".as_slice(),
            queqiao::catalog::store::DEMO_INSTITUTIONS.as_bytes(),
        ]
        .concat(),
    );
    let mut patents: Vec<serde_json::Value> = sample_patents()
        .into_iter()
        .take(3)
        .map(|p| serde_json::to_value(p).unwrap())
        .collect();
    patents[1]["title"] = "含有\u{0}的标题".into();
    let nul = write(dir.path(), "nul.jsonl", jsonl(&patents));
    let out = common::queqiao(
        &url,
        ["import", inst.to_str().unwrap(), nul.to_str().unwrap()],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("nul.jsonl:2: title: contains a NUL character"),
        "{stderr}"
    );
    assert_eq!(patent_count(&pool).await, 0, "all or nothing");
    let out = common::queqiao(&url, ["import", "--skip-invalid", nul.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        patent_count(&pool).await,
        2,
        "the NUL record skipped, the rest in"
    );

    // A BOM before a JSON Lines file and before a CSV header.
    let records: Vec<PatentRecord> = sample_patents().into_iter().skip(3).take(2).collect();
    let bom_jsonl = write(
        dir.path(),
        "bom.jsonl",
        [b"\xEF\xBB\xBF".as_slice(), jsonl(&records[..1]).as_bytes()].concat(),
    );
    let bom_csv = write(
        dir.path(),
        "bom.csv",
        [b"\xEF\xBB\xBF".as_slice(), &to_csv(&records[1..])].concat(),
    );
    for file in [&bom_jsonl, &bom_csv] {
        let out = common::queqiao(&url, ["import", file.to_str().unwrap()]);
        assert!(
            out.status.success(),
            "{}: {}",
            file.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(patent_count(&pool).await, 4);

    // A patents CSV without the number column is named as missing it.
    let csv = String::from_utf8(to_csv(&records)).unwrap();
    let without: Vec<String> = csv
        .lines()
        .map(|l| {
            l.split_once(',')
                .map(|(_, rest)| rest.to_owned())
                .unwrap_or_default()
        })
        .collect();
    let no_number = write(dir.path(), "no_number.csv", without.join("\n") + "\n");
    let out = common::queqiao(&url, ["import", no_number.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("required column(s) missing: number"),
        "{stderr}"
    );
}
