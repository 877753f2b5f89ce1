//! Reading catalogue files: JSON Lines and CSV, record by record with the line each starts on, turning every
//! problem into a [`FieldError`] a user can act on. Nothing here touches the database.

use super::record::{
    ContactRecord, FieldError, InstitutionRecord, LegalStatus, LicenseMode, OpenLicense,
    PatentRecord, PatentType, Payment, Rating,
};
use serde::de::DeserializeOwned;
use std::collections::HashMap;
use std::io::{BufRead, Read};

/// A line longer than this is not read into memory: no valid record comes near it.
pub const MAX_LINE_BYTES: usize = 32 * 1024 * 1024;

/// File syntax.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Jsonl,
    Csv,
}

impl Format {
    /// `.csv` files are CSV; everything else is taken as JSON Lines.
    pub fn from_path(path: &std::path::Path) -> Self {
        match path.extension().and_then(|e| e.to_str()) {
            Some(ext) if ext.eq_ignore_ascii_case("csv") => Format::Csv,
            _ => Format::Jsonl,
        }
    }
}

/// What a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    Patents,
    Institutions,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Patents => "patents",
            Kind::Institutions => "institutions",
        }
    }
}

/// One record read from a file: where it starts, its text (for the rejects file), and the record or what
/// is wrong with it.
#[derive(Debug)]
pub struct Item<T> {
    pub line: u64,
    pub text: String,
    pub parsed: Result<T, Vec<FieldError>>,
}

/// A problem that stops reading a file altogether.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("{line}: {message}")]
    Header { line: u64, message: String },
    #[error("read error: {0}")]
    Io(#[from] std::io::Error),
}

/// A record type that can be read from a file of its kind.
pub trait CatalogRecord: DeserializeOwned + Send + 'static {
    fn validate(&self) -> Vec<FieldError>;
    fn from_csv(row: &CsvRow<'_>) -> Result<Self, Vec<FieldError>>;
    /// CSV columns: all known ones, then those a file must have.
    const CSV_COLUMNS: &'static [&'static str];
    const CSV_REQUIRED: &'static [&'static str];
}

/// Field name used for problems with a whole line rather than one field.
pub const RECORD: &str = "record";

// ---------------------------------------------------------------------------------------------------------
// JSON Lines

/// Reads JSON Lines records one at a time; memory holds one line.
pub struct JsonlReader<R> {
    reader: R,
    line: u64,
    buf: Vec<u8>,
    /// Bytes consumed so far, for progress reporting.
    pub bytes_read: u64,
}

impl<R: BufRead> JsonlReader<R> {
    pub fn new(reader: R) -> Self {
        Self {
            reader,
            line: 0,
            buf: Vec::new(),
            bytes_read: 0,
        }
    }

    /// The next record, `None` at the end of the file.
    pub fn next_item<T: CatalogRecord>(&mut self) -> Result<Option<Item<T>>, SourceError> {
        loop {
            self.buf.clear();
            let n = (&mut self.reader)
                .take(MAX_LINE_BYTES as u64 + 1)
                .read_until(b'\n', &mut self.buf)?;
            if n == 0 {
                return Ok(None);
            }
            self.line += 1;
            self.bytes_read += n as u64;
            let line = self.line;
            let terminated = self.buf.last() == Some(&b'\n');
            if !terminated && self.buf.len() > MAX_LINE_BYTES {
                let skipped = self.skip_rest_of_line()?;
                return Ok(Some(Item {
                    line,
                    text: String::new(),
                    parsed: Err(vec![FieldError::new(
                        RECORD,
                        format!(
                            "line is {} bytes, longer than the {} MiB limit (no valid record is near that size)",
                            self.buf.len() as u64 + skipped,
                            MAX_LINE_BYTES / (1024 * 1024)
                        ),
                    )]),
                }));
            }
            let text = match std::str::from_utf8(&self.buf) {
                Ok(t) => t.trim_end_matches(['\n', '\r']),
                Err(e) => {
                    return Ok(Some(Item {
                        line,
                        text: String::from_utf8_lossy(&self.buf).trim_end().to_owned(),
                        parsed: Err(vec![FieldError::new(
                            RECORD,
                            format!(
                                "invalid UTF-8 at byte {} of the line (files must be UTF-8 encoded)",
                                e.valid_up_to() + 1
                            ),
                        )]),
                    }));
                }
            };
            if text.trim().is_empty() {
                continue;
            }
            let parsed = parse_json::<T>(text, terminated);
            return Ok(Some(Item {
                line,
                text: text.to_owned(),
                parsed,
            }));
        }
    }

    fn skip_rest_of_line(&mut self) -> std::io::Result<u64> {
        let mut skipped = 0;
        loop {
            let chunk = self.reader.fill_buf()?;
            if chunk.is_empty() {
                return Ok(skipped);
            }
            if let Some(pos) = chunk.iter().position(|&b| b == b'\n') {
                self.reader.consume(pos + 1);
                self.bytes_read += pos as u64 + 1;
                return Ok(skipped + pos as u64);
            }
            let len = chunk.len();
            self.reader.consume(len);
            self.bytes_read += len as u64;
            skipped += len as u64;
        }
    }
}

fn parse_json<T: CatalogRecord>(text: &str, terminated: bool) -> Result<T, Vec<FieldError>> {
    let mut de = serde_json::Deserializer::from_str(text);
    let record: T = match serde_path_to_error::deserialize(&mut de) {
        Ok(r) => r,
        Err(e) => return Err(vec![json_error(e, terminated)]),
    };
    if let Err(e) = de.end() {
        let message = strip_position(&e.to_string());
        return Err(vec![FieldError::new(
            RECORD,
            format!("invalid JSON after the record: {message}"),
        )]);
    }
    let errors = record.validate();
    if errors.is_empty() {
        Ok(record)
    } else {
        Err(errors)
    }
}

fn json_error(e: serde_path_to_error::Error<serde_json::Error>, terminated: bool) -> FieldError {
    use serde_json::error::Category;
    let path = e.path().to_string();
    let inner = e.inner();
    let message = strip_position(&inner.to_string());
    match inner.classify() {
        Category::Eof if !terminated => FieldError::new(
            RECORD,
            "truncated last line: the JSON record ends before it is complete (was the file cut off?)",
        ),
        Category::Eof => FieldError::new(
            RECORD,
            "incomplete JSON record: it ends before it is complete",
        ),
        Category::Syntax => FieldError::new(RECORD, format!("invalid JSON: {message}")),
        Category::Io => FieldError::new(RECORD, message),
        Category::Data => {
            // serde reports missing and unknown fields against the enclosing object; name the field itself.
            for (prefix, what) in [
                ("missing field `", "required field is missing"),
                ("unknown field `", "unknown field"),
            ] {
                if let Some(rest) = message.strip_prefix(prefix)
                    && let Some((name, tail)) = rest.split_once('`')
                {
                    // serde_path_to_error already ends the path with an unknown field's name, not a missing one's.
                    let field = if path == "." {
                        name.to_owned()
                    } else if path == name || path.ends_with(&format!(".{name}")) {
                        path.clone()
                    } else {
                        format!("{path}.{name}")
                    };
                    let hint = tail.trim_start_matches(',').trim();
                    let reason = if hint.is_empty() {
                        what.to_owned()
                    } else {
                        format!("{what} ({hint})")
                    };
                    return FieldError::new(field, reason);
                }
            }
            let field = if path == "." { RECORD.to_owned() } else { path };
            FieldError::new(field, message)
        }
    }
}

/// serde_json appends " at line 1 column 57"; the line is ours to report, the column means little here.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

// ---------------------------------------------------------------------------------------------------------
// CSV

/// One CSV data row, addressed by column name.
pub struct CsvRow<'a> {
    columns: &'a HashMap<String, usize>,
    fields: Vec<&'a str>,
}

impl<'a> CsvRow<'a> {
    /// The trimmed cell of `column`, `None` when the column is absent or the cell empty.
    pub fn get(&self, column: &str) -> Option<&'a str> {
        let i = *self.columns.get(column)?;
        self.fields
            .get(i)
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
    }

    fn text(&self, column: &str) -> String {
        self.get(column).unwrap_or_default().to_owned()
    }

    fn list(&self, column: &str) -> Vec<String> {
        split_list(self.get(column).unwrap_or_default())
    }

    fn parsed<T: std::str::FromStr>(
        &self,
        column: &str,
        what: &str,
        errors: &mut Vec<FieldError>,
    ) -> Option<T> {
        let cell = self.get(column)?;
        match cell.parse() {
            Ok(v) => Some(v),
            Err(_) => {
                errors.push(FieldError::new(column, format!("`{cell}` is not {what}")));
                None
            }
        }
    }

    fn named<T>(
        &self,
        column: &str,
        parse: fn(&str) -> Option<T>,
        names: String,
        errors: &mut Vec<FieldError>,
    ) -> Option<T> {
        let cell = self.get(column)?;
        let v = parse(cell);
        if v.is_none() {
            errors.push(FieldError::new(
                column,
                format!("`{cell}` is not one of: {names}"),
            ));
        }
        v
    }
}

/// List cells hold entries separated by `;`.
pub fn split_list(cell: &str) -> Vec<String> {
    cell.split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Reads a CSV file with a header row, record by record.
pub struct CsvReader<R: Read> {
    reader: csv::Reader<R>,
    columns: HashMap<String, usize>,
    record: csv::ByteRecord,
}

impl<R: Read> CsvReader<R> {
    /// Reads and checks the header: every column must be known, the required ones present.
    pub fn new<T: CatalogRecord>(input: R) -> Result<Self, SourceError> {
        let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(input);
        let header_error = |message: String| SourceError::Header { line: 1, message };
        let headers = reader
            .byte_headers()
            .map_err(|e| header_error(format!("header: {e}")))?
            .clone();
        if headers.is_empty() {
            return Err(header_error(
                "header: the file is empty (no header row)".into(),
            ));
        }
        let mut columns = HashMap::new();
        for (i, raw) in headers.iter().enumerate() {
            let name = std::str::from_utf8(raw)
                .map_err(|_| header_error(format!("header: column {} is not valid UTF-8", i + 1)))?
                .trim()
                .trim_start_matches('\u{feff}')
                .to_owned();
            if !T::CSV_COLUMNS.contains(&name.as_str()) {
                return Err(header_error(format!(
                    "header: unknown column `{name}` (known columns: {})",
                    T::CSV_COLUMNS.join(", ")
                )));
            }
            if columns.insert(name.clone(), i).is_some() {
                return Err(header_error(format!(
                    "header: column `{name}` appears twice"
                )));
            }
        }
        let missing: Vec<_> = T::CSV_REQUIRED
            .iter()
            .filter(|c| !columns.contains_key(**c))
            .collect();
        if !missing.is_empty() {
            return Err(header_error(format!(
                "header: required column(s) missing: {}",
                missing
                    .iter()
                    .map(|c| c.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        Ok(Self {
            reader,
            columns,
            record: csv::ByteRecord::new(),
        })
    }

    /// Bytes consumed so far, for progress reporting.
    pub fn bytes_read(&self) -> u64 {
        self.reader.position().byte()
    }

    pub fn next_item<T: CatalogRecord>(&mut self) -> Result<Option<Item<T>>, SourceError> {
        let more = match self.reader.read_byte_record(&mut self.record) {
            Ok(more) => more,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                if let csv::ErrorKind::Io(_) = e.kind() {
                    return Err(SourceError::Io(std::io::Error::other(e.to_string())));
                }
                return Ok(Some(Item {
                    line,
                    text: String::new(),
                    parsed: Err(vec![FieldError::new(RECORD, format!("invalid CSV: {e}"))]),
                }));
            }
        };
        if !more {
            return Ok(None);
        }
        let line = self.record.position().map(|p| p.line()).unwrap_or(0);
        let text = csv_text(&self.record);
        let mut fields = Vec::with_capacity(self.record.len());
        for (i, raw) in self.record.iter().enumerate() {
            match std::str::from_utf8(raw) {
                Ok(s) => fields.push(s),
                Err(e) => {
                    let column = self
                        .columns
                        .iter()
                        .find(|(_, c)| **c == i)
                        .map(|(n, _)| n.clone())
                        .unwrap_or_else(|| format!("column {}", i + 1));
                    return Ok(Some(Item {
                        line,
                        text,
                        parsed: Err(vec![FieldError::new(
                            column,
                            format!(
                                "invalid UTF-8 at byte {} (files must be UTF-8 encoded)",
                                e.valid_up_to() + 1
                            ),
                        )]),
                    }));
                }
            }
        }
        if fields.len() != self.columns.len() {
            let reason = format!(
                "{} cells, but the header has {} columns",
                fields.len(),
                self.columns.len()
            );
            return Ok(Some(Item {
                line,
                text,
                parsed: Err(vec![FieldError::new(RECORD, reason)]),
            }));
        }
        let row = CsvRow {
            columns: &self.columns,
            fields,
        };
        let parsed = T::from_csv(&row).and_then(|r| {
            let errors = r.validate();
            if errors.is_empty() {
                Ok(r)
            } else {
                Err(errors)
            }
        });
        Ok(Some(Item { line, text, parsed }))
    }
}

fn csv_text(record: &csv::ByteRecord) -> String {
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    let _ = w.write_byte_record(record);
    let bytes = w.into_inner().unwrap_or_default();
    String::from_utf8_lossy(&bytes).trim_end().to_owned()
}

impl CatalogRecord for PatentRecord {
    fn validate(&self) -> Vec<FieldError> {
        PatentRecord::validate(self)
    }

    const CSV_COLUMNS: &'static [&'static str] = &[
        "number",
        "title",
        "abstract",
        "claims",
        "keywords",
        "ipc",
        "patent_type",
        "legal_status",
        "institution",
        "inventors",
        "application_date",
        "industry",
        "license_modes",
        "open_license_payment",
        "open_license_fee_cny",
        "open_license_royalty_percent",
        "open_license_term_years",
        "asking_price_cny",
        "rating_institution",
        "rating_enterprise",
    ];
    const CSV_REQUIRED: &'static [&'static str] = &[
        "number",
        "title",
        "abstract",
        "patent_type",
        "legal_status",
        "institution",
        "license_modes",
    ];

    fn from_csv(row: &CsvRow<'_>) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let patent_type = row.named(
            "patent_type",
            PatentType::parse,
            PatentType::names(),
            &mut errors,
        );
        let legal_status = row.named(
            "legal_status",
            LegalStatus::parse,
            LegalStatus::names(),
            &mut errors,
        );
        for column in ["patent_type", "legal_status"] {
            if row.get(column).is_none() {
                errors.push(FieldError::new(column, "required field is missing"));
            }
        }
        let mut license_modes = Vec::new();
        for mode in row.list("license_modes") {
            match LicenseMode::parse(&mode) {
                Some(m) => license_modes.push(m),
                None => errors.push(FieldError::new(
                    "license_modes",
                    format!("`{mode}` is not one of: {}", LicenseMode::names()),
                )),
            }
        }
        let application_date = row.get("application_date").and_then(|d| {
            chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
                .map_err(|_| {
                    errors.push(FieldError::new(
                        "application_date",
                        format!("`{d}` is not a date YYYY-MM-DD"),
                    ))
                })
                .ok()
        });
        let payment = row.named(
            "open_license_payment",
            Payment::parse,
            Payment::names(),
            &mut errors,
        );
        let fee_cny = row.parsed("open_license_fee_cny", "a whole number", &mut errors);
        let royalty_percent = row.parsed("open_license_royalty_percent", "a number", &mut errors);
        let term_years = row.parsed("open_license_term_years", "a whole number", &mut errors);
        let open_license = match (payment, term_years) {
            (Some(payment), Some(term_years)) => Some(OpenLicense {
                payment,
                fee_cny,
                royalty_percent,
                term_years,
            }),
            (Some(_), None) => {
                errors.push(FieldError::new(
                    "open_license_term_years",
                    "required with open_license_payment",
                ));
                None
            }
            (None, _) if fee_cny.is_some() || royalty_percent.is_some() || term_years.is_some() => {
                errors.push(FieldError::new(
                    "open_license_payment",
                    "required when other open_license_* cells are filled",
                ));
                None
            }
            (None, _) => None,
        };
        let asking_price_cny = row.parsed("asking_price_cny", "a whole number", &mut errors);
        let rating_institution = row.parsed("rating_institution", "a whole number", &mut errors);
        let rating_enterprise = row.parsed("rating_enterprise", "a whole number", &mut errors);
        let rating = match (rating_institution, rating_enterprise) {
            (Some(institution), enterprise) => Some(Rating {
                institution,
                enterprise,
            }),
            (None, Some(_)) => {
                errors.push(FieldError::new(
                    "rating_institution",
                    "required with rating_enterprise",
                ));
                None
            }
            (None, None) => None,
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(PatentRecord {
            number: row.text("number"),
            title: row.text("title"),
            abstract_text: row.text("abstract"),
            claims: row.get("claims").map(str::to_owned),
            keywords: row.list("keywords"),
            ipc: row.list("ipc"),
            // Both are Some here: a missing one was pushed to `errors` above.
            patent_type: patent_type.unwrap_or(PatentType::Invention),
            legal_status: legal_status.unwrap_or(LegalStatus::Pending),
            institution: row.text("institution"),
            inventors: row.list("inventors"),
            application_date,
            industry: row.text("industry"),
            license_modes,
            open_license,
            asking_price_cny,
            rating,
        })
    }
}

impl CatalogRecord for InstitutionRecord {
    fn validate(&self) -> Vec<FieldError> {
        InstitutionRecord::validate(self)
    }

    const CSV_COLUMNS: &'static [&'static str] = &[
        "name",
        "region",
        "contact_name",
        "contact_email",
        "contact_telegram_chat_id",
    ];
    const CSV_REQUIRED: &'static [&'static str] = &["name"];

    /// One row per contact; the import merges rows that name the same institution.
    fn from_csv(row: &CsvRow<'_>) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let chat_id = row.parsed("contact_telegram_chat_id", "a numeric chat id", &mut errors);
        let contact = match row.get("contact_name") {
            Some(name) => Some(ContactRecord {
                name: name.to_owned(),
                email: row.get("contact_email").map(str::to_owned),
                telegram_chat_id: chat_id,
            }),
            None if row.get("contact_email").is_some() || chat_id.is_some() => {
                errors.push(FieldError::new(
                    "contact_name",
                    "required when other contact cells are filled",
                ));
                None
            }
            None => None,
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(InstitutionRecord {
            name: row.text("name"),
            region: row.get("region").map(str::to_owned),
            contacts: contact.into_iter().collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_jsonl(input: &[u8]) -> Vec<Item<PatentRecord>> {
        let mut r = JsonlReader::new(input);
        let mut out = Vec::new();
        while let Some(item) = r.next_item::<PatentRecord>().unwrap() {
            out.push(item);
        }
        out
    }

    fn first_error(input: &[u8]) -> String {
        let items = read_jsonl(input);
        let e = &items[0].parsed.as_ref().unwrap_err()[0];
        e.to_string()
    }

    const GOOD: &str = r#"{"number": "CN113943153A", "title": "t", "abstract": "a", "patent_type": "invention", "legal_status": "granted", "institution": "渝州大学", "license_modes": ["transfer"]}"#;

    #[test]
    fn unknown_and_missing_fields_are_named() {
        let bad = GOOD.replace(r#""title": "t", "#, r#""colour": "red", "#);
        assert!(first_error(bad.as_bytes()).starts_with("colour: unknown field"));
        let bad = GOOD.replace(r#""title": "t", "#, "");
        assert!(first_error(bad.as_bytes()).starts_with("title: required field is missing"));
        let bad = GOOD.replace("granted", "expired");
        let msg = first_error(bad.as_bytes());
        assert!(
            msg.starts_with("legal_status: unknown variant `expired`"),
            "{msg}"
        );
    }

    #[test]
    fn truncated_last_line_and_bad_utf8() {
        let cut = &GOOD.as_bytes()[..GOOD.len() - 20];
        assert!(first_error(cut).contains("truncated last line"));
        let mut bad = GOOD.as_bytes().to_vec();
        bad[20] = 0xff;
        assert!(first_error(&bad).contains("invalid UTF-8"));
    }

    #[test]
    fn line_numbers_count_blank_lines() {
        let input = format!("{GOOD}\n\n{GOOD}\n");
        let lines: Vec<u64> = read_jsonl(input.as_bytes())
            .iter()
            .map(|i| i.line)
            .collect();
        assert_eq!(lines, [1, 3]);
    }
}
