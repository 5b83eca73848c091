//! The page shell every HTML page shares (title, one inline stylesheet, header and footer)
//! and HTML escaping. No scripts: every page reads and works without JavaScript.

/// Escapes text for HTML element content and double-quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Inline so a page is one request and needs no static-file route.
const STYLE: &str = r#"
:root { --ink:#1f2328; --muted:#59636e; --line:#d1d9e0; --accent:#0969da; --bg:#f6f8fa;
        --ok:#1a7f37; --warn:#9a6700; }
* { box-sizing: border-box; }
body { margin:0; font:16px/1.6 -apple-system,BlinkMacSystemFont,"Segoe UI","Noto Sans",Helvetica,Arial,sans-serif;
       color:var(--ink); background:#fff; }
header { background:#24292f; color:#fff; padding:.75rem 1.5rem; display:flex; gap:1.5rem; align-items:baseline; }
header a { color:#fff; text-decoration:none; }
header .brand { font-weight:700; font-size:1.15rem; letter-spacing:.01em; }
header nav a { opacity:.85; margin-right:1rem; }
header nav a:hover { opacity:1; text-decoration:underline; }
main { max-width:52rem; margin:0 auto; padding:1.5rem 1.5rem 3rem; }
h1 { font-size:1.9rem; line-height:1.25; margin:.5rem 0 .25rem; word-break:break-word; }
h2 { font-size:1.3rem; margin-top:2rem; padding-bottom:.3rem; border-bottom:1px solid var(--line); }
a { color:var(--accent); }
code { font:.875em ui-monospace,SFMono-Regular,Menlo,Consolas,monospace; background:var(--bg);
       padding:.1em .35em; border-radius:4px; }
pre { background:var(--bg); border:1px solid var(--line); border-radius:6px; padding:.9rem 1rem; overflow-x:auto; line-height:1.45; }
pre code { background:none; padding:0; font-size:.85rem; }
blockquote { margin:0; padding:.25rem 1rem; color:var(--muted); border-left:.25rem solid var(--line); }
table { border-collapse:collapse; width:100%; }
th, td { text-align:left; padding:.45rem .6rem; border-bottom:1px solid var(--line); vertical-align:top; }
th { background:var(--bg); }
.lead { color:var(--muted); font-size:1.05rem; margin-top:0; }
.badge { display:inline-block; font-size:.75rem; font-weight:600; padding:.1rem .5rem; border-radius:2rem;
         border:1px solid var(--line); color:var(--muted); background:#fff; white-space:nowrap; }
.callout { border:1px solid var(--line); border-left:.3rem solid var(--accent); border-radius:6px;
           padding:.75rem 1rem; margin:1.25rem 0; background:#fff; }
.callout.ok { border-left-color:var(--ok); }
.callout.warn { border-left-color:var(--warn); }
.callout h2 { border:0; margin:.1rem 0 .4rem; padding:0; font-size:1.05rem; }
.family { margin-top:2rem; }
table.rules { table-layout:fixed; }
table.rules th:first-child { width:47%; }
table.rules td:first-child code { white-space:nowrap; }
label { font-weight:600; display:block; margin:.75rem 0 .25rem; }
input[type=text] { width:100%; max-width:26rem; font:inherit; padding:.4rem .6rem; border:1px solid var(--line); border-radius:6px; }
button { font:inherit; font-weight:600; color:#fff; background:var(--ok); border:1px solid rgba(31,35,40,.15);
         border-radius:6px; padding:.5rem 1.1rem; margin-top:1rem; cursor:pointer; }
button:hover { filter:brightness(1.08); }
button.secondary { color:var(--ink); background:var(--bg); border-color:var(--line); }
h1 code { background:none; padding:0; font-size:.95em; }
form.aside { margin-top:1.75rem; padding-top:.25rem; border-top:1px dashed var(--line); }
form.aside button { margin-top:.5rem; }
ol.steps li { margin:.4rem 0; }
footer { color:var(--muted); font-size:.85rem; text-align:center; padding:2rem 1rem; border-top:1px solid var(--line); }
"#;

/// A complete HTML document: `title` (text) and `body` (HTML, already escaped).
pub fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<title>{title} · kubenudge</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
<header><a class=\"brand\" href=\"/rules\">kubenudge</a>\
<nav><a href=\"/rules\">Rules</a></nav></header>\n\
<main>\n{body}\n</main>\n\
<footer>kubenudge reviews the Kubernetes manifests of pull requests.</footer>\n\
</body>\n</html>\n",
        title = escape(title),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_covers_markup_and_quotes() {
        assert_eq!(
            escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn the_title_is_escaped() {
        let html = page("<b>", "<p>x</p>");
        assert!(html.contains("<title>&lt;b&gt; · kubenudge</title>"));
        assert!(html.contains("<p>x</p>"));
        assert!(!html.contains("<script"));
    }
}
