//! Server-rendered HTML: escaping and the page layout. Every text that is not markup written here —
//! user input, catalogue data, script texts — goes through [`esc`]; the style sheet is compiled in and
//! nothing is loaded from elsewhere (no scripts at all: every page works as plain forms and links).

use std::fmt::Write;

/// Escapes text for HTML element content and quoted attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Escaped text with its line breaks kept.
pub fn esc_lines(text: &str) -> String {
    esc(text).replace('\n', "<br>")
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:70rem;margin:0 auto;padding:1rem;color:#222}
header{display:flex;flex-wrap:wrap;gap:1rem;align-items:center;border-bottom:1px solid #ccc;padding-bottom:.5rem}
header h1{font-size:1.3rem;margin:0;flex:1}header form{display:inline;margin:0}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #ddd;padding:.4rem;text-align:left;vertical-align:top}
.flash{background:#eef6ee;border:1px solid #9c9;padding:.5rem}.error{background:#fbeeee;border:1px solid #c99;padding:.5rem}
.actions form{margin:.5rem 0;padding:.5rem;border:1px solid #ddd}textarea{width:100%;box-sizing:border-box;min-height:4rem}
dl dt{font-weight:bold;margin-top:.4rem}dl dd{margin-left:0}
textarea.code{min-height:30rem}.code,.code td{font-family:monospace;white-space:pre-wrap}
.code td{border:0;padding:0 .4rem}.code tr.error{background:#fbeeee}.removed{background:#fbeeee}.added{background:#eef6ee}
.default{position:absolute;left:-9999px}";

/// What the header shows for a signed-in person: who they are, the language switch and sign-out, all
/// forms carrying the session's CSRF token.
pub struct Header<'a> {
    pub role: String,
    pub csrf: &'a str,
    /// (language code, its name in itself) of the languages not in use.
    pub other_langs: Vec<(String, String)>,
    pub sign_out: String,
    /// (path, label) of the pages linked in the header (an admin's pages).
    pub nav: Vec<(&'static str, String)>,
}

/// A whole page.
pub fn page(
    lang: &str,
    site: &str,
    title: &str,
    header: Option<&Header<'_>>,
    body: &str,
) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{title} · {site}</title><style>{STYLE}</style></head><body><header><h1>{site}</h1>",
        lang = esc(lang),
        title = esc(title),
        site = esc(site),
    );
    if let Some(h) = header {
        if !h.nav.is_empty() {
            out.push_str("<nav>");
            for (path, label) in &h.nav {
                let _ = write!(out, "<a href=\"{}\">{}</a> ", esc(path), esc(label));
            }
            out.push_str("</nav>");
        }
        let _ = write!(out, "<span>{}</span>", esc(&h.role));
        for (code, name) in &h.other_langs {
            let _ = write!(
                out,
                "<form method=\"post\" action=\"/web/lang\">{}<input type=\"hidden\" name=\"lang\" value=\"{}\">\
                 <button>{}</button></form>",
                csrf_field(h.csrf),
                esc(code),
                esc(name)
            );
        }
        let _ = write!(
            out,
            "<form method=\"post\" action=\"/web/logout\">{}<button>{}</button></form>",
            csrf_field(h.csrf),
            esc(&h.sign_out)
        );
    }
    let _ = write!(out, "</header><main>{body}</main></body></html>");
    out
}

/// The hidden field every state-changing form carries.
pub fn csrf_field(token: &str) -> String {
    format!(
        "<input type=\"hidden\" name=\"csrf\" value=\"{}\">",
        esc(token)
    )
}

/// A paragraph of text, styled as `class` (`flash`, `error`) when given.
pub fn para(text: &str, class: Option<&str>) -> String {
    match class {
        Some(c) => format!("<p class=\"{c}\">{}</p>", esc_lines(text)),
        None => format!("<p>{}</p>", esc_lines(text)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_text_is_shown_as_text() {
        assert_eq!(
            esc("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
        assert_eq!(esc_lines("a<b\nc"), "a&lt;b<br>c");
        let p = page("en", "Q<", "T\"", None, "");
        assert!(p.contains("<title>T&quot; · Q&lt;</title>"), "{p}");
    }
}
