//! Where a TOML error is: the `toml` crate gives a byte span and a message over several
//! lines; [`TomlError`] turns it into one line naming the file's line, the key as a path
//! (`venue[1].latency.max_us`), the value written there and why it was refused.

use std::collections::BTreeMap;
use std::fmt;

use crate::text::Quoted;

/// A scenario file that is not TOML, has a wrong type or an unknown key, located.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TomlError {
    /// 1-based line of the file, when the error has a place.
    pub line: Option<usize>,
    /// The key as a path (`venue[0].limits.burst`), or the table (`venue[1]`) for an
    /// error on a table header; empty when the line has no key.
    pub key: String,
    /// The value written there, or the line's text when there is no key.
    pub value: String,
    /// What is wrong (the parser's message, on one line).
    pub why: String,
}

impl fmt::Display for TomlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(line) = self.line {
            write!(f, "line {line}: ")?;
        }
        match (self.key.is_empty(), self.value.is_empty()) {
            (false, false) => write!(f, "{} = {}: ", self.key, self.value)?,
            (false, true) => write!(f, "{}: ", self.key)?,
            (true, false) => write!(f, "{}: ", Quoted(&self.value))?,
            (true, true) => {}
        }
        f.write_str(&self.why)
    }
}

impl TomlError {
    /// Locates `e`, an error of parsing `text`.
    pub fn new(text: &str, e: &toml::de::Error) -> TomlError {
        let mut why = e.message().trim().replace('\n', "; ");
        if text.parse::<toml::Table>().is_err() {
            why.insert_str(0, "invalid TOML: ");
        }
        let Some(span) = e.span() else {
            return TomlError {
                line: None,
                key: String::new(),
                value: String::new(),
                why,
            };
        };
        let mut at = span.start.min(text.len());
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
        let end = text[at..].find('\n').map_or(text.len(), |i| at + i);
        let line = text[start..end].trim_end_matches('\r');
        let number = text[..start].matches('\n').count() + 1;
        let (key, value) = if line.trim_start().starts_with('[') {
            // A table header: the table (its own header counted).
            (table_path(&text[..end]), String::new())
        } else {
            match key_in_line(line, at - start) {
                Some((keys, value)) => {
                    let (keys, value) = inside(keys, value, &why);
                    (join(&table_path(&text[..start]), &keys), value)
                }
                None => (String::new(), line.trim().to_string()),
            }
        };
        TomlError {
            line: Some(number),
            key,
            value,
            why,
        }
    }
}

fn join(table: &str, keys: &str) -> String {
    if table.is_empty() {
        keys.to_string()
    } else {
        format!("{table}.{keys}")
    }
}

/// The table in effect after `before` (its headers, arrays of tables indexed):
/// `venue[1].faults` after `[[venue]]`, `[[venue]]`, `[venue.faults]`.
fn table_path(before: &str) -> String {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut current = String::new();
    for line in before.lines().map(str::trim) {
        let (name, array) = if let Some(n) = line.strip_prefix("[[") {
            (n.split("]]").next().unwrap_or(""), true)
        } else if let Some(n) = line.strip_prefix('[') {
            (n.split(']').next().unwrap_or(""), false)
        } else {
            continue;
        };
        let name = name.trim().to_string();
        if array {
            *seen.entry(name.clone()).or_insert(0) += 1;
        }
        current = indexed(&name, &seen);
    }
    current
}

/// `a.b.c` with each prefix that names an array of tables given its latest index.
fn indexed(name: &str, seen: &BTreeMap<String, usize>) -> String {
    let mut prefix = String::new();
    let mut out = String::new();
    for part in name.split('.').map(str::trim) {
        if !prefix.is_empty() {
            prefix.push('.');
            out.push('.');
        }
        prefix.push_str(part);
        out.push_str(part);
        if let Some(n) = seen.get(&prefix) {
            out.push_str(&format!("[{}]", n.saturating_sub(1)));
        }
    }
    out
}

/// The key path within one `key = value` line (through inline tables) at byte `col`,
/// and the value written for it. `None` when the line has no key there.
fn key_in_line(line: &str, col: usize) -> Option<(String, String)> {
    let bytes = line.as_bytes();
    // Per inline-table depth: the key being read, and where its value starts.
    let mut stack: Vec<Option<(String, usize)>> = vec![None];
    let mut token = String::new();
    let mut i = 0;
    while i < col.min(bytes.len()) {
        match bytes[i] {
            q @ (b'"' | b'\'') => {
                let close = line[i + 1..]
                    .find(q as char)
                    .map_or(bytes.len(), |j| i + 1 + j);
                token.push_str(line.get(i..=close).unwrap_or(&line[i..]));
                i = close;
            }
            b'=' => {
                let key = token.trim().to_string();
                *stack.last_mut()? = Some((key, i + 1));
                token.clear();
            }
            b'{' => {
                stack.push(None);
                token.clear();
            }
            b'}' => {
                stack.pop();
                if stack.is_empty() {
                    return None;
                }
                token.clear();
            }
            b',' => {
                *stack.last_mut()? = None;
                token.clear();
            }
            b'#' => return None,
            b'[' | b']' => {}
            _ => token.push(char::from(bytes[i])),
        }
        i += 1;
    }
    // At a key itself (an unknown key): read it from `col`.
    if stack.last()?.is_none() {
        let rest = line.get(col..)?;
        let eq = rest.find('=')?;
        *stack.last_mut()? = Some((rest[..eq].trim().to_string(), col + eq + 1));
    }
    let keys: Vec<&str> = stack.iter().flatten().map(|(k, _)| k.as_str()).collect();
    let (_, from) = stack.last()?.as_ref()?;
    Some((keys.join("."), value_at(line, *from)))
}

/// For an error on a whole inline table (serde reads a tagged one, such as `latency`,
/// as a unit), the entry inside it that the message names: by key (`unknown field `x``,
/// `missing field `x``) or by the value it quotes (`invalid value: integer `-1``).
fn inside(keys: String, value: String, why: &str) -> (String, String) {
    if !value.starts_with('{') {
        return (keys, value);
    }
    let quoted = |after: &str, close: char| {
        let rest = &why[why.find(after)? + after.len()..];
        Some(rest[..rest.find(close)?].to_string())
    };
    let entries = entries(&value);
    let found = if let Some(k) = quoted("missing field `", '`') {
        Some((k, String::new()))
    } else if let Some(k) = quoted("unknown field `", '`') {
        entries.into_iter().find(|(key, _)| *key == k)
    } else {
        let text = quoted("string \"", '"')
            .or_else(|| quoted("unknown variant `", '`'))
            .map(|t| Quoted(&t).to_string())
            .or_else(|| quoted("`", '`'));
        text.and_then(|t| entries.into_iter().find(|(_, v)| *v == t))
    };
    match found {
        Some((k, v)) => (format!("{keys}.{k}"), v),
        None => (keys, value),
    }
}

/// The `key = value` entries of an inline table's text (`{ a = 1, b = "x" }`), outer
/// level only.
fn entries(table: &str) -> Vec<(String, String)> {
    let body = table.strip_prefix('{').unwrap_or(table);
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(eq) = body[from..].find('=') {
        let key = body[from..from + eq].trim().to_string();
        let value = value_at(body, from + eq + 1);
        let after = from + eq + 1 + body[from + eq + 1..].find(&value).unwrap_or(0);
        out.push((key, value.clone()));
        from = after + value.len();
        match body[from..].find(',') {
            Some(c) => from += c + 1,
            None => break,
        }
    }
    out
}

/// The value text starting at byte `from`: to the `,` or `}` that ends it, or the line's
/// end or comment.
fn value_at(line: &str, from: usize) -> String {
    let rest = line.get(from..).unwrap_or("");
    let mut depth = 0i32;
    let mut quote = None;
    for (i, c) in rest.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '{' | '[') => depth += 1,
            (None, '}' | ']') if depth > 0 => depth -= 1,
            (None, ',' | '}' | '#') if depth == 0 => return rest[..i].trim().to_string(),
            _ => {}
        }
    }
    rest.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::super::{Scenario, DEFAULT};
    use super::*;

    /// The default scenario with `from` replaced by `to`, located.
    fn located(from: &str, to: &str) -> TomlError {
        assert!(DEFAULT.contains(from));
        let text = DEFAULT.replacen(from, to, 1);
        let e = toml::from_str::<Scenario>(&text).unwrap_err();
        TomlError::new(&text, &e)
    }

    #[test]
    fn a_wrong_type_in_an_inline_table_names_its_path_and_value() {
        let e = located(
            "min_us = 100, max_us = 300",
            "min_us = 100, max_us = \"soon\"",
        );
        assert_eq!(e.line, Some(44));
        assert_eq!(e.key, "venue[1].latency.max_us");
        assert_eq!(e.value, "\"soon\"");
        assert!(e.why.contains("invalid type"), "{e}");
        assert!(!e.to_string().contains('\n'));
    }

    #[test]
    fn an_unknown_key_under_a_sub_table_names_its_path() {
        let e = located("burst = 50", "burst = 50\ncolar = 7");
        let got = (e.line, e.key.as_str(), e.value.as_str());
        assert_eq!(got, (Some(33), "venue[0].limits.colar", "7"));
        assert!(e.why.contains("unknown field `colar`"), "{e}");
    }

    #[test]
    fn an_error_inside_a_tagged_table_names_the_entry() {
        let e = located("min_us = 100, max_us = 300", "min_us = -1, max_us = 300");
        assert_eq!(
            (e.key.as_str(), e.value.as_str()),
            ("venue[1].latency.min_us", "-1")
        );
        let e = located(
            "kind = \"uniform\", min_us = 100",
            "kind = \"unif\", min_us = 100",
        );
        let got = (e.key.as_str(), e.value.as_str());
        assert_eq!(got, ("venue[1].latency.kind", "\"unif\""));
        let e = located(
            "kind = \"uniform\", min_us = 100",
            "kind = \"uniform\", mn_us = 100",
        );
        assert_eq!(
            (e.key.as_str(), e.value.as_str()),
            ("venue[1].latency.mn_us", "100")
        );
    }

    #[test]
    fn a_missing_key_names_its_table() {
        let e = located("tick = \"0.1\"\n", "");
        assert_eq!(e.key, "venue[1]", "{e}");
        assert!(e.why.contains("missing field `tick`"), "{e}");
    }

    #[test]
    fn syntax_errors_give_the_line_and_its_text() {
        let text = "name = \"x\"\nthis is [not toml\n";
        let e = TomlError::new(text, &toml::from_str::<Scenario>(text).unwrap_err());
        assert_eq!(e.line, Some(2));
        assert_eq!(e.key, "");
        assert!(e.why.starts_with("invalid TOML: "), "{e}");
        assert_eq!(e.to_string().lines().count(), 1, "{e}");
    }

    #[test]
    fn paths_index_arrays_of_tables() {
        let text = "[[venue]]\n[venue.faults]\n[[venue]]\n[venue.faults]\n";
        assert_eq!(table_path(text), "venue[1].faults");
        assert_eq!(table_path("[strategy]\n"), "strategy");
        assert_eq!(table_path(""), "");
        let (k, v) = key_in_line("a = { b = { c = 5 }, d = \"x,y\" }", 29).unwrap();
        assert_eq!((k.as_str(), v.as_str()), ("a.d", "\"x,y\""));
    }
}
