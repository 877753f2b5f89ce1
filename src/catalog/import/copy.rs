//! Patent rows in PostgreSQL's COPY text format, with the escaping that format and `text[]` literals
//! need, and the statement that sends a batch. Separate from the writers because the format's escaping
//! rules are a concern of their own: everything here but [`copy_batch`] is plain string building.

use crate::catalog::record::PatentRecord;
use sqlx::{Postgres, Transaction};

/// Columns written by the import, in COPY order.
const PATENT_COLUMNS: &str = "number, title, abstract, claims, keywords, ipc, patent_type, legal_status, \
    institution_id, inventors, application_date, industry, license_modes, open_payment, open_fee_cny, \
    open_royalty_percent, open_term_years, asking_price_cny, rating_institution, rating_enterprise";

/// A batch of rows in COPY's text format.
#[derive(Default)]
pub(super) struct CopyBuffer {
    text: String,
    pub(super) rows: usize,
}

impl CopyBuffer {
    pub(super) fn push(&mut self, r: &PatentRecord, institution_id: i64) {
        use std::fmt::Write as _;
        let open = r.open_license.as_ref();
        let modes: Vec<&str> = r.license_modes.iter().map(|m| m.as_str()).collect();
        self.field(Some(&r.number));
        self.field(Some(&r.title));
        self.field(Some(&r.abstract_text));
        self.field(r.claims.as_deref());
        self.list(&r.keywords);
        self.list(&r.ipc);
        self.field(Some(r.patent_type.as_str()));
        self.field(Some(r.legal_status.as_str()));
        self.number(Some(institution_id));
        self.list(&r.inventors);
        self.field(r.application_date.map(|d| d.to_string()).as_deref());
        self.field(Some(&r.industry));
        self.list(&modes);
        self.field(open.map(|o| o.payment.as_str()));
        self.number(open.and_then(|o| o.fee_cny));
        match open.and_then(|o| o.royalty_percent) {
            // `{:?}` prints an f64 so that it parses back to the same value.
            Some(v) => {
                let _ = write!(self.text, "{v:?}\t");
            }
            None => self.text.push_str("\\N\t"),
        }
        self.number(open.map(|o| o.term_years));
        self.number(r.asking_price_cny);
        self.number(r.rating.as_ref().map(|x| x.institution));
        self.number(r.rating.as_ref().and_then(|x| x.enterprise));
        // Replace the last tab by the row end.
        self.text.pop();
        self.text.push('\n');
        self.rows += 1;
    }

    fn field(&mut self, value: Option<&str>) {
        match value {
            None => self.text.push_str("\\N"),
            Some(v) => escape_copy(&mut self.text, v),
        }
        self.text.push('\t');
    }

    /// A text[] value: an array literal `{"a","b"}` (quote and backslash escaped for the array), then
    /// escaped again for COPY. Validation keeps control characters out of list entries.
    fn list<S: AsRef<str>>(&mut self, values: &[S]) {
        self.text.push('{');
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                self.text.push(',');
            }
            self.text.push('"');
            for c in v.as_ref().chars() {
                match c {
                    '"' => self.text.push_str("\\\\\""),
                    '\\' => self.text.push_str("\\\\\\\\"),
                    c => self.text.push(c),
                }
            }
            self.text.push('"');
        }
        self.text.push_str("}\t");
    }

    fn number(&mut self, value: Option<i64>) {
        use std::fmt::Write as _;
        match value {
            None => self.text.push_str("\\N"),
            Some(v) => {
                let _ = write!(self.text, "{v}");
            }
        }
        self.text.push('\t');
    }
}

/// COPY text format: backslash, tab, newline and carriage return must be escaped inside a value.
fn escape_copy(out: &mut String, value: &str) {
    if !value.contains(['\\', '\t', '\n', '\r']) {
        out.push_str(value);
        return;
    }
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
}

pub(super) async fn copy_batch(
    tx: &mut Transaction<'_, Postgres>,
    table: &str,
    batch: &CopyBuffer,
) -> Result<(), sqlx::Error> {
    if batch.rows == 0 {
        return Ok(());
    }
    let statement = format!("COPY {table} ({PATENT_COLUMNS}) FROM STDIN");
    let mut copy = (**tx).copy_in_raw(&statement).await?;
    copy.send(batch.text.as_bytes()).await?;
    copy.finish().await?;
    Ok(())
}
