//! Anonymous usage statistics: events recorded as conversations happen (no chat id, no free text beyond
//! a need's words) and the figures `queqiao stats` and `/stats` report: demand, unmet demand, what was
//! shown and opened, enquiries and how institutions respond.

use serde::Serialize;
use sqlx::{PgConnection, PgPool};
use std::collections::BTreeMap;

/// One thing that happened in a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Search,
    NoMatch,
    Shown,
    Details,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Search => "search",
            Kind::NoMatch => "no_match",
            Kind::Shown => "shown",
            Kind::Details => "details",
        }
    }
}

/// The words of a need worth keeping for statistics: a number of five or more digits or anything with
/// an `@` is contact data someone typed into their need, not demand.
fn anonymous(terms: &[String]) -> Vec<&str> {
    terms
        .iter()
        .filter(|t| t.chars().filter(char::is_ascii_digit).count() < 5 && !t.contains('@'))
        .map(String::as_str)
        .collect()
}

/// Deletes (or, for a dry run, counts) the events older than `days`: the statistics then cover what is
/// left.
pub async fn prune(pool: &PgPool, days: u32, dry_run: bool) -> Result<u64, sqlx::Error> {
    crate::db::prune(
        pool,
        "WITH doomed AS (
             SELECT id FROM usage_events WHERE at < now() - make_interval(days => $1) LIMIT $2),
         gone AS (DELETE FROM usage_events WHERE $3 AND id IN (SELECT id FROM doomed))
         SELECT count(*) FROM doomed",
        days,
        dry_run,
    )
    .await
}

/// Records an event about a need (`terms`) or a patent.
pub async fn record(
    conn: &mut PgConnection,
    kind: Kind,
    patent: Option<&crate::matching::Hit>,
    industry: Option<&str>,
    terms: &[String],
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO usage_events (kind, patent_number, institution, industry, terms) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(kind.as_str())
    .bind(patent.map(|p| p.number.as_str()))
    .bind(patent.map(|p| p.institution.as_str()))
    .bind(patent.map(|p| p.industry.as_str()).or(industry))
    .bind(Some(anonymous(terms)).filter(|t| !t.is_empty()))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Records the results a page showed.
pub async fn record_shown(
    conn: &mut PgConnection,
    items: &[(usize, crate::matching::Hit)],
) -> Result<(), sqlx::Error> {
    let numbers: Vec<&str> = items.iter().map(|(_, h)| h.number.as_str()).collect();
    let institutions: Vec<&str> = items.iter().map(|(_, h)| h.institution.as_str()).collect();
    let industries: Vec<&str> = items.iter().map(|(_, h)| h.industry.as_str()).collect();
    sqlx::query(
        "INSERT INTO usage_events (kind, patent_number, institution, industry)
         SELECT 'shown', * FROM unnest($1::text[], $2::text[], $3::text[])",
    )
    .bind(&numbers)
    .bind(&institutions)
    .bind(&industries)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The figures, for a period and optionally one institution.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize, PartialEq)]
pub struct Stats {
    pub since: Option<chrono::NaiveDate>,
    pub institution: Option<String>,
    pub needs: i64,
    pub no_good_match: i64,
    /// The most frequent words of needs with no good match: demand nobody serves yet.
    pub unmet_terms: Vec<(String, i64)>,
    pub results_shown: i64,
    pub details_opened: i64,
    pub enquiries_by_status: BTreeMap<String, i64>,
    /// Accepted among enquiries that were accepted or declined.
    pub acceptance_rate: Option<f64>,
    /// Median hours from delivery to the institution's first answer, per institution.
    pub median_first_response_hours: Vec<(String, f64)>,
    pub top_industries: Vec<(String, i64)>,
    pub top_institutions: Vec<(String, i64)>,
    /// Patents often shown but never opened.
    pub shown_never_opened: Vec<(String, i64)>,
    /// Patents by 👍 votes (one per user and patent, as they stand now).
    pub thumbs_up: Vec<(String, i64)>,
    /// Patents by 👎 votes.
    pub thumbs_down: Vec<(String, i64)>,
}

const TOP: i64 = 10;

/// Words people say around a need that are no demand of their own (places are filtered separately).
const CHAT_WORDS: &[&str] = &[
    "老板",
    "您好",
    "你好",
    "谢谢",
    "请问",
    "麻烦",
    "我们",
    "我司",
    "公司",
    "工厂",
    "小厂",
    "厂家",
    "老师",
    "帮忙",
    "一下",
    "有没有",
    "想找",
    "需要",
    "北京",
    "上海",
    "天津",
    "重庆",
    "成都",
    "长沙",
    "广州",
    "深圳",
    "武汉",
    "西安",
    "杭州",
    "南京",
];

/// Computes the statistics since `since` (all time when `None`), for one institution when given.
pub async fn stats(
    pool: &PgPool,
    since: Option<chrono::NaiveDate>,
    institution: Option<&str>,
) -> Result<Stats, sqlx::Error> {
    let from = since
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc())
        .unwrap_or(chrono::DateTime::<chrono::Utc>::UNIX_EPOCH);
    let count = |kind: &'static str| {
        sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FROM usage_events WHERE kind = $1 AND at >= $2
             AND ($3::text IS NULL OR institution = $3 OR kind IN ('search', 'no_match'))",
        )
        .bind(kind)
        .bind(from)
        .bind(institution)
        .fetch_one(pool)
    };
    let ranked = |sql: &'static str| {
        sqlx::query_as::<_, (String, i64)>(sql)
            .bind(from)
            .bind(institution)
            .bind(TOP)
            .fetch_all(pool)
    };
    let mut s = Stats {
        since,
        institution: institution.map(str::to_owned),
        needs: count("search").await?,
        no_good_match: count("no_match").await?,
        results_shown: count("shown").await?,
        details_opened: count("details").await?,
        ..Stats::default()
    };
    // Words of chat are not demand: greetings, "our factory", and places (the catalogue's regions, and
    // any word naming a city, province or district).
    s.unmet_terms = sqlx::query_as(
        "SELECT t, count(*) FROM usage_events, unnest(terms) AS t
         WHERE kind = 'no_match' AND at >= $1 AND ($2::text IS NULL OR TRUE)
           AND t <> ALL($4) AND t !~ '(市|省|区|县)$'
           AND NOT EXISTS (SELECT 1 FROM institutions WHERE region = t)
         GROUP BY t ORDER BY count(*) DESC, t LIMIT $3",
    )
    .bind(from)
    .bind(institution)
    .bind(TOP)
    .bind(CHAT_WORDS)
    .fetch_all(pool)
    .await?;
    let enquiries = "FROM enquiries e JOIN institutions i ON i.id = e.institution_id
         WHERE e.created_at >= $1 AND ($2::text IS NULL OR i.name = $2)";
    let by_status: Vec<(String, i64)> = sqlx::query_as(&format!(
        "SELECT e.status, count(*) {enquiries} GROUP BY e.status"
    ))
    .bind(from)
    .bind(institution)
    .fetch_all(pool)
    .await?;
    s.enquiries_by_status = by_status.into_iter().collect();
    let (accepted, declined): (i64, i64) = sqlx::query_as(&format!(
        "SELECT count(*) FILTER (WHERE EXISTS (SELECT 1 FROM enquiry_events v WHERE v.enquiry_id = e.id AND v.status = 'accepted')),
                count(*) FILTER (WHERE EXISTS (SELECT 1 FROM enquiry_events v WHERE v.enquiry_id = e.id AND v.status = 'declined'))
         {enquiries}"
    ))
    .bind(from)
    .bind(institution)
    .fetch_one(pool)
    .await?;
    s.acceptance_rate =
        (accepted + declined > 0).then(|| accepted as f64 / (accepted + declined) as f64);
    s.median_first_response_hours = sqlx::query_as(&format!(
        "SELECT i.name, (percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM r.at - d.at)) / 3600)::float8
         {enquiries}
           AND EXISTS (SELECT 1 FROM enquiry_events WHERE enquiry_id = e.id AND status = 'delivered')
         GROUP BY i.name ORDER BY i.name",
        enquiries = enquiries.replace(
            "WHERE e.created_at",
            "CROSS JOIN LATERAL (SELECT min(at) AS at FROM enquiry_events WHERE enquiry_id = e.id AND status = 'delivered') d
             CROSS JOIN LATERAL (SELECT min(at) AS at FROM enquiry_events
                 WHERE enquiry_id = e.id AND status IN ('accepted', 'declined', 'info_requested')) r
             WHERE r.at IS NOT NULL AND d.at IS NOT NULL AND e.created_at"
        )
    ))
    .bind(from)
    .bind(institution)
    .fetch_all(pool)
    .await?;
    s.top_industries = ranked(
        "SELECT p.industry, count(*) FROM enquiries e JOIN patents p ON p.number = e.patent_number
         JOIN institutions i ON i.id = e.institution_id
         WHERE e.created_at >= $1 AND ($2::text IS NULL OR i.name = $2)
         GROUP BY p.industry ORDER BY count(*) DESC, p.industry LIMIT $3",
    )
    .await?;
    s.top_institutions = ranked(
        "SELECT i.name, count(*) FROM enquiries e JOIN institutions i ON i.id = e.institution_id
         WHERE e.created_at >= $1 AND ($2::text IS NULL OR i.name = $2)
         GROUP BY i.name ORDER BY count(*) DESC, i.name LIMIT $3",
    )
    .await?;
    s.shown_never_opened = ranked(
        "SELECT patent_number, count(*) FROM usage_events u
         WHERE kind = 'shown' AND at >= $1 AND ($2::text IS NULL OR institution = $2)
           AND NOT EXISTS (SELECT 1 FROM usage_events o WHERE o.kind = 'details'
                           AND o.patent_number = u.patent_number AND o.at >= $1)
         GROUP BY patent_number ORDER BY count(*) DESC, patent_number LIMIT $3",
    )
    .await?;
    // Votes standing, one per user and patent (not presses).
    s.thumbs_up = super::votes::top(pool, from, institution, true, TOP).await?;
    s.thumbs_down = super::votes::top(pool, from, institution, false, TOP).await?;
    Ok(s)
}

fn pairs(list: &[(String, i64)]) -> String {
    if list.is_empty() {
        return "-".into();
    }
    list.iter()
        .map(|(k, v)| format!("{k} ({v})"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Stats {
    /// A plain-text report (the same in the terminal and in a chat).
    pub fn render(&self) -> String {
        let mut out = Vec::new();
        let scope = match (&self.institution, self.since) {
            (Some(i), Some(d)) => format!("{i}, since {d}"),
            (Some(i), None) => i.clone(),
            (None, Some(d)) => format!("since {d}"),
            (None, None) => "all time".into(),
        };
        out.push(format!("Queqiao statistics ({scope})"));
        out.push(format!(
            "needs received: {}; with no good match: {}",
            self.needs, self.no_good_match
        ));
        out.push(format!(
            "unmet needs, top words: {}",
            pairs(&self.unmet_terms)
        ));
        out.push(format!(
            "results shown: {}; details opened: {}",
            self.results_shown, self.details_opened
        ));
        let statuses = self
            .enquiries_by_status
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", ");
        out.push(format!(
            "enquiries: {}",
            if statuses.is_empty() {
                "-".into()
            } else {
                statuses
            }
        ));
        out.push(format!(
            "acceptance rate: {}",
            self.acceptance_rate
                .map(|r| format!("{:.0}%", r * 100.0))
                .unwrap_or_else(|| "-".into())
        ));
        let response = self
            .median_first_response_hours
            .iter()
            .map(|(k, h)| format!("{k} {h:.1} h"))
            .collect::<Vec<_>>()
            .join(", ");
        out.push(format!(
            "median time to first response: {}",
            if response.is_empty() {
                "-".into()
            } else {
                response
            }
        ));
        out.push(format!("top industries: {}", pairs(&self.top_industries)));
        out.push(format!(
            "top institutions: {}",
            pairs(&self.top_institutions)
        ));
        out.push(format!(
            "often shown, never opened: {}",
            pairs(&self.shown_never_opened)
        ));
        out.push(format!("thumbs-up votes: {}", pairs(&self.thumbs_up)));
        out.push(format!("thumbs-down votes: {}", pairs(&self.thumbs_down)));
        out.join("\n")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn contact_data_in_a_need_is_not_kept() {
        let words: Vec<String> = ["负极", "13912345678", "lilei@example.com", "3d", "2019"]
            .map(String::from)
            .to_vec();
        assert_eq!(super::anonymous(&words), ["负极", "3d", "2019"]);
    }
}
