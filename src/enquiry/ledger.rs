//! An institution's whole ledger of leads, for the web console: every status, dated, sortable, with the
//! dated history of each. Reads only; every change goes through [`super::contact`], as in the chat.

use super::store::{Enquiry, SELECT, Status};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;

/// How the ledger is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    /// Newest first.
    #[default]
    Date,
    /// By where the lead is in its life (waiting ones first), then newest first.
    Status,
}

impl Sort {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "date" => Some(Sort::Date),
            "status" => Some(Sort::Status),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Sort::Date => "date",
            Sort::Status => "status",
        }
    }

    /// Fixed SQL for each order: nothing typed by a user ever reaches the query text.
    fn order_by(self) -> &'static str {
        match self {
            Sort::Date => "e.created_at DESC, e.id DESC",
            Sort::Status => {
                "array_position(ARRAY['submitted', 'forwarded', 'delivered', 'info_requested', 'accepted',
                 'declined', 'closed'], e.status), e.created_at DESC, e.id DESC"
            }
        }
    }
}

/// A lead with its dates.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Listed {
    #[sqlx(flatten)]
    pub enquiry: Enquiry,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Listed {
    /// Whether the company's person and contact details may be shown: only once the institution
    /// accepted, as in the chat (closed leads were accepted first).
    pub fn shows_contact(&self) -> bool {
        matches!(self.enquiry.status, Status::Accepted | Status::Closed)
    }
}

fn select_dated() -> String {
    SELECT.replacen("SELECT ", "SELECT e.created_at, e.updated_at, ", 1)
}

/// The most leads one page or export holds.
pub const MAX_LEADS: i64 = 5000;

/// Every lead of an institution, in `sort` order.
pub async fn of_institution(
    conn: &mut PgConnection,
    institution_id: i64,
    sort: Sort,
) -> Result<Vec<Listed>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{} WHERE e.institution_id = $1 ORDER BY {} LIMIT $2",
        select_dated(),
        sort.order_by()
    ))
    .bind(institution_id)
    .bind(MAX_LEADS)
    .fetch_all(&mut *conn)
    .await
}

/// One lead, only if it is the institution's (anyone else's is as if it did not exist).
pub async fn one_of_institution(
    conn: &mut PgConnection,
    institution_id: i64,
    id: i64,
) -> Result<Option<Listed>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{} WHERE e.institution_id = $1 AND e.id = $2",
        select_dated()
    ))
    .bind(institution_id)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await
}

/// One change in a lead's history, dated.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DatedEvent {
    #[sqlx(try_from = "String")]
    pub status: Status,
    pub note: Option<String>,
    pub at: DateTime<Utc>,
}

/// A lead's history, oldest first.
pub async fn history(conn: &mut PgConnection, id: i64) -> Result<Vec<DatedEvent>, sqlx::Error> {
    sqlx::query_as("SELECT status, note, at FROM enquiry_events WHERE enquiry_id = $1 ORDER BY id")
        .bind(id)
        .fetch_all(&mut *conn)
        .await
}
