//! A small YAML reader that keeps line numbers (on top of `saphyr-parser`'s event stream),
//! and the quoting used when writing YAML. TagPacks need nothing more: one document of
//! mappings, sequences and scalars. Anchors and aliases are refused (no alias bombs).

use saphyr_parser::{Event, Parser, ScalarStyle};

use crate::error::LabelError;

/// A YAML node and the 1-based line where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// The 1-based line.
    pub line: usize,
    /// The value.
    pub value: Value,
}

/// A YAML value of the subset TagPacks use.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null`, `~` or nothing.
    Null,
    /// A scalar: its text and whether it was written plain (unquoted; so `true` is a bool).
    Scalar {
        /// The text.
        text: String,
        /// Whether it was unquoted.
        plain: bool,
    },
    /// A sequence.
    Seq(Vec<Node>),
    /// Entries in document order: (key, line of the key, value).
    Map(Vec<(String, usize, Node)>),
}

impl Node {
    /// The scalar text, if this is a scalar.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar { text, .. } => Some(text),
            _ => None,
        }
    }

    /// A plain `true`/`false` (YAML 1.2 core schema spellings).
    pub fn as_bool(&self) -> Option<bool> {
        match &self.value {
            Value::Scalar { text, plain: true } => match text.as_str() {
                "true" | "True" | "TRUE" => Some(true),
                "false" | "False" | "FALSE" => Some(false),
                _ => None,
            },
            _ => None,
        }
    }

    /// Plain-text kind name for error messages.
    pub fn kind(&self) -> &'static str {
        match &self.value {
            Value::Null => "null",
            Value::Scalar { .. } => "scalar",
            Value::Seq(_) => "sequence",
            Value::Map(_) => "mapping",
        }
    }

    /// The node as JSON (scalars become strings; used for free-form `context` fields).
    pub fn to_json(&self) -> serde_json::Value {
        match &self.value {
            Value::Null => serde_json::Value::Null,
            Value::Scalar { text, .. } => serde_json::Value::String(text.clone()),
            Value::Seq(items) => {
                serde_json::Value::Array(items.iter().map(Node::to_json).collect())
            }
            Value::Map(entries) => serde_json::Value::Object(
                entries
                    .iter()
                    .map(|(k, _, v)| (k.clone(), v.to_json()))
                    .collect(),
            ),
        }
    }
}

enum Frame {
    Seq(usize, Vec<Node>),
    Map(usize, Vec<(String, usize, Node)>, Option<(String, usize)>),
}

/// Parse one YAML document. An empty input is `Null`. Errors name the file and line.
pub fn parse(text: &str, file: &str) -> Result<Node, LabelError> {
    let error = |line: usize, message: String| LabelError::Yaml {
        file: file.to_string(),
        line,
        message,
    };
    let mut parser = Parser::new_from_str(text);
    let mut stack: Vec<Frame> = Vec::new();
    let mut root: Option<Node> = None;
    let mut documents = 0usize;
    while let Some(next) = parser.next_event() {
        let (event, span) = next.map_err(|e| error(e.marker().line(), e.info().to_string()))?;
        let line = span.start.line();
        let node = match event {
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 {
                    return Err(error(
                        line,
                        "expected one YAML document, found a second one".into(),
                    ));
                }
                continue;
            }
            Event::Alias(_) => {
                return Err(error(line, "YAML aliases are not supported here".into()));
            }
            Event::Scalar(value, style, anchor, _) => {
                if anchor != 0 {
                    return Err(error(line, "YAML anchors are not supported here".into()));
                }
                let plain = style == ScalarStyle::Plain;
                if plain && matches!(value.as_ref(), "" | "~" | "null" | "Null" | "NULL") {
                    Node {
                        line,
                        value: Value::Null,
                    }
                } else {
                    Node {
                        line,
                        value: Value::Scalar {
                            text: value.into_owned(),
                            plain,
                        },
                    }
                }
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                if anchor != 0 {
                    return Err(error(line, "YAML anchors are not supported here".into()));
                }
                if matches!(event, Event::SequenceStart(..)) {
                    stack.push(Frame::Seq(line, Vec::new()));
                } else {
                    stack.push(Frame::Map(line, Vec::new(), None));
                }
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => match stack.pop() {
                Some(Frame::Seq(start, items)) => Node {
                    line: start,
                    value: Value::Seq(items),
                },
                Some(Frame::Map(start, entries, _)) => Node {
                    line: start,
                    value: Value::Map(entries),
                },
                None => return Err(error(line, "unbalanced end of collection".into())),
            },
            _ => continue,
        };
        match stack.last_mut() {
            None => root = Some(node),
            Some(Frame::Seq(_, items)) => items.push(node),
            Some(Frame::Map(_, entries, pending)) => match pending.take() {
                None => {
                    let key = match &node.value {
                        Value::Scalar { text, .. } => text.clone(),
                        Value::Null => String::new(),
                        _ => {
                            return Err(error(
                                node.line,
                                format!("expected a scalar mapping key, found a {}", node.kind()),
                            ));
                        }
                    };
                    if entries.iter().any(|(k, _, _)| *k == key) {
                        return Err(error(node.line, format!("duplicate key `{key}`")));
                    }
                    *pending = Some((key, node.line));
                }
                Some((key, key_line)) => entries.push((key, key_line, node)),
            },
        }
    }
    Ok(root.unwrap_or(Node {
        line: 1,
        value: Value::Null,
    }))
}

/// A YAML double-quoted scalar for any string (escapes quotes, backslashes and every
/// character YAML does not allow raw).
pub fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for ch in text.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20
                || (0x7f..=0x9f).contains(&(c as u32))
                || c == '\u{feff}'
                || (0xfff0..=0xffff).contains(&(c as u32)) =>
            {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_lines_and_quotes_round_trip() {
        let doc = "a: 1\nb:\n  - x: 'q'\n    y: true\n";
        let node = parse(doc, "t.yaml").unwrap();
        let Value::Map(entries) = &node.value else {
            panic!("not a map")
        };
        assert_eq!(entries[1].1, 2);
        let Value::Seq(items) = &entries[1].2.value else {
            panic!("not a seq")
        };
        assert_eq!(items[0].line, 3);
        let err = parse("a: [1\n", "bad.yaml").unwrap_err();
        assert!(err.to_string().starts_with("bad.yaml:"), "{err}");
        for s in [
            "plain",
            "with \"quotes\" and \\",
            "ctl\u{1}\u{85}\u{feff}",
            "ünï 😀",
        ] {
            let node = parse(&format!("k: {}", quote(s)), "q").unwrap();
            let Value::Map(e) = node.value else { panic!() };
            assert_eq!(e[0].2.as_str(), Some(s));
        }
    }
}
