//! HTML reduced to plain text, for messages that have no `text/plain` alternative.
//!
//! Tags are dropped, `script` and `style` contents and comments removed, block elements
//! turned into line breaks, whitespace collapsed and character references decoded.

/// HTML 4 names of U+00A0 to U+00FF, in code point order.
const LATIN1: [&str; 96] = [
    "nbsp", "iexcl", "cent", "pound", "curren", "yen", "brvbar", "sect", "uml", "copy", "ordf",
    "laquo", "not", "shy", "reg", "macr", "deg", "plusmn", "sup2", "sup3", "acute", "micro",
    "para", "middot", "cedil", "sup1", "ordm", "raquo", "frac14", "frac12", "frac34", "iquest",
    "Agrave", "Aacute", "Acirc", "Atilde", "Auml", "Aring", "AElig", "Ccedil", "Egrave", "Eacute",
    "Ecirc", "Euml", "Igrave", "Iacute", "Icirc", "Iuml", "ETH", "Ntilde", "Ograve", "Oacute",
    "Ocirc", "Otilde", "Ouml", "times", "Oslash", "Ugrave", "Uacute", "Ucirc", "Uuml", "Yacute",
    "THORN", "szlig", "agrave", "aacute", "acirc", "atilde", "auml", "aring", "aelig", "ccedil",
    "egrave", "eacute", "ecirc", "euml", "igrave", "iacute", "icirc", "iuml", "eth", "ntilde",
    "ograve", "oacute", "ocirc", "otilde", "ouml", "divide", "oslash", "ugrave", "uacute", "ucirc",
    "uuml", "yacute", "thorn", "yuml",
];

fn entity(name: &str) -> Option<char> {
    if let Some(i) = LATIN1.iter().position(|&n| n == name) {
        return char::from_u32(0xa0 + u32::try_from(i).ok()?);
    }
    if let Some(num) = name.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse().ok()?,
        };
        return char::from_u32(code).filter(|&c| c != '\0');
    }
    Some(match name {
        "amp" | "AMP" => '&',
        "lt" | "LT" => '<',
        "gt" | "GT" => '>',
        "quot" | "QUOT" => '"',
        "apos" => '\'',
        "trade" => '\u{2122}',
        "mdash" => '\u{2014}',
        "ndash" => '\u{2013}',
        "hellip" => '\u{2026}',
        "lsquo" => '\u{2018}',
        "rsquo" => '\u{2019}',
        "ldquo" => '\u{201c}',
        "rdquo" => '\u{201d}',
        "euro" => '\u{20ac}',
        "bull" => '\u{2022}',
        _ => return None,
    })
}

const BLOCKS: &[&str] = &[
    "p",
    "div",
    "br",
    "li",
    "tr",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "table",
    "ul",
    "ol",
    "blockquote",
    "hr",
    "pre",
    "section",
    "article",
    "header",
    "footer",
    "dd",
    "dt",
];

fn find_ci(hay: &str, needle: &str) -> Option<usize> {
    let h = hay.as_bytes();
    let n = needle.as_bytes();
    if n.is_empty() || h.len() < n.len() {
        return None;
    }
    (0..=h.len() - n.len()).find(|&i| h[i..i + n.len()].eq_ignore_ascii_case(n))
}

/// Converts HTML to readable plain text.
///
/// ```
/// let text = mailwire_mime::html_to_text("<p>Hello&nbsp;<b>world</b></p><script>x()</script><p>A &amp; B</p>");
/// assert_eq!(text, "Hello\u{a0}world\n\nA & B");
/// ```
pub fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    let mut pending_space = false;
    let line_break = |out: &mut String, blank: bool| {
        while out.ends_with(' ') {
            out.pop();
        }
        if out.is_empty() {
            return;
        }
        let want = if blank { 2 } else { 1 };
        let have = out.len() - out.trim_end_matches('\n').len();
        for _ in have..want {
            out.push('\n');
        }
    };
    while let Some(c) = rest.chars().next() {
        if c == '<' {
            if let Some(after) = rest.strip_prefix("<!--") {
                rest = after.find("-->").map_or("", |i| &after[i + 3..]);
                continue;
            }
            let Some(close) = rest.find('>') else {
                break;
            };
            let tag = &rest[1..close];
            rest = &rest[close + 1..];
            let closing = tag.starts_with('/');
            let name: String = tag
                .trim_start_matches('/')
                .chars()
                .take_while(char::is_ascii_alphanumeric)
                .collect::<String>()
                .to_ascii_lowercase();
            if !closing && (name == "script" || name == "style") {
                let end = format!("</{name}");
                rest = match find_ci(rest, &end) {
                    Some(i) => rest[i..].find('>').map_or("", |j| &rest[i + j + 1..]),
                    None => "",
                };
                continue;
            }
            if BLOCKS.contains(&name.as_str()) {
                let blank =
                    name == "p" || name == "div" || name.starts_with('h') && name.len() == 2;
                line_break(&mut out, blank);
                pending_space = false;
            }
            continue;
        }
        rest = &rest[c.len_utf8()..];
        if c.is_whitespace() && c != '\u{a0}' {
            pending_space = true;
            continue;
        }
        let ch = if c == '&' {
            let semi = rest.find(';').filter(|&i| i <= 10);
            match semi.and_then(|i| entity(&rest[..i]).map(|e| (i, e))) {
                Some((i, e)) => {
                    rest = &rest[i + 1..];
                    e
                }
                None => '&',
            }
        } else {
            c
        };
        if pending_space && !out.is_empty() && !out.ends_with('\n') {
            out.push(' ');
        }
        pending_space = false;
        out.push(ch);
    }
    let trimmed = out.trim_end_matches(['\n', ' ']);
    trimmed.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_become_lines() {
        assert_eq!(
            html_to_text(
                "<html><body><div>one</div>two<br>three<ul><li>a</li><li>b</li></ul></body></html>"
            ),
            "one\n\ntwo\nthree\na\nb"
        );
    }

    #[test]
    fn entities_comments_and_whitespace() {
        assert_eq!(
            html_to_text("a  <!-- hidden -->\n b &lt;&#65;&#x42;&gt; &bogus; &"),
            "a b <AB> &bogus; &"
        );
        assert_eq!(html_to_text("<STYLE>p{}</STYLE>x<p"), "x");
        assert_eq!(
            html_to_text("Fr&ouml;sche &szlig; &Eacute;t&eacute; &yuml;&iexcl;"),
            "Fr\u{f6}sche \u{df} \u{c9}t\u{e9} \u{ff}\u{a1}"
        );
    }
}
