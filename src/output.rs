//! Everything that reaches the terminal: text or JSON on stdout, notes and errors on stderr.

use std::fmt::Write as _;
use std::io::{self, IsTerminal, Write};

use clap::ValueEnum;
use serde::Serialize;
use serde_json::{Map, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    #[default]
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Color {
    #[default]
    Auto,
    Always,
    Never,
}

impl Color {
    pub fn to_clap(self) -> clap::ColorChoice {
        match self {
            Color::Auto => clap::ColorChoice::Auto,
            Color::Always => clap::ColorChoice::Always,
            Color::Never => clap::ColorChoice::Never,
        }
    }
}

/// How and where a command reports.
#[derive(Debug, Clone)]
pub struct Output {
    pub format: Format,
    pub verbose: u8,
    stderr_color: bool,
}

impl Output {
    pub fn new(format: Format, color: Color, verbose: u8) -> Self {
        let stderr_color = match color {
            Color::Always => true,
            Color::Never => false,
            Color::Auto => io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
        };
        Output {
            format,
            verbose,
            stderr_color,
        }
    }

    /// Prints a command's result: `text` for people, or with `-o json` the JSON of
    /// `result` (a library type that derives `Serialize`, or a `json!` object), to which
    /// `"success": true` is added, as wash does.
    pub fn result(&self, text: &str, result: impl Serialize) -> io::Result<()> {
        self.report(text, result, true)
    }

    /// A result that is also a failure (`doctor` with a failing check): printed as
    /// [`Self::result`] prints, with `"success": false`; the error follows on stderr.
    pub fn report(&self, text: &str, result: impl Serialize, success: bool) -> io::Result<()> {
        let mut stdout = io::stdout().lock();
        match self.format {
            Format::Text => {
                stdout.write_all(text.as_bytes())?;
                if !text.is_empty() && !text.ends_with('\n') {
                    stdout.write_all(b"\n")?;
                }
            }
            Format::Json => {
                let value = match serde_json::to_value(result).map_err(io::Error::other)? {
                    Value::Object(mut map) => {
                        map.insert("success".into(), Value::Bool(success));
                        Value::Object(map)
                    }
                    other => other,
                };
                serde_json::to_writer_pretty(&mut stdout, &value)?;
                stdout.write_all(b"\n")?;
            }
        }
        stdout.flush()
    }

    /// One item of a stream (`ctl events`): `text` as a line, or the item as one line of
    /// JSON. False once stdout is gone, so the stream can end.
    pub fn stream_item(&self, text: &str, item: impl Serialize) -> bool {
        let line = match self.format {
            Format::Text => text.to_string(),
            Format::Json => serde_json::to_string(&item).unwrap_or_default(),
        };
        let mut stdout = io::stdout().lock();
        writeln!(stdout, "{line}")
            .and_then(|_| stdout.flush())
            .is_ok()
    }

    /// A note for people on stderr (key generated, file written). Silent in JSON mode,
    /// where the result says it.
    pub fn note(&self, text: &str) {
        if self.format == Format::Text {
            let _ = writeln!(io::stderr(), "{text}");
        }
    }

    /// A status line on stderr, as cargo prints them: the verb right-aligned in twelve
    /// columns (bold green where colors are on), then the message. Silent in JSON mode.
    pub fn status(&self, verb: &str, message: &str) {
        if self.format == Format::Text {
            let verb = self.paint(&format!("{verb:>12}"), "1;32");
            let _ = writeln!(io::stderr(), "{verb} {message}");
        }
    }

    /// Detail for `-v`, on stderr.
    pub fn detail(&self, text: &str) {
        if self.verbose > 0 {
            let _ = writeln!(io::stderr(), "{text}");
        }
    }

    /// A warning on stderr, in every mode.
    pub fn warn(&self, text: &str) {
        let prefix = self.paint("warning:", "33");
        let _ = writeln!(io::stderr(), "{prefix} {text}");
    }

    /// Reports a failed command: one line on stderr (`{"success":false,...}` in JSON mode),
    /// its causes joined. A cause that is several lines long (wit-parser's diagnostics with
    /// their caret) has its first line there and the whole text below, indented.
    pub fn error(&self, error: &anyhow::Error) {
        let message = one_line(error);
        let mut stderr = io::stderr().lock();
        let _ = match self.format {
            Format::Json => {
                let mut map = Map::new();
                map.insert("success".into(), Value::Bool(false));
                map.insert("error".into(), Value::String(message));
                writeln!(stderr, "{}", Value::Object(map))
            }
            Format::Text => {
                let prefix = self.paint("error:", "1;31");
                let mut text = format!("{prefix} {message}\n");
                for block in multi_line_causes(error) {
                    for line in block.lines() {
                        text.push_str("  ");
                        text.push_str(line);
                        text.push('\n');
                    }
                }
                stderr.write_all(text.as_bytes())
            }
        };
    }

    fn paint(&self, text: &str, code: &str) -> String {
        if self.stderr_color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}

/// An error and its causes on one line, without repeating a cause its context already says;
/// of a cause that spans lines, only the first.
pub fn one_line(error: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in error.chain() {
        let text = cause.to_string();
        let first = text.lines().next().unwrap_or("").trim_end();
        if first.is_empty() || line.contains(first) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(first);
    }
    line
}

/// The causes of an error whose text spans several lines, each once.
fn multi_line_causes(error: &anyhow::Error) -> Vec<String> {
    let mut blocks: Vec<String> = Vec::new();
    for cause in error.chain() {
        let text = cause.to_string();
        let text = text.trim_end();
        if text.contains('\n') && !blocks.iter().any(|b| b.contains(text)) {
            blocks.push(text.to_string());
        }
    }
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causes_join_on_one_line_and_long_ones_are_kept_whole() {
        let inner =
            anyhow::Error::msg("expected `}`, found `;`\n --> a.wit:3:4\n  |\n3 | x;\n  |  ^");
        let error = inner.context("the generated WIT does not parse");
        assert_eq!(
            one_line(&error),
            "the generated WIT does not parse: expected `}`, found `;`"
        );
        let blocks = multi_line_causes(&error);
        assert_eq!(blocks.len(), 1);
        assert!(blocks[0].contains("a.wit:3:4") && blocks[0].contains('^'));
        let plain = anyhow::anyhow!("no such file").context("cannot read x.wasm");
        assert_eq!(one_line(&plain), "cannot read x.wasm: no such file");
        // A message that already says its source does not say it twice.
        #[derive(Debug, thiserror::Error)]
        #[error("NATS: {0}")]
        struct Wrapped(#[source] std::io::Error);
        let wrapped = anyhow::Error::new(Wrapped(std::io::Error::other("connection reset")));
        assert_eq!(one_line(&wrapped), "NATS: connection reset");
        assert!(multi_line_causes(&plain).is_empty());
    }
}

/// A borderless two-column table: a label column padded to the widest label.
#[derive(Debug, Default)]
pub struct Table {
    rows: Vec<(String, String)>,
}

impl Table {
    pub fn row(&mut self, label: impl Into<String>, value: impl Into<String>) -> &mut Self {
        self.rows.push((label.into(), value.into()));
        self
    }

    pub fn render(&self) -> String {
        let width = self
            .rows
            .iter()
            .map(|(l, _)| l.chars().count())
            .max()
            .unwrap_or(0);
        let mut out = String::new();
        for (label, value) in &self.rows {
            let _ = writeln!(out, "{label:<width$}   {value}");
        }
        out
    }
}
