//! Enquiries, contacts and invites in PostgreSQL. Every function takes the caller's transaction, so a
//! status change, its history row and the messages it causes commit together.

use sqlx::PgConnection;

/// Names an enum's variants as stored in the database (and as the SQL CHECK constraints list them).
macro_rules! stored_names {
    ($(#[$doc:meta])* $ty:ident { $($variant:ident = $name:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $ty { $($variant),+ }

        impl $ty {
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($ty::$variant => $name),+ }
            }
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($name => Some($ty::$variant),)+ _ => None }
            }
        }

        impl TryFrom<String> for $ty {
            type Error = String;
            fn try_from(s: String) -> Result<Self, String> {
                Self::parse(&s).ok_or_else(|| format!("unknown {} `{s}`", stringify!($ty)))
            }
        }
    };
}

stored_names! {
    /// An enquiry's status; the history keeps every change.
    Status {
        Submitted = "submitted",
        Forwarded = "forwarded",
        Delivered = "delivered",
        Accepted = "accepted",
        Declined = "declined",
        InfoRequested = "info_requested",
        Closed = "closed",
    }
}

stored_names! {
    /// The kind of deal a company asks for.
    Mode {
        Transfer = "transfer",
        License = "license",
        Open = "open",
    }
}

stored_names! {
    /// An enquiry, or a declaration that the company takes an open licence on its published terms.
    Kind {
        Enquiry = "enquiry",
        Declaration = "declaration",
    }
}

impl Status {
    /// Whether the institution can still accept, decline or ask.
    pub fn is_open(self) -> bool {
        !matches!(self, Status::Accepted | Status::Declined | Status::Closed)
    }
}

/// Why an enquiry or a contact action was refused.
#[derive(Debug, thiserror::Error)]
pub enum EnquiryError {
    #[error("an enquiry on this patent is already open")]
    Duplicate,
    #[error("the daily limit of {0} enquiries is reached")]
    Capped(i64),
    #[error("no such enquiry for this contact")]
    NotYours,
    #[error("the enquiry is no longer open")]
    NotOpen,
    #[error("this enquiry was rated already")]
    AlreadyRated,
    #[error("the invite code is unknown, used or expired")]
    BadInvite,
    #[error("no institution named `{0}`")]
    UnknownInstitution(String),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// What the company agreed to share.
#[derive(Debug, Clone)]
pub struct NewEnquiry {
    pub patent_number: String,
    pub channel: String,
    pub chat_id: i64,
    pub company: String,
    pub person: String,
    pub contact: String,
    pub message: String,
    pub mode: Mode,
    pub kind: Kind,
    /// The published terms a declaration accepted.
    pub terms: Option<String>,
}

/// An enquiry as read back.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Enquiry {
    pub id: i64,
    pub patent_number: String,
    pub title: String,
    pub institution_id: i64,
    pub institution: String,
    pub channel: String,
    pub chat_id: i64,
    pub company: String,
    pub person: String,
    pub contact: String,
    pub message: String,
    #[sqlx(try_from = "String")]
    pub mode: Mode,
    #[sqlx(try_from = "String")]
    pub status: Status,
    #[sqlx(try_from = "String")]
    pub kind: Kind,
    pub terms: Option<String>,
}

/// The channel of an enquiry whose company used `/forget`: its details are gone and nobody can be told.
pub const FORGOTTEN: &str = "forgotten";

impl Enquiry {
    /// Whether the company deleted its data (`/forget`): the lead can no longer be answered.
    pub fn forgotten(&self) -> bool {
        self.channel == FORGOTTEN
    }
}

pub(super) const SELECT: &str = "SELECT e.id, e.patent_number, coalesce(p.title, e.patent_number) AS title, e.institution_id,
        i.name AS institution, e.channel, e.chat_id, e.company, e.person, e.contact, e.message, e.mode, e.status,
        e.kind, e.terms
    FROM enquiries e JOIN institutions i ON i.id = e.institution_id
    LEFT JOIN patents p ON p.number = e.patent_number";

/// The duplicate and cap rules, checked before the company types anything and again on submit.
pub async fn may_enquire(
    conn: &mut PgConnection,
    channel: &str,
    chat_id: i64,
    patent_number: &str,
    daily_cap: i64,
) -> Result<(), EnquiryError> {
    let (open, today): (i64, i64) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE patent_number = $3 AND status NOT IN ('declined', 'closed')),
                count(*) FILTER (WHERE created_at > now() - interval '1 day')
         FROM enquiries WHERE channel = $1 AND chat_id = $2",
    )
    .bind(channel)
    .bind(chat_id)
    .bind(patent_number)
    .fetch_one(&mut *conn)
    .await?;
    if open > 0 {
        return Err(EnquiryError::Duplicate);
    }
    if today >= daily_cap {
        return Err(EnquiryError::Capped(daily_cap));
    }
    Ok(())
}

/// Stores a consented enquiry (status submitted) and returns its id.
pub async fn submit(
    conn: &mut PgConnection,
    new: &NewEnquiry,
    daily_cap: i64,
) -> Result<i64, EnquiryError> {
    // Serialise one company's submissions so the cap cannot be raced past.
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('enquiry:' || $1), $2::int)")
        .bind(&new.channel)
        .bind((new.chat_id % i32::MAX as i64) as i32)
        .execute(&mut *conn)
        .await?;
    may_enquire(
        conn,
        &new.channel,
        new.chat_id,
        &new.patent_number,
        daily_cap,
    )
    .await?;
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO enquiries (patent_number, institution_id, channel, chat_id, company, person, contact,
             message, mode, status, kind, terms)
         SELECT p.number, p.institution_id, $2, $3, $4, $5, $6, $7, $8, 'submitted', $9, $10 FROM patents p
         WHERE p.number = $1
         RETURNING id",
    )
    .bind(&new.patent_number)
    .bind(&new.channel)
    .bind(new.chat_id)
    .bind(&new.company)
    .bind(&new.person)
    .bind(&new.contact)
    .bind(&new.message)
    .bind(new.mode.as_str())
    .bind(new.kind.as_str())
    .bind(&new.terms)
    .fetch_optional(&mut *conn)
    .await
    .map_err(|e| match &e {
        sqlx::Error::Database(d) if d.constraint() == Some("enquiries_one_open") => {
            EnquiryError::Duplicate
        }
        _ => EnquiryError::Db(e),
    })?;
    let id = id.ok_or(EnquiryError::NotOpen)?;
    record(conn, id, Status::Submitted, None).await?;
    Ok(id)
}

/// Sets a status and writes the history row.
pub async fn set_status(
    conn: &mut PgConnection,
    id: i64,
    status: Status,
    note: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE enquiries SET status = $2, updated_at = now() WHERE id = $1")
        .bind(id)
        .bind(status.as_str())
        .execute(&mut *conn)
        .await?;
    record(conn, id, status, note).await
}

async fn record(
    conn: &mut PgConnection,
    id: i64,
    status: Status,
    note: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO enquiry_events (enquiry_id, status, note) VALUES ($1, $2, $3)")
        .bind(id)
        .bind(status.as_str())
        .bind(note)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// One enquiry, locked for the caller's transaction.
pub async fn lock(conn: &mut PgConnection, id: i64) -> Result<Option<Enquiry>, sqlx::Error> {
    sqlx::query_as(&format!("{SELECT} WHERE e.id = $1 FOR UPDATE OF e"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await
}

/// A company's enquiries, newest first.
pub async fn of_company(
    conn: &mut PgConnection,
    channel: &str,
    chat_id: i64,
) -> Result<Vec<Enquiry>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{SELECT} WHERE e.channel = $1 AND e.chat_id = $2 ORDER BY e.id DESC LIMIT 20"
    ))
    .bind(channel)
    .bind(chat_id)
    .fetch_all(&mut *conn)
    .await
}

/// An institution's enquiries a contact still has to act on: open ones, and accepted ones until they
/// are closed; oldest first.
pub async fn leads_of_institution(
    conn: &mut PgConnection,
    institution_id: i64,
) -> Result<Vec<Enquiry>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{SELECT} WHERE e.institution_id = $1 AND e.status NOT IN ('declined', 'closed')
             AND e.channel <> $2
         ORDER BY e.id LIMIT 20"
    ))
    .bind(institution_id)
    .bind(FORGOTTEN)
    .fetch_all(&mut *conn)
    .await
}

/// The company's newest enquiry whose question waits for its answer, if any (asked on every text the
/// company types, so one indexed row rather than its whole list).
pub async fn open_question(
    conn: &mut PgConnection,
    channel: &str,
    chat_id: i64,
) -> Result<Option<Enquiry>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{SELECT} WHERE e.channel = $1 AND e.chat_id = $2 AND e.status = $3 ORDER BY e.id DESC LIMIT 1"
    ))
    .bind(channel)
    .bind(chat_id)
    .bind(Status::InfoRequested.as_str())
    .fetch_optional(&mut *conn)
    .await
}

/// Which of these enquiries the company already rated.
pub async fn rated(conn: &mut PgConnection, ids: &[i64]) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT enquiry_id FROM enterprise_ratings WHERE enquiry_id = ANY($1)")
        .bind(ids)
        .fetch_all(&mut *conn)
        .await
}

/// One change in an enquiry's history, with what was said (a question, an answer, a reason).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Event {
    #[sqlx(try_from = "String")]
    pub status: Status,
    pub note: Option<String>,
}

/// An enquiry's history, oldest first.
pub async fn history(conn: &mut PgConnection, id: i64) -> Result<Vec<Event>, sqlx::Error> {
    sqlx::query_as("SELECT status, note FROM enquiry_events WHERE enquiry_id = $1 ORDER BY id")
        .bind(id)
        .fetch_all(&mut *conn)
        .await
}

/// Enquiries waiting for an institution's contact (submitted, forwarded or delivered, not yet answered)
/// and how long the oldest has waited, in seconds.
pub async fn waiting_for_contacts(pool: &sqlx::PgPool) -> Result<(i64, f64), sqlx::Error> {
    sqlx::query_as(
        "SELECT count(*), coalesce(extract(epoch FROM now() - min(updated_at)), 0)::float8
         FROM enquiries WHERE status IN ('submitted', 'forwarded', 'delivered')",
    )
    .fetch_one(pool)
    .await
}

/// Delivered leads nobody answered for `days`, not reminded yet; locked for the caller, and skipped if
/// another process is reminding them.
pub async fn due_reminders(
    conn: &mut PgConnection,
    days: i64,
) -> Result<Vec<Enquiry>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{SELECT} WHERE e.status = 'delivered' AND e.reminded_at IS NULL
           AND e.updated_at < now() - make_interval(days => $1::int)
         ORDER BY e.id LIMIT 100 FOR UPDATE OF e SKIP LOCKED"
    ))
    .bind(days as i32)
    .fetch_all(&mut *conn)
    .await
}

/// Notes that a lead's contact was reminded, so it happens once.
pub async fn mark_reminded(conn: &mut PgConnection, id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE enquiries SET reminded_at = now() WHERE id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Queued enquiries of an institution (no contact was registered when they were submitted).
pub async fn queued_of_institution(
    conn: &mut PgConnection,
    institution_id: i64,
) -> Result<Vec<Enquiry>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{SELECT} WHERE e.institution_id = $1 AND e.status = 'submitted' ORDER BY e.id FOR UPDATE OF e"
    ))
    .bind(institution_id)
    .fetch_all(&mut *conn)
    .await
}

/// Records the company's 1-5 rating of the patent of a closed enquiry (once), and folds it into the
/// patent's enterprise rating. Takes the catalogue's change lock so the search index, which follows
/// the change sequence, sees the new rating in commit order.
pub async fn rate(
    conn: &mut PgConnection,
    enquiry_id: i64,
    rating: i16,
) -> Result<(), EnquiryError> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('queqiao_import'))")
        .execute(&mut *conn)
        .await?;
    let inserted = sqlx::query(
        "INSERT INTO enterprise_ratings (enquiry_id, patent_id, rating)
         SELECT e.id, p.id, $2 FROM enquiries e JOIN patents p ON p.number = e.patent_number
         WHERE e.id = $1
         ON CONFLICT (enquiry_id) DO NOTHING",
    )
    .bind(enquiry_id)
    .bind(rating)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if inserted == 0 {
        return Err(EnquiryError::AlreadyRated);
    }
    sqlx::query(
        "UPDATE patents p SET rating_feedback_sum = rating_feedback_sum + $2,
             rating_feedback_count = rating_feedback_count + 1
         FROM enquiries e WHERE e.id = $1 AND p.number = e.patent_number",
    )
    .bind(enquiry_id)
    .bind(i32::from(rating))
    .execute(&mut *conn)
    .await?;
    sqlx::query("SELECT pg_notify($1, 'rating')")
        .bind(crate::catalog::import::CHANGE_CHANNEL)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The contact details a company confirmed in its last enquiry.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Profile {
    pub company: String,
    pub person: String,
    pub contact: String,
}

pub async fn profile(
    conn: &mut PgConnection,
    channel: &str,
    chat_id: i64,
) -> Result<Option<Profile>, sqlx::Error> {
    sqlx::query_as(
        "SELECT company, person, contact FROM company_profiles WHERE channel = $1 AND chat_id = $2",
    )
    .bind(channel)
    .bind(chat_id)
    .fetch_optional(&mut *conn)
    .await
}

/// Keeps the details of a submitted enquiry for the next one.
pub async fn save_profile(conn: &mut PgConnection, new: &NewEnquiry) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO company_profiles (channel, chat_id, company, person, contact) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (channel, chat_id) DO UPDATE SET company = EXCLUDED.company, person = EXCLUDED.person,
             contact = EXCLUDED.contact, updated_at = now()",
    )
    .bind(&new.channel)
    .bind(new.chat_id)
    .bind(&new.company)
    .bind(&new.person)
    .bind(&new.contact)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Forgets a chat (`/forget`): its saved details go; its enquiries keep only
/// what statistics need (patent, institution, status history) — the company's name, person, contact,
/// message, terms, the thread's questions and answers (free text that may quote the company) and the
/// chat itself are removed.
pub async fn forget(
    conn: &mut PgConnection,
    channel: &str,
    chat_id: i64,
) -> Result<(), sqlx::Error> {
    for sql in [
        "DELETE FROM company_profiles WHERE channel = $1 AND chat_id = $2",
        "UPDATE enquiry_events SET note = NULL
         WHERE enquiry_id IN (SELECT id FROM enquiries WHERE channel = $1 AND chat_id = $2)",
        // A forgotten company's chat id becomes minus the enquiry id: unique, and pointing at nobody.
        "UPDATE enquiries SET company = '', person = '', contact = '', message = '', terms = NULL,
             channel = $3, chat_id = -id, updated_at = now()
         WHERE channel = $1 AND chat_id = $2",
    ] {
        sqlx::query(sql)
            .bind(channel)
            .bind(chat_id)
            .bind(FORGOTTEN)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}
