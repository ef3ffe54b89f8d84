//! Reading Rust source with syn without letting it run out of stack.
//!
//! syn's parser recurses once per nesting level (a bracket, `&`, `!`, `Option<`, `fn() ->`,
//! `else if` …), up to ~28 KiB of stack per token in a debug build and ~2.5 KiB in release
//! (measured on syn 2.0.119). A crafted or generated file nesting tens of thousands of levels
//! would overflow the stack, which aborts the process: no error line, no cleanup. So:
//!
//! - before syn sees a file, its tokens are lexed by proc-macro2 (an explicit stack, no
//!   recursion) and a bound on how deep any parser could recurse is taken: the sum, along the
//!   path of enclosing brackets, of the tokens since the last point where syn was back in a
//!   loop with nothing left open (see `check_nesting`). Past [`MAX_NESTING`] the file is
//!   refused with one located error.
//! - everything that parses or walks the tree runs on a thread with [`DEEP_STACK`] bytes,
//!   enough for `MAX_NESTING` levels of the worst case measured, debug build included. The
//!   stack is only reserved: pages are used as the recursion reaches them.

use std::str::FromStr;

use proc_macro2::{Delimiter, Span, TokenStream, TokenTree};

/// The deepest chain (see the module text) a file may have. Ordinary code stays under a few
/// hundred; this leaves room for long generated expressions.
pub const MAX_NESTING: usize = 4096;

/// Stack for the thread that parses: `MAX_NESTING` × the worst 28 KiB per level, doubled.
pub const DEEP_STACK: usize = 256 << 20;

/// Why a file was not parsed.
#[derive(Debug)]
pub struct SourceError {
    pub span: Span,
    pub message: String,
}

impl From<syn::Error> for SourceError {
    fn from(e: syn::Error) -> Self {
        SourceError {
            span: e.span(),
            message: e.to_string(),
        }
    }
}

/// Parses a whole file, refusing nesting that would exhaust the stack. Call it (and walk
/// the result) inside [`with_deep_stack`].
pub fn parse_file(text: &str) -> Result<syn::File, SourceError> {
    check_nesting(without_shebang(text))?;
    Ok(syn::parse_file(text)?)
}

/// Runs `work` on a thread with a [`DEEP_STACK`] stack, borrowing what it needs. Where no
/// such thread can be had (address space exhausted) it runs here, on the usual stack.
pub fn with_deep_stack<T: Send>(work: impl FnOnce() -> T + Send) -> T {
    let mut work = Some(work);
    let mut result = None;
    std::thread::scope(|scope| {
        let spawned = std::thread::Builder::new()
            .name("rust-source".into())
            .stack_size(DEEP_STACK)
            .spawn_scoped(scope, || (work.take().unwrap())());
        // A failed spawn drops the closure unrun, so `work` is still there for below.
        if let Ok(handle) = spawned {
            match handle.join() {
                Ok(value) => result = Some(value),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
    });
    match result {
        Some(value) => value,
        None => (work.take().expect("the work did not run"))(),
    }
}

/// syn skips a first line `#!…` that is not an inner attribute `#![…]`; so does the check.
fn without_shebang(text: &str) -> &str {
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    match body.strip_prefix("#!") {
        Some(rest) if !rest.trim_start().starts_with('[') => {
            &body[body.find('\n').unwrap_or(body.len())..]
        }
        _ => body,
    }
}

/// Keywords after which a punctuation mark starts an operand (`return &x`) rather than
/// continuing one (`x & y`).
const NOT_OPERANDS: &[&str] = &[
    "as", "async", "box", "break", "const", "dyn", "else", "enum", "extern", "fn", "for", "if",
    "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return", "static",
    "struct", "trait", "type", "unsafe", "use", "where", "while", "yield",
];

/// Keywords whose operand is the whole rest of an expression, so their level stays on
/// syn's stack while that expression's operators come and go.
const HELD_OPEN: &[&str] = &["return", "break", "yield", "move", "static", "async"];

/// The bound described in the module text, over a lexed copy of the file. A file that
/// does not lex is left for syn to report.
///
/// Within one bracket level the count restarts where syn's parsers are back in a loop with
/// nothing of theirs left on the stack: after `,` and `;`, after an attribute, and after a
/// `{…}` block that an item or statement can follow (one not followed by `else` or an
/// operator). At a binary operator (`+`, `&&`, `|`, `.`, `::`, …, one following an operand)
/// syn has finished the operand before it, so the count goes back to what stays open
/// across it: assignments, closures and `return`-like keywords, which take everything after.
fn check_nesting(text: &str) -> Result<(), SourceError> {
    let Ok(tokens) = TokenStream::from_str(text) else {
        return Ok(());
    };
    #[derive(Default)]
    struct Level {
        tokens: Option<proc_macro2::token_stream::IntoIter>,
        /// Chain length of the enclosing levels where this group starts.
        base: usize,
        /// This level's part of the chain.
        run: usize,
        /// Of `run`, what a binary operator does not end (see above).
        held: usize,
        /// The previous token ends an operand: a punctuation mark now is an infix operator.
        after_operand: bool,
        /// The previous token closed a `{…}` block / an attribute's `[…]`.
        after_block: bool,
        after_attribute: bool,
        /// The previous tokens were `#` or `#!`: a `[…]` now is an attribute.
        after_hash: bool,
        /// The previous token was punctuation joined to this one (`<=`, `+=`, `->`).
        joined_to: Option<char>,
        /// `<` not yet closed by `>`: generics, whose `,` ends nothing (a comparison counts
        /// too, which only makes the bound larger).
        open_angles: usize,
        /// Between the `|`s of a closure's parameters, whose `,` ends nothing either.
        in_closure_params: bool,
        /// The previous token was a closure's `|`: a `|` joined to it is the next one
        /// (`||`, `|x||y|`), not the second half of the `||` operator.
        after_closure_bar: bool,
        /// The word just read, if the token was one.
        after_word: Option<String>,
        /// The next group is a macro's body (`name!(…)`, `macro_rules! name {…}`), kept by
        /// syn as tokens, unparsed. `bitflags!` bodies are parsed (by the scan), so they count.
        macro_body_next: bool,
        macro_rules_name_next: bool,
    }
    let mut levels = vec![Level {
        tokens: Some(tokens.into_iter()),
        ..Level::default()
    }];
    while let Some(level) = levels.last_mut() {
        let Some(token) = level.tokens.as_mut().and_then(Iterator::next) else {
            levels.pop();
            continue;
        };
        let restarts_after_block = match &token {
            TokenTree::Ident(i) => i != "else" && i != "as",
            TokenTree::Literal(_) | TokenTree::Group(_) => true,
            TokenTree::Punct(p) => p.as_char() == '#',
        };
        if level.after_attribute || (level.after_block && restarts_after_block) {
            level.run = 0;
            level.held = 0;
            level.open_angles = 0;
        }
        level.after_block = false;
        level.after_attribute = false;
        level.run += 1;
        if level.base + level.run > MAX_NESTING {
            return Err(SourceError {
                span: token.span(),
                message: format!(
                    "nested too deeply to read (more than {MAX_NESTING} levels of brackets, \
                     operators or generics in one chain); split it up"
                ),
            });
        }
        let joined_to = level.joined_to.take();
        let after_hash = std::mem::take(&mut level.after_hash);
        let after_word = level.after_word.take();
        let macro_body = std::mem::take(&mut level.macro_body_next);
        let macro_rules_name = std::mem::take(&mut level.macro_rules_name_next);
        match token {
            TokenTree::Punct(p) => {
                let c = p.as_char();
                let joint = p.spacing() == proc_macro2::Spacing::Joint;
                let after_closure_bar = std::mem::take(&mut level.after_closure_bar);
                let closure_bar = c == '|'
                    && if joined_to == Some('|') {
                        after_closure_bar
                    } else {
                        level.in_closure_params || !level.after_operand
                    };
                let infix = level.after_operand
                    && joined_to.is_none()
                    && "+-*/%^&|.:?".contains(c)
                    && !(c == '-' && joint)
                    && !closure_bar
                    && level.open_angles == 0;
                match c {
                    ';' => {
                        level.run = 0;
                        level.held = 0;
                        level.open_angles = 0;
                    }
                    ',' if level.open_angles == 0 && !level.in_closure_params => {
                        level.run = 0;
                        level.held = 0;
                    }
                    '<' => level.open_angles += 1,
                    // Not the `>` of `->` or `=>`.
                    '>' if !matches!(joined_to, Some('-' | '=')) => {
                        level.open_angles = level.open_angles.saturating_sub(1)
                    }
                    _ if infix => level.run = level.held + 1,
                    _ => {}
                }
                // `=` on its own or in `+=`, `-=` …, not in `==`, `<=`, `>=`, `!=`, `=>`.
                let assignment =
                    c == '=' && !joint && !matches!(joined_to, Some('=' | '<' | '>' | '!'));
                if closure_bar {
                    level.in_closure_params = !level.in_closure_params;
                    level.after_closure_bar = true;
                }
                if assignment || closure_bar {
                    level.held = level.run;
                }
                if c == '!' && !joint {
                    match after_word.as_deref() {
                        Some("macro_rules") => level.macro_rules_name_next = true,
                        Some("bitflags") | None => {}
                        Some(word) => level.macro_body_next = !NOT_OPERANDS.contains(&word),
                    }
                }
                level.after_operand = c == '?';
                level.after_hash = c == '#' || (c == '!' && after_hash);
                level.joined_to = joint.then_some(c);
            }
            TokenTree::Ident(ident) => {
                let word = ident.to_string();
                // `x as T as U`: a cast ends its operand as a binary operator does.
                if word == "as" && level.after_operand && level.open_angles == 0 {
                    level.run = level.held + 1;
                }
                if HELD_OPEN.contains(&word.as_str()) {
                    level.held = level.run;
                }
                level.after_operand = !NOT_OPERANDS.contains(&word.as_str());
                level.macro_body_next = macro_rules_name;
                level.after_word = Some(word);
            }
            TokenTree::Literal(_) => level.after_operand = true,
            TokenTree::Group(group) => {
                level.after_operand = true;
                match group.delimiter() {
                    Delimiter::Brace => level.after_block = true,
                    Delimiter::Bracket if after_hash => level.after_attribute = true,
                    _ => {}
                }
                if macro_body {
                    continue;
                }
                let base = level.base + level.run;
                levels.push(Level {
                    tokens: Some(group.stream().into_iter()),
                    base,
                    ..Level::default()
                });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    type Shape = (&'static str, fn(usize) -> String);

    /// Chains syn recurses on, one level per repetition.
    const NESTING: &[Shape] = &[
        ("parens", |n| {
            format!("fn f() -> {}{} {{}}", "(".repeat(n), ")".repeat(n))
        }),
        ("brackets", |n| {
            format!("type T = {}u8{};", "[".repeat(n), "]".repeat(n))
        }),
        ("unary", |n| {
            format!("fn f() {{ let x = {}y; }}", "!".repeat(n))
        }),
        ("negation", |n| {
            format!("fn f() {{ let x = {}1; }}", "- ".repeat(n))
        }),
        ("references", |n| {
            format!("fn f(x: {}u8) {{}}", "&".repeat(n))
        }),
        ("mut references", |n| {
            format!("fn f(x: {}u8) {{}}", "&mut ".repeat(n))
        }),
        ("raw pointers", |n| {
            format!("type T = {}u8;", "*const ".repeat(n))
        }),
        ("generics", |n| {
            format!("fn f(x: {}u8{}) {{}}", "Option<".repeat(n), ">".repeat(n))
        }),
        ("generics with commas", |n| {
            format!("type T = {}u8{};", "Map<u8, ".repeat(n), ">".repeat(n))
        }),
        ("bare angle brackets", |n| {
            format!("fn f(x: Vec<{}u8>) {{}}", "<".repeat(n))
        }),
        ("qualified paths", |n| {
            format!("type T = {}u8;", "<u8 as ".repeat(n))
        }),
        ("fn pointers", |n| {
            format!("type T = {}u8;", "fn() -> ".repeat(n))
        }),
        ("impl Fn", |n| {
            format!("fn f() -> {}u8 {{}}", "impl Fn() -> ".repeat(n))
        }),
        ("else if", |n| {
            format!("fn f() {{ if a {{}} {} }}", "else if a {} ".repeat(n))
        }),
        ("modules", |n| {
            format!("{}{}", "mod a { ".repeat(n), "}".repeat(n))
        }),
        ("closures", |n| {
            format!("fn f() {{ let g = {}1; }}", "|| ".repeat(n))
        }),
        ("closures with parameters", |n| {
            format!("fn f() {{ let g = {}1; }}", "|a, b| ".repeat(n))
        }),
        ("joined closures", |n| {
            format!("fn f() {{ let g = {}1; }}", "|a|".repeat(n))
        }),
        ("closures between operators", |n| {
            format!("fn f() {{ let g = {}1; }}", "|| a + ".repeat(n))
        }),
        ("assignments", |n| {
            format!("fn f() {{ {}1; }}", "a = ".repeat(n))
        }),
        ("compound assignments", |n| {
            format!("fn f() {{ {}1; }}", "a += ".repeat(n))
        }),
        ("assigned blocks", |n| {
            format!("fn f() {{ a = {}1; }}", "{ 1 } = ".repeat(n))
        }),
        ("returns", |n| {
            format!("fn f() {{ {}1; }}", "return ".repeat(n))
        }),
        ("returns between operators", |n| {
            format!("fn f() {{ {}1; }}", "return a + ".repeat(n))
        }),
        ("bitflags bodies", |n| {
            format!(
                "bitflags! {{ struct F: u8 {{ const A = {}1; }} }}",
                "!".repeat(n)
            )
        }),
        ("tuples in generics", |n| {
            format!("type T = {}u8{};", "Option<(u8, ".repeat(n), ")>".repeat(n))
        }),
    ];

    /// Long but flat: syn reads these in loops.
    const FLAT: &[Shape] = &[
        ("items", |n| {
            "pub fn f(a: u8, b: &str) -> Option<Vec<u8>> { if a > 1 { None } else { Some(vec![a; 4]) } }\n"
                .repeat(n)
        }),
        ("list", |n| {
            format!("const A: [u8; {n}] = [{}];", "1, ".repeat(n))
        }),
        ("statements", |n| {
            format!("fn f() {{ {} }}", "let x = !y; ".repeat(n))
        }),
        ("sums", |n| {
            format!("const A: u8 = {}1;", "1 + 2 * 3 - ".repeat(n))
        }),
        ("logic", |n| {
            format!("fn f() {{ let x = {}b; }}", "a && b || !c || ".repeat(n))
        }),
        ("method chain", |n| {
            format!("fn f() {{ x{}; }}", ".map(|v| v + 1)?".repeat(n))
        }),
        ("paths", |n| format!("use a{};", "::b".repeat(n))),
        ("casts", |n| {
            format!("const A: u8 = 1{};", " as u8".repeat(n))
        }),
        ("doc comments", |n| {
            format!("{}pub struct S;", "/// Some words.\n".repeat(n))
        }),
        ("inner docs", |n| {
            format!("{}pub struct S;", "//! Some words.\n".repeat(n))
        }),
        ("or patterns", |n| {
            format!(
                "fn f(c: char) {{ match c {{ {}'x' => {{}} _ => {{}} }} }}",
                "'a'..='b' | ".repeat(n)
            )
        }),
        ("match arms", |n| {
            format!("fn f() {{ match x {{ {} }} }}", "Some(1) => {} ".repeat(n))
        }),
        ("comparisons", |n| {
            format!("fn f() {{ {} }}", "if a < b {} ".repeat(n))
        }),
        ("where clauses", |n| {
            format!("fn f() where {} {{}}", "T: A + B, ".repeat(n))
        }),
        ("macro bodies", |n| {
            format!("m! {{ {} }}", "(".repeat(n) + &")".repeat(n))
        }),
        ("macro_rules bodies", |n| {
            format!("macro_rules! m {{ () => {{ {} }} }}", "!".repeat(n))
        }),
    ];

    fn deepest_accepted(make: fn(usize) -> String) -> usize {
        let (mut accepted, mut refused) = (0, 20_000);
        while accepted + 1 < refused {
            let n = (accepted + refused) / 2;
            match check_nesting(&make(n)) {
                Ok(()) => accepted = n,
                Err(_) => refused = n,
            }
        }
        accepted
    }

    #[test]
    fn every_deep_chain_is_refused_with_its_place_and_the_deepest_accepted_parses() {
        for (name, make) in NESTING {
            let Err(err) = parse_file(&make(20_000)) else {
                panic!("{name} was accepted")
            };
            assert!(
                err.message.contains("nested too deeply"),
                "{name}: {}",
                err.message
            );
            assert_eq!(err.span.start().line, 1, "{name}");
            let deepest = deepest_accepted(*make);
            // Refused at the limit, not far below it (the deepest shape spends 6 tokens a level).
            assert!(deepest > MAX_NESTING / 7, "{name}: refused from {deepest}");
            // Whatever is accepted, syn reads without overflowing the stack (an overflow
            // aborts this test binary). Debug build: the worst case for stack per level.
            let text = make(deepest);
            with_deep_stack(|| {
                let _ = syn::parse_file(&text);
            });
        }
    }

    #[test]
    fn long_flat_files_are_not_nesting() {
        for (name, make) in FLAT {
            let text = make(20_000);
            if let Err(e) = check_nesting(&text) {
                panic!("{name} refused at {:?}: {}", e.span.start(), e.message);
            }
        }
    }

    #[test]
    fn a_shebang_line_is_skipped_as_syn_skips_it() {
        let deep = format!(
            "#!/usr/bin/env run\nfn f() {{ let x = {}y; }}",
            "!".repeat(9000)
        );
        assert!(parse_file(&deep).is_err());
        assert!(parse_file("#!/bin/x\nfn f() {}").is_ok());
        assert!(parse_file("#![allow(dead_code)]\nfn f() {}").is_ok());
    }
}
