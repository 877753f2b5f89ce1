//! Statistics with charts. A contact sees their institution: enquiries by status, the acceptance rate
//! and the median time to a first answer, and their patents with how often each was shown, opened and
//! enquired about. An admin sees everything: needs per week (and those with no good match, and
//! enquiries), unmet demand, enquiries by status, response times per institution, top industries.
//! Figures from [`crate::operators::analytics`] and [`crate::operators::series`]; charts from
//! [`super::chart`].

use super::auth::Signed;
use super::{chart, html, server_error};
use crate::app::present;
use crate::enquiry::Status;
use crate::operators::analytics::{self, Stats};
use crate::operators::series;
use axum::http::StatusCode;
use axum::response::Response;
use std::fmt::Write;

/// Weeks the admin's weekly chart covers.
const WEEKS: i32 = 12;

/// `GET /web/stats`.
pub async fn page(signed: Signed) -> Response {
    let pool = signed.app.pool().clone();
    let institution = signed.contact.clone();
    let name = institution.as_ref().map(|(_, n)| n.as_str());
    let stats = match analytics::stats(&pool, None, name).await {
        Ok(s) => s,
        Err(e) => return server_error(&signed.app, "computing statistics", e),
    };
    let body = match &institution {
        Some((id, name)) => match series::of_institution(&pool, *id).await {
            Ok(patents) => contact_body(&signed, name, &stats, &patents),
            Err(e) => return server_error(&signed.app, "counting patents", e),
        },
        None => match series::weekly(&pool, WEEKS).await {
            Ok(weeks) => admin_body(&signed, &stats, &weeks),
            Err(e) => return server_error(&signed.app, "counting weeks", e),
        },
    };
    signed.page(StatusCode::OK, &signed.t("nav_stats", &[]), &body)
}

fn section(signed: &Signed, key: &str, chart: String) -> String {
    let title = html::esc(&signed.t(key, &[]));
    format!("<section><h3>{title}</h3>{chart}</section>")
}

/// Ranked `(label, count)` pairs as bars, or the "nothing yet" line.
fn ranked(signed: &Signed, key: &str, items: &[(String, i64)]) -> String {
    if items.is_empty() {
        return section(signed, key, html::para(&signed.t("stats_none", &[]), None));
    }
    let bars: Vec<(String, f64, String)> = items
        .iter()
        .map(|(label, n)| (label.clone(), *n as f64, n.to_string()))
        .collect();
    section(signed, key, chart::bars(&signed.t(key, &[]), &bars))
}

fn by_status(signed: &Signed, stats: &Stats) -> String {
    let items: Vec<(String, i64)> = stats
        .enquiries_by_status
        .iter()
        .map(|(s, n)| {
            let label = Status::parse(s)
                .map(|s| present::status(&signed.ctx, s, signed.lang()))
                .unwrap_or_else(|| s.clone());
            (label, *n)
        })
        .collect();
    ranked(signed, "chart_status", &items)
}

/// A duration in hours, in minutes when under one hour (a quick answer is not "0.0 hours").
fn hours(signed: &Signed, h: f64) -> String {
    if h < 1.0 {
        signed.t("minutes", &[("count", format!("{:.0}", h * 60.0))])
    } else {
        signed.t("hours", &[("count", format!("{h:.1}"))])
    }
}

/// The median time to a first answer, per institution (only the contact's own for a contact).
fn response_times(signed: &Signed, stats: &Stats) -> String {
    let bars: Vec<(String, f64, String)> = stats
        .median_first_response_hours
        .iter()
        .map(|(inst, h)| (inst.clone(), *h, hours(signed, *h)))
        .collect();
    let chart = if bars.is_empty() {
        html::para(&signed.t("stats_none", &[]), None)
    } else {
        chart::bars(&signed.t("chart_response", &[]), &bars)
    };
    section(signed, "chart_response", chart)
}

fn contact_body(
    signed: &Signed,
    name: &str,
    stats: &Stats,
    patents: &[series::PatentCounts],
) -> String {
    let t = |key: &str| html::esc(&signed.t(key, &[]));
    let heading = signed.t("stats_of", &[("institution", name.to_owned())]);
    let mut body = format!("<h2>{}</h2>", html::esc(&heading));
    body.push_str(&by_status(signed, stats));
    let acceptance = match stats.acceptance_rate {
        Some(rate) => {
            let bars = [
                (
                    signed.t("accepted_share", &[]),
                    rate * 100.0,
                    format!("{:.0}%", rate * 100.0),
                ),
                (
                    signed.t("declined_share", &[]),
                    (1.0 - rate) * 100.0,
                    format!("{:.0}%", (1.0 - rate) * 100.0),
                ),
            ];
            chart::bars(&signed.t("chart_acceptance", &[]), &bars)
        }
        None => html::para(&signed.t("stats_none", &[]), None),
    };
    body.push_str(&section(signed, "chart_acceptance", acceptance));
    body.push_str(&response_times(signed, stats));
    let _ = write!(
        body,
        "<section><h3>{}</h3><table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        t("patents_title"),
        t("col_patent"),
        t("col_shown"),
        t("col_opened"),
        t("col_enquired"),
    );
    for p in patents {
        let _ = write!(
            body,
            "<tr><td>{} ({})</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            html::esc(&p.title),
            html::esc(&p.number),
            p.shown,
            p.opened,
            p.enquired
        );
    }
    body.push_str("</tbody></table></section>");
    body
}

fn admin_body(signed: &Signed, stats: &Stats, weeks: &[series::Week]) -> String {
    let mut body = format!("<h2>{}</h2>", html::esc(&signed.t("stats_all", &[])));
    let _ = write!(
        body,
        "<p>{}</p>",
        html::esc(&signed.t(
            "stats_totals",
            &[
                ("count", stats.needs.to_string()),
                ("number", stats.no_good_match.to_string()),
            ]
        ))
    );
    let labels: Vec<String> = weeks
        .iter()
        .map(|w| w.start.format("%m-%d").to_string())
        .collect();
    let series = vec![
        (
            signed.t("series_needs", &[]),
            weeks.iter().map(|w| w.needs as f64).collect(),
        ),
        (
            signed.t("series_no_match", &[]),
            weeks.iter().map(|w| w.no_match as f64).collect(),
        ),
        (
            signed.t("series_enquiries", &[]),
            weeks.iter().map(|w| w.enquiries as f64).collect(),
        ),
    ];
    let weekly = chart::columns(&signed.t("chart_weekly", &[]), &labels, &series);
    body.push_str(&section(signed, "chart_weekly", weekly));
    body.push_str(&ranked(signed, "chart_unmet", &stats.unmet_terms));
    body.push_str(&by_status(signed, stats));
    body.push_str(&response_times(signed, stats));
    body.push_str(&ranked(signed, "chart_industries", &stats.top_industries));
    body
}
