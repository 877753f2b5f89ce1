//! How patents, licence modes, amounts and enquiry statuses read on screen. Every word comes from the
//! scripts (`dialogs/bot.toml`) in the reader's language; this module only decides which texts to use
//! and how to join them, so no internal code ("license", "-") ever reaches a user.

use super::context::Context;
use crate::catalog::PatentRecord;
use crate::catalog::record::{LegalStatus, LicenseMode, Payment};
use crate::catalog::store::StoredPatent;
use crate::dialog::engine::{ResultItem, State, render};
use crate::enquiry::store::{Mode, Status};

/// A licence mode as the reader says it.
pub fn license_mode(ctx: &Context, mode: LicenseMode, lang: &str) -> String {
    ctx.text(&format!("license_{}", mode.as_str()), lang, &[])
}

/// The kind of deal a company asked for.
pub fn deal(ctx: &Context, mode: Mode, lang: &str) -> String {
    ctx.text(&format!("deal_{}", mode.as_str()), lang, &[])
}

/// An enquiry status as the reader says it.
pub fn status(ctx: &Context, status: Status, lang: &str) -> String {
    ctx.text(&format!("status_{}", status.as_str()), lang, &[])
}

fn legal(ctx: &Context, status: LegalStatus, lang: &str) -> String {
    let key = match status {
        LegalStatus::Granted => "legal_granted",
        LegalStatus::Pending => "legal_pending",
        LegalStatus::Lapsed => "legal_lapsed",
    };
    ctx.text(key, lang, &[])
}

/// Digits grouped by thousands (300000 -> 300,000).
fn grouped(v: i64) -> String {
    let digits = v.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if v < 0 { format!("-{out}") } else { out }
}

/// An amount in yuan: whole 万 read as 万 where the language does.
pub fn amount(ctx: &Context, yuan: i64, lang: &str) -> String {
    let vars = [
        ("count", (yuan / 10_000).to_string()),
        ("yuan", grouped(yuan)),
    ];
    let key = if yuan >= 10_000 && yuan % 10_000 == 0 {
        "amount_wan"
    } else {
        "amount_yuan"
    };
    ctx.text(key, lang, &vars)
}

/// A patent's published open-licence terms in words; empty when it has none.
pub fn open_terms(ctx: &Context, r: &PatentRecord, lang: &str) -> String {
    let Some(o) = &r.open_license else {
        return String::new();
    };
    let payment = match o.payment {
        Payment::LumpSum => "payment_lump_sum",
        Payment::Royalty => "payment_royalty",
        Payment::EntryPlusRoyalty => "payment_entry_plus_royalty",
    };
    let mut parts = vec![ctx.text(payment, lang, &[])];
    if let Some(fee) = o.fee_cny {
        parts.push(ctx.text("open_fee", lang, &[("price", amount(ctx, fee, lang))]));
    }
    if let Some(pct) = o.royalty_percent {
        parts.push(ctx.text("open_royalty", lang, &[("count", pct.to_string())]));
    }
    parts.push(ctx.text("open_years", lang, &[("count", o.term_years.to_string())]));
    parts.join(&ctx.text("separator", lang, &[]))
}

/// One line of a results page.
pub fn result_line(ctx: &Context, state: &State, rank: usize, item: &ResultItem) -> String {
    let lang = state.lang.as_str();
    let mut marks = String::new();
    if item.double_five {
        marks.push_str(&format!(" {}", ctx.text("double_five", lang, &[])));
    }
    if item.open_license {
        marks.push_str(&format!(
            " [{}]",
            license_mode(ctx, LicenseMode::Open, lang)
        ));
    }
    let title = if item.title.is_empty() {
        item.number.clone()
    } else {
        item.title.clone()
    };
    let line = render(
        &ctx.scripts.text("result_line", lang),
        state,
        &[
            ("number", rank.to_string()),
            ("title", title),
            ("institution", item.institution.clone()),
            ("count", item.score.to_string()),
            (
                "modes",
                item.matched.join(&ctx.text("list_separator", lang, &[])),
            ),
            ("abstract", item.snippet.clone()),
        ],
    );
    // Marks belong to the title, which is the template's first line.
    match line.split_once('\n') {
        Some((first, rest)) => format!("{first}{marks}\n{rest}"),
        None => format!("{line}{marks}"),
    }
}

fn rating(ctx: &Context, p: &StoredPatent, lang: &str) -> String {
    let Some(x) = &p.record.rating else {
        // No imported two-way rating: companies' ratings after their deals still show.
        return match p.companies_rating {
            Some(score) => ctx.text("rating_companies", lang, &[("score", score.to_string())]),
            None => ctx.text("rating_none", lang, &[]),
        };
    };
    let mut s = match x.enterprise {
        Some(e) => ctx.text(
            "rating_both",
            lang,
            &[
                ("count", x.institution.to_string()),
                ("score", e.to_string()),
            ],
        ),
        None => ctx.text(
            "rating_institution",
            lang,
            &[("count", x.institution.to_string())],
        ),
    };
    if x.is_double_five() {
        s.push(' ');
        s.push_str(&ctx.text("double_five", lang, &[]));
    }
    s
}

/// A patent's details: optional facts appear only when there is something to say.
pub fn details(ctx: &Context, state: &State, p: &StoredPatent) -> String {
    let r = &p.record;
    let lang = state.lang.as_str();
    let modes = r
        .license_modes
        .iter()
        .map(|m| license_mode(ctx, *m, lang))
        .collect::<Vec<_>>()
        .join(&ctx.text("list_separator", lang, &[]));
    let mut extra = String::new();
    let terms = open_terms(ctx, r, lang);
    if !terms.is_empty() {
        extra.push_str(&ctx.text("details_open_terms", lang, &[("open_terms", terms)]));
    }
    // An asking price is the price of buying the patent: shown only if it is for sale.
    if let Some(price) = r
        .asking_price_cny
        .filter(|_| r.license_modes.contains(&LicenseMode::Transfer))
    {
        extra.push_str(&ctx.text(
            "details_price",
            lang,
            &[("price", amount(ctx, price, lang))],
        ));
    }
    let region = p
        .region
        .as_deref()
        .filter(|r| !r.is_empty() && *r != "-")
        .map(|r| ctx.text("details_region", lang, &[("region", r.to_owned())]))
        .unwrap_or_default();
    let mut body = render(
        &ctx.scripts.text("details_body", lang),
        state,
        &[
            ("title", r.title.clone()),
            ("number", r.number.clone()),
            ("institution", r.institution.clone()),
            ("region", region),
            (
                "industry",
                ctx.scripts
                    .choice_label("industry", &r.industry, lang)
                    // The catalogue's catch-all is no filter choice, but it has a name in each language.
                    .or_else(|| {
                        (r.industry == "其他").then(|| ctx.text("industry_other", lang, &[]))
                    })
                    .unwrap_or_else(|| r.industry.clone()),
            ),
            ("status", legal(ctx, r.legal_status, lang)),
            ("modes", modes),
            ("list", extra),
            ("rating", rating(ctx, p, lang)),
            ("abstract", r.abstract_text.clone()),
        ],
    );
    if r.rating.as_ref().is_some_and(|x| x.is_double_five()) {
        body.push('\n');
        body.push_str(&ctx.text("double_five_meaning", lang, &[]));
    }
    body
}

/// The statistics as a chat shows them: in the reader's language, statuses in words, patents by title.
pub fn stats(
    ctx: &Context,
    s: &crate::operators::analytics::Stats,
    titles: &std::collections::HashMap<String, String>,
    lang: &str,
) -> String {
    let none = || ctx.text("stats_none", lang, &[]);
    let sep = ctx.text("separator", lang, &[]);
    let list = |items: Vec<String>| {
        if items.is_empty() {
            none()
        } else {
            items.join(&sep)
        }
    };
    let counted =
        |pairs: &[(String, i64)]| list(pairs.iter().map(|(k, v)| format!("{k} ({v})")).collect());
    let patents = |pairs: &[(String, i64)]| {
        list(
            pairs
                .iter()
                .map(|(n, v)| format!("{} ({v})", titles.get(n).unwrap_or(n)))
                .collect(),
        )
    };
    let statuses = list(
        s.enquiries_by_status
            .iter()
            .map(|(k, v)| {
                let label = Status::parse(k).map(|st| status(ctx, st, lang));
                format!("{} {v}", label.unwrap_or_else(|| k.clone()))
            })
            .collect(),
    );
    let hours = list(
        s.median_first_response_hours
            .iter()
            .map(|(k, h)| {
                ctx.text(
                    "stats_hours",
                    lang,
                    &[("institution", k.clone()), ("count", format!("{h:.1}"))],
                )
            })
            .collect(),
    );
    let scope = s
        .institution
        .clone()
        .unwrap_or_else(|| ctx.text("stats_everyone", lang, &[]));
    ctx.text(
        "stats",
        lang,
        &[
            ("institution", scope),
            ("needs", s.needs.to_string()),
            ("no_match", s.no_good_match.to_string()),
            ("unmet", counted(&s.unmet_terms)),
            ("shown", s.results_shown.to_string()),
            ("opened", s.details_opened.to_string()),
            ("enquiries", statuses),
            (
                "acceptance",
                s.acceptance_rate
                    .map(|r| format!("{:.0}%", r * 100.0))
                    .unwrap_or_else(none),
            ),
            ("response", hours),
            ("industries", counted(&s.top_industries)),
            ("institutions", counted(&s.top_institutions)),
            ("never_opened", patents(&s.shown_never_opened)),
            ("thumbs_up", patents(&s.thumbs_up)),
            ("thumbs_down", patents(&s.thumbs_down)),
        ],
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn thousands_are_grouped() {
        assert_eq!(super::grouped(300_000), "300,000");
        assert_eq!(super::grouped(999), "999");
        assert_eq!(super::grouped(1_234_567), "1,234,567");
    }
}
