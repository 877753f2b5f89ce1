//! Script validation: each class of error names its file and line; the shipped scripts are valid.

use super::*;

pub(crate) const BOT: &str = include_str!("../../../dialogs/bot.toml");
pub(crate) const INTAKE: &str = include_str!("../../../dialogs/intake.toml");

fn check(dialog: &str) -> Vec<String> {
    match ScriptSet::parse("bot.toml", BOT, &[("d.toml".into(), dialog.into())]) {
        Ok(_) => Vec::new(),
        Err(errors) => errors.iter().map(|e| e.to_string()).collect(),
    }
}

const OK: &str = r#"id = "intake"
start = "a"

[[step]]
id = "a"
say = { zh = "你好", en = "Hello" }
next = "b"

[[step]]
id = "b"
ask = "need"
prompt = { zh = "需求？{lang}", en = "Need?" }
validate = { min_len = 2 }
next = "c"

[[step]]
id = "c"
action = "search"
on = { found = "r", weak = "r", no_match = "a", unread = "a" }

[[step]]
id = "r"
results = true
prompt = { zh = "{count} 项：{need}", en = "{count}: {need}" }
on = { refine = "b", restart = "a" }
"#;

#[test]
fn shipped_scripts_are_valid() {
    let set = ScriptSet::parse("bot.toml", BOT, &[("intake.toml".into(), INTAKE.into())]).unwrap();
    assert_eq!(set.languages, ["zh", "en"]);
    assert!(set.dialogs.contains_key("intake"));
    assert!(check(OK).is_empty(), "{:?}", check(OK));
}

/// Each class of error is reported with its file and line.
#[test]
fn each_error_class_names_its_line() {
    let cases: Vec<(String, &str)> = vec![
        (
            OK.replace("Hello", &"x".repeat(5000)),
            "d.toml:6: step `a` say (en) has 5000 characters, more than one message holds (4096)",
        ),
        (
            OK.replace("id = \"b\"", "id = \"a\""),
            "d.toml:10: step id `a` is already used on line 5",
        ),
        (
            OK.replace("next = \"c\"", "next = \"nowhere\""),
            "d.toml:14: step `b` goes to `nowhere`, which is not a step",
        ),
        (
            format!("{OK}[[step]]\nid = \"orphan\"\nsay = {{ zh = \"孤\", en = \"alone\" }}\n"),
            "d.toml:27: step `orphan` is not reachable",
        ),
        (
            OK.replace("action = \"search\"", "action = \"teleport\""),
            "d.toml:18: unknown action `teleport`",
        ),
        (
            OK.replace(", en = \"Hello\"", ""),
            "d.toml:6: step `a` say has no `en` text",
        ),
        (
            OK.replace("{lang}", "{budget}"),
            "d.toml:12: step `b` prompt (zh) uses placeholder {budget}, which this step does not provide",
        ),
        (
            OK.replace("min_len = 2", "min_len = 9, max_len = 3"),
            "d.toml:13: validate: min_len 9 is greater than max_len 3",
        ),
        (
            OK.replace("你好\"", "你好{need}\""),
            "d.toml:5: step `a` text uses {need}, which is not set on every way to this step",
        ),
        (
            OK.replace("需求？{lang}", "需求？{count}"),
            "d.toml:10: step `b` prompt uses {count}, which is not set on every way to this step",
        ),
        (
            OK.replace("min_len = 2", "pattern = \"[0-9\""),
            "d.toml:13: validate: pattern is not a valid regular expression",
        ),
        (
            OK.replace("min_len = 2", "min_length = 2"),
            "d.toml:13: unknown field `min_length`",
        ),
        (
            OK.replace("next = \"b\"", "next = \"b\"\ncolour = \"red\""),
            "d.toml:8: unknown field `colour`",
        ),
        (
            OK.replace(
                "on = { found = \"r\", weak = \"r\", no_match = \"a\", unread = \"a\" }",
                "on = { found = \"r\", weak = \"r\" }",
            ),
            "d.toml:18: step `c`: outcome `no_match` of action `search` has no next step",
        ),
        (
            OK.replace(
                "say = { zh = \"你好\", en = \"Hello\" }\nnext = \"b\"",
                "next = \"b\"",
            ),
            "d.toml:5: step `a` must have exactly one of",
        ),
        (
            OK.replace("ask = \"need\"", "ask = \"need\"\nback = \"elsewhere\""),
            "d.toml:12: step `b` goes to `elsewhere`, which is not a step",
        ),
        (
            OK.replace("start = \"a\"", "start = \"z\""),
            "d.toml:2: start step `z` is not a step",
        ),
    ];
    for (script, expected) in cases {
        let errors = check(&script);
        assert!(
            errors.iter().any(|e| e.starts_with(expected)),
            "expected `{expected}`, got {errors:?}"
        );
    }
}

#[test]
fn bot_file_errors_name_their_line() {
    let bad = BOT.replace("help = {", "helpp = {");
    let errors = ScriptSet::parse("bot.toml", &bad, &[("d.toml".into(), OK.into())]).unwrap_err();
    let shown: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
    assert!(
        shown
            .iter()
            .any(|e| e.starts_with("bot.toml:10: unknown text `helpp`")),
        "{shown:?}"
    );
    assert!(
        shown.iter().any(|e| e.contains("text `help` is missing")),
        "{shown:?}"
    );
    let bad = BOT.replace("default_language = \"zh\"", "default_language = \"fr\"");
    let errors = ScriptSet::parse("bot.toml", &bad, &[("d.toml".into(), OK.into())]).unwrap_err();
    assert_eq!(
        errors[0].to_string(),
        "bot.toml:4: default_language `fr` is not in languages"
    );
}

#[test]
fn version_changes_with_content() {
    let a = ScriptSet::parse("bot.toml", BOT, &[("d.toml".into(), OK.into())]).unwrap();
    let b = ScriptSet::parse(
        "bot.toml",
        BOT,
        &[("d.toml".into(), OK.replace("你好", "您好"))],
    )
    .unwrap();
    assert_ne!(a.version, b.version);
}
