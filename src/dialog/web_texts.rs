//! The web console's texts: `dialogs/web.toml`, a `[texts]` table like `bot.toml`'s, checked the same
//! way (every language, known placeholders, `FILE:LINE: problem`) and served from the same set under
//! `web.KEY`, so `/reload` and `dialogs check` cover them too.

use super::script::{Ctx, ScriptError, ScriptSet, Texts, check_texts, parse_toml};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use toml::Spanned;

/// The file, in the dialogs folder.
pub const FILE: &str = "web.toml";

/// What the keys of [`FILE`] are called in the set (`web.title`, ...).
pub const PREFIX: &str = "web.";

/// Every text the console uses; each must be in the file, and no other.
pub const KEYS: &[&str] = &[
    "link",
    "not_for_you",
    "not_set_up",
    "private_only",
    "title",
    "sign_in_title",
    "sign_in_prompt",
    "sign_in",
    "link_refused",
    "signed_out",
    "need_sign_in",
    "no_access",
    "bad_form",
    "sign_out",
    "role_contact",
    "role_admin",
    "admin_home",
    "lang_name",
    "leads",
    "leads_none",
    "col_id",
    "col_date",
    "col_when",
    "col_patent",
    "col_company",
    "col_status",
    "col_updated",
    "sort_date",
    "sort_status",
    "export_csv",
    "csv_header",
    "lead_heading",
    "field_patent",
    "field_company",
    "field_mode",
    "field_message",
    "field_terms",
    "field_person",
    "field_contact",
    "contact_hidden",
    "history",
    "decline_other",
    "ask_label",
    "empty_text",
    "not_found",
    "not_now",
    "done",
    "back",
    "nav_dead",
    "nav_parked",
    "nav_audit",
    "admin_only",
    "dead_none",
    "dead_retried",
    "dead_gone",
    "col_chat",
    "col_error",
    "parked_none",
    "col_update",
    "col_size",
    "col_tries",
    "audit_none",
    "col_who",
    "col_action",
    "col_detail",
    "older",
    "nav_board",
    "board",
    "board_intro",
    "board_none",
    "board_show_all",
    "board_show_ours",
    "col_need",
    "col_industries",
    "col_answers",
    "col_expires",
    "board_heading",
    "field_need",
    "field_industries",
    "field_posted",
    "field_expires",
    "any_industry",
    "board_answers",
    "board_no_answers",
    "answer_title",
    "answer_pick",
    "answer_number",
    "answer_offer",
    "answer_send",
    "answer_sent",
    "answer_missing",
    "answer_offer_long",
    "answer_not_ours",
    "answer_gone",
    "answer_duplicate",
    "answer_capped",
    "board_back",
    "nav_stats",
    "stats_of",
    "stats_all",
    "stats_totals",
    "stats_none",
    "chart_weekly",
    "series_needs",
    "series_no_match",
    "series_enquiries",
    "chart_unmet",
    "chart_status",
    "chart_acceptance",
    "accepted_share",
    "declined_share",
    "chart_response",
    "hours",
    "minutes",
    "chart_industries",
    "patents_title",
    "col_shown",
    "col_opened",
    "col_enquired",
    "nav_invites",
    "invite_for",
    "invite_make",
    "invite_made",
    "invite_unknown",
    "invites_none",
    "col_code",
    "col_institution",
    "nav_import",
    "import_intro",
    "import_file",
    "import_skip_invalid",
    "import_create_institutions",
    "import_start",
    "import_recent",
    "import_running",
    "import_done",
    "import_not_committed",
    "import_failed",
    "import_interrupted",
    "import_unknown",
    "import_again",
    "import_counts",
    "import_errors",
    "upload_missing",
    "upload_format",
    "upload_too_big",
    // Script editor (admins).
    "nav_scripts",
    "scripts_built_in",
    "scripts_intro",
    "scripts_all",
    "col_file",
    "col_modified",
    "script_unknown",
    "script_edit",
    "script_history",
    "script_heading",
    "script_check",
    "script_publish",
    "script_published",
    "check_ok",
    "check_problems",
    "publish_refused",
    "publish_unchanged",
    "publish_stale",
    "try_heading",
    "try_hint",
    "try_message",
    "try_send",
    "try_you",
    "try_bot",
    "try_problems",
    "try_too_long",
    "history_heading",
    "history_none",
    "col_version",
    "col_published",
    "col_replaced",
    "version_published",
    "version_from_folder",
    "version_replaced",
    "version_rolled_back",
    "version_compare",
    "version_heading",
    "version_unknown",
    "version_same",
    "diff_legend",
    "rollback",
];

/// Placeholders the console fills in.
const PLACEHOLDERS: &[&str] = &[
    "lang",
    "url",
    "count",
    "institution",
    "id",
    "status",
    "number",
    "length",
    "file",
    "dir",
    "who",
    "when",
    "inserted",
    "updated",
    "unchanged",
    "rejected",
    "kind",
    "error",
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TextsFile {
    texts: BTreeMap<Spanned<String>, Spanned<Texts>>,
}

/// Checks `text` (the file `name`) and adds its texts to `set` as `web.KEY`.
pub(super) fn merge(set: &mut ScriptSet, name: &str, text: &str) -> Result<(), Vec<ScriptError>> {
    let mut ctx = Ctx {
        file: name.to_owned(),
        text,
        errors: Vec::new(),
    };
    let Some(file) = parse_toml::<TextsFile>(&mut ctx) else {
        return Err(ctx.errors);
    };
    let allowed: BTreeSet<String> = PLACEHOLDERS.iter().map(|s| s.to_string()).collect();
    let languages = set.languages.clone();
    for (key, texts) in &file.texts {
        if !KEYS.contains(&key.get_ref().as_str()) {
            ctx.err(
                key.span(),
                format!(
                    "unknown text `{}` (the console uses: {})",
                    key.get_ref(),
                    KEYS.join(", ")
                ),
            );
        }
        let what = format!("text `{}`", key.get_ref());
        check_texts(
            &mut ctx,
            texts.span(),
            &what,
            texts.get_ref(),
            &languages,
            &allowed,
        );
        set.texts.insert(
            format!("{PREFIX}{}", key.get_ref()),
            texts.get_ref().clone(),
        );
    }
    for key in KEYS {
        if !set.texts.contains_key(&format!("{PREFIX}{key}")) {
            ctx.err(0..0, format!("text `{key}` is missing from [texts]"));
        }
    }
    if ctx.errors.is_empty() {
        Ok(())
    } else {
        Err(ctx.errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set() -> ScriptSet {
        let bot = include_str!("../../dialogs/bot.toml");
        let intake = include_str!("../../dialogs/intake.toml");
        ScriptSet::parse("bot.toml", bot, &[("intake.toml".into(), intake.into())]).unwrap()
    }

    #[test]
    fn the_shipped_file_is_complete() {
        let mut s = set();
        merge(&mut s, FILE, include_str!("../../dialogs/web.toml")).unwrap();
        assert!(s.text("web.sign_in", "en").contains("Sign in"));
    }

    #[test]
    fn problems_are_named_with_their_line() {
        let shipped = include_str!("../../dialogs/web.toml");
        let bad = shipped.replacen(
            "[texts]\n",
            "[texts]\nlinkk = { zh = \"x\", en = \"{nope}\" }\n",
            1,
        );
        let line = bad.lines().position(|l| l.starts_with("linkk")).unwrap() + 1;
        let errors: Vec<String> = merge(&mut set(), FILE, &bad)
            .unwrap_err()
            .iter()
            .map(|e| e.to_string())
            .collect();
        assert!(
            errors
                .iter()
                .any(|e| e.starts_with(&format!("web.toml:{line}: unknown text `linkk`"))),
            "{errors:?}"
        );
        assert!(errors.iter().any(|e| e.contains("{nope}")), "{errors:?}");
        let missing = shipped
            .lines()
            .filter(|l| !l.starts_with("title ="))
            .collect::<Vec<_>>()
            .join("\n");
        let errors = merge(&mut set(), FILE, &missing).unwrap_err();
        assert!(
            errors[0].to_string().contains("`title` is missing"),
            "{errors:?}"
        );
    }
}
