//! YAML in and out for wadm manifests: a document read into a JSON value (what wadm's API
//! takes with `Content-Type: application/json`) together with the line and column of every
//! node, so a mistake found later is reported where it is in the file; and a value written
//! back as block-style YAML that reads back to the same value.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::{Map, Number, Value};
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// A place in the text: 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Location {
    pub line: usize,
    pub column: usize,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {} column {}", self.line, self.column)
    }
}

/// A YAML text that is not one well-formed document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{location}: {message}")]
pub struct YamlError {
    pub location: Location,
    pub message: String,
}

/// A parsed document: its value, and where each node of it starts. Paths are written as
/// `spec.components[0].name`; a mapping entry is located at its key.
#[derive(Debug, Clone)]
pub struct Document {
    pub value: Value,
    locations: BTreeMap<String, Location>,
}

impl Document {
    /// Where the node at `path` is, or the nearest enclosing node that has a place.
    pub fn locate(&self, path: &str) -> Option<Location> {
        let mut path = path;
        loop {
            if let Some(location) = self.locations.get(path) {
                return Some(*location);
            }
            let cut = path.rfind(['.', '['])?;
            path = &path[..cut];
        }
    }
}

fn location(mark: Marker) -> Location {
    Location {
        line: mark.line(),
        column: mark.col() + 1,
    }
}

/// Reads one YAML document.
pub fn parse(text: &str) -> Result<Document, YamlError> {
    let mut builder = Builder::default();
    let mut parser = Parser::new_from_str(text);
    parser.load(&mut builder, true).map_err(|e| YamlError {
        location: location(*e.marker()),
        message: e.info().to_string(),
    })?;
    if let Some(error) = builder.error {
        return Err(error);
    }
    match builder.documents.len() {
        0 => Err(YamlError {
            location: Location { line: 1, column: 1 },
            message: "the file is empty".into(),
        }),
        1 => Ok(Document {
            value: builder.documents.remove(0),
            locations: builder.locations,
        }),
        _ => Err(YamlError {
            location: builder
                .second_document
                .unwrap_or(Location { line: 1, column: 1 }),
            message: "more than one YAML document: give one application per file".into(),
        }),
    }
}

/// A container being filled, with its path.
enum Open {
    Sequence {
        path: String,
        items: Vec<Value>,
    },
    Mapping {
        path: String,
        entries: Map<String, Value>,
        key: Option<String>,
    },
}

#[derive(Default)]
struct Builder {
    stack: Vec<(Open, usize)>,
    documents: Vec<Value>,
    anchors: BTreeMap<usize, Value>,
    locations: BTreeMap<String, Location>,
    second_document: Option<Location>,
    error: Option<YamlError>,
}

impl Builder {
    /// The path the next value goes to, or None when the next scalar is a mapping key.
    fn next_path(&self) -> Option<String> {
        match self.stack.last() {
            None => Some(String::new()),
            Some((Open::Sequence { path, items }, _)) => Some(format!("{path}[{}]", items.len())),
            Some((
                Open::Mapping {
                    path,
                    key: Some(key),
                    ..
                },
                _,
            )) => Some(if path.is_empty() {
                key.clone()
            } else {
                format!("{path}.{key}")
            }),
            Some((Open::Mapping { key: None, .. }, _)) => None,
        }
    }

    fn fail(&mut self, mark: Marker, message: String) {
        if self.error.is_none() {
            self.error = Some(YamlError {
                location: location(mark),
                message,
            });
        }
    }

    /// Puts a finished value where it belongs.
    fn place(&mut self, value: Value, anchor: usize) {
        if anchor > 0 {
            self.anchors.insert(anchor, value.clone());
        }
        match self.stack.last_mut() {
            None => self.documents.push(value),
            Some((Open::Sequence { items, .. }, _)) => items.push(value),
            Some((Open::Mapping { entries, key, .. }, _)) => {
                if let Some(key) = key.take() {
                    entries.insert(key, value);
                }
            }
        }
    }

    /// A scalar or container that is a mapping key: only scalars can be.
    fn take_key(&mut self, key: String, mark: Marker) {
        let Some((
            Open::Mapping {
                path,
                entries,
                key: slot,
            },
            _,
        )) = self.stack.last_mut()
        else {
            return;
        };
        let full = if path.is_empty() {
            key.clone()
        } else {
            format!("{path}.{key}")
        };
        if entries.contains_key(&key) {
            let message = format!("`{key}` appears twice in this mapping");
            self.fail(mark, message);
            return;
        }
        // A mapping in a sequence has no key of its own, and its start event is marked past
        // its first key: that key says where the item is.
        if entries.is_empty() && path.ends_with(']') {
            self.locations.insert(path.clone(), location(mark));
        }
        *slot = Some(key);
        self.locations.insert(full, location(mark));
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, event: Event, mark: Marker) {
        if self.error.is_some() {
            return;
        }
        match event {
            Event::DocumentStart if !self.documents.is_empty() => {
                self.second_document.get_or_insert(location(mark));
            }
            Event::Scalar(text, style, anchor, tag) => match self.next_path() {
                None => self.take_key(text, mark),
                Some(path) => {
                    self.locations.entry(path).or_insert(location(mark));
                    self.place(resolve_scalar(text, style, tag.as_ref()), anchor);
                }
            },
            Event::Alias(anchor) => {
                let Some(value) = self.anchors.get(&anchor).cloned() else {
                    return self.fail(mark, "an alias to an unknown anchor".into());
                };
                match self.next_path() {
                    None => match value {
                        Value::String(key) => self.take_key(key, mark),
                        _ => self.fail(mark, "a mapping key must be a plain value".into()),
                    },
                    Some(path) => {
                        self.locations.entry(path).or_insert(location(mark));
                        self.place(value, 0);
                    }
                }
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                let Some(path) = self.next_path() else {
                    return self.fail(mark, "a mapping key must be a plain value".into());
                };
                self.locations.entry(path.clone()).or_insert(location(mark));
                let open = if matches!(event, Event::SequenceStart(..)) {
                    Open::Sequence {
                        path,
                        items: Vec::new(),
                    }
                } else {
                    Open::Mapping {
                        path,
                        entries: Map::new(),
                        key: None,
                    }
                };
                self.stack.push((open, anchor));
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some((open, anchor)) = self.stack.pop() {
                    let value = match open {
                        Open::Sequence { items, .. } => Value::Array(items),
                        Open::Mapping { entries, .. } => Value::Object(entries),
                    };
                    self.place(value, anchor);
                }
            }
            _ => {}
        }
    }
}

/// A scalar's value under the YAML core schema: plain `null`, booleans and numbers are
/// typed, anything quoted, block-styled or tagged `!!str` is a string.
fn resolve_scalar(text: String, style: TScalarStyle, tag: Option<&Tag>) -> Value {
    if let Some(tag) = tag {
        if tag.suffix == "str" {
            return Value::String(text);
        }
    }
    if style != TScalarStyle::Plain {
        return Value::String(text);
    }
    match text.as_str() {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    if let Some(number) = plain_number(&text) {
        return Value::Number(number);
    }
    Value::String(text)
}

fn plain_number(text: &str) -> Option<Number> {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if digits.is_empty() {
        return None;
    }
    if let Some(hex) = text.strip_prefix("0x") {
        return u64::from_str_radix(hex, 16).ok().map(Number::from);
    }
    if let Some(octal) = text.strip_prefix("0o") {
        return u64::from_str_radix(octal, 8).ok().map(Number::from);
    }
    if digits.bytes().all(|b| b.is_ascii_digit()) {
        return text
            .parse::<i64>()
            .ok()
            .map(Number::from)
            .or_else(|| text.parse::<u64>().ok().map(Number::from));
    }
    let float_chars = digits
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'-' | b'+'));
    let has_digit = digits
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_digit() || b == b'.')
        && digits.bytes().any(|b| b.is_ascii_digit());
    if float_chars && has_digit {
        return text.parse::<f64>().ok().and_then(Number::from_f64);
    }
    None
}

/// Writes a value as block-style YAML (a header of `# ` comment lines first, if given).
pub fn to_yaml(value: &Value, header: &[&str]) -> String {
    let mut out = String::new();
    for line in header {
        let _ = writeln!(out, "# {line}");
    }
    match value {
        Value::Object(map) if !map.is_empty() => write_mapping(&mut out, map, 0),
        Value::Array(items) if !items.is_empty() => write_sequence(&mut out, items, 0),
        other => {
            out.push_str(&inline(other));
            out.push('\n');
        }
    }
    out
}

fn indent(out: &mut String, depth: usize) {
    out.extend(std::iter::repeat_n(' ', depth));
}

fn write_mapping(out: &mut String, map: &Map<String, Value>, depth: usize) {
    for (i, (key, value)) in map.iter().enumerate() {
        if i > 0 {
            indent(out, depth);
        }
        out.push_str(&scalar_string(key));
        out.push(':');
        write_value_after(out, value, depth, true);
    }
}

fn write_sequence(out: &mut String, items: &[Value], depth: usize) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            indent(out, depth);
        }
        out.push('-');
        write_value_after(out, item, depth, false);
    }
}

/// A value after `key:` or `-`: inline when it is a scalar or empty, else on the next lines
/// (a sequence under a key at the key's own indentation, as wadm's examples write them).
fn write_value_after(out: &mut String, value: &Value, depth: usize, after_key: bool) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            if after_key {
                out.push('\n');
                indent(out, depth + 2);
            } else {
                out.push(' ');
            }
            write_mapping(out, map, depth + 2);
        }
        Value::Array(items) if !items.is_empty() => {
            if after_key {
                out.push('\n');
                indent(out, depth + 2);
            } else {
                out.push(' ');
            }
            write_sequence(out, items, depth + 2);
        }
        other => {
            out.push(' ');
            out.push_str(&inline(other));
            out.push('\n');
        }
    }
}

fn inline(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => scalar_string(s),
        Value::Array(_) => "[]".into(),
        Value::Object(_) => "{}".into(),
    }
}

/// A string as a plain scalar when it reads back as the same string, else double-quoted
/// (JSON's escapes are YAML's).
fn scalar_string(text: &str) -> String {
    let plain_safe = !text.is_empty()
        && !text.starts_with([
            ' ', '-', '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"',
            '%', '@', '`',
        ])
        && !text.ends_with([' ', ':'])
        && !text.contains(": ")
        && !text.contains(" #")
        && text.chars().all(|c| !c.is_control())
        && matches!(
            resolve_scalar(text.to_string(), TScalarStyle::Plain, None),
            Value::String(_)
        );
    if plain_safe {
        text.to_string()
    } else {
        Value::String(text.to_string()).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_and_places() {
        let doc = parse(
            "apiVersion: core.oam.dev/v1beta1\nmetadata:\n  name: hello\n  annotations:\n    version: \"0.1\"\nspec:\n  components:\n    - name: a\n      n: 3\n      t: true\n      f: 1.5\n      z: ~\n    - name: 'b'\n",
        )
        .unwrap();
        assert_eq!(
            doc.value,
            json!({"apiVersion": "core.oam.dev/v1beta1",
                "metadata": {"name": "hello", "annotations": {"version": "0.1"}},
                "spec": {"components": [{"name": "a", "n": 3, "t": true, "f": 1.5, "z": null}, {"name": "b"}]}})
        );
        assert_eq!(
            doc.locate("metadata.name"),
            Some(Location { line: 3, column: 3 })
        );
        assert_eq!(
            doc.locate("spec.components[1].name"),
            Some(Location {
                line: 13,
                column: 7
            })
        );
        assert_eq!(
            doc.locate("spec.components[0]"),
            Some(Location { line: 8, column: 7 })
        );
        // A path with no node of its own falls back to its nearest parent.
        assert_eq!(
            doc.locate("spec.components[1].traits"),
            doc.locate("spec.components[1]")
        );
    }

    #[test]
    fn anchors_flow_style_and_tags() {
        let doc = parse("a: &x [1, {b: c}]\nd: *x\ne: !!str 12\nf: \"12\"\n").unwrap();
        assert_eq!(
            doc.value,
            json!({"a": [1, {"b": "c"}], "d": [1, {"b": "c"}], "e": "12", "f": "12"})
        );
    }

    #[test]
    fn broken_documents_are_located() {
        let err = parse("a: 1\nb: [1, 2\n").unwrap_err();
        assert!(err.location.line >= 2, "{err}");
        let err = parse("a: 1\na: 2\n").unwrap_err();
        assert_eq!(err.location, Location { line: 2, column: 1 });
        assert!(err.message.contains("twice"), "{err}");
        let err = parse("a: 1\n---\nb: 2\n").unwrap_err();
        assert!(err.message.contains("more than one"), "{err}");
        assert!(parse("").unwrap_err().message.contains("empty"));
    }

    #[test]
    fn written_yaml_reads_back_the_same() {
        let value = json!({
            "name": "x", "empty": "", "num_text": "0.1.0", "int_text": "42", "bool_text": "true",
            "colon": "a: b", "url": "file:///tmp/x_s.wasm", "dash": "-x", "list": [
                {"k": "v", "nested": [1, 2], "deep": {"a": [{"b": null}]}}, "s", [], {}
            ],
            "quote": "it's \"quoted\"", "newline": "a\nb", "hash": "a #b", "n": 3, "f": 2.5
        });
        let text = to_yaml(&value, &["generated"]);
        assert!(text.starts_with("# generated\n"), "{text}");
        assert_eq!(parse(&text).unwrap().value, value, "{text}");
    }
}
