//! Names on both sides of the WIT boundary: Rust identifiers to WIT kebab-case (with `%`
//! escapes), and WIT names back to the Rust names wit-bindgen gives them, since the
//! generated glue must call into wit-bindgen's output by name.

use heck::{ToKebabCase, ToShoutySnakeCase, ToSnakeCase, ToUpperCamelCase};

/// Words the WIT lexer (wit-parser 0.258) reads as keywords; as names they need a `%`.
/// Checked against the lexer by a test that parses each one both ways.
pub const WIT_KEYWORDS: &[&str] = &[
    "use",
    "type",
    "func",
    "u8",
    "u16",
    "u32",
    "u64",
    "s8",
    "s16",
    "s32",
    "s64",
    "f32",
    "f64",
    "char",
    "resource",
    "own",
    "borrow",
    "record",
    "flags",
    "variant",
    "enum",
    "bool",
    "string",
    "option",
    "result",
    "future",
    "stream",
    "error-context",
    "list",
    "map",
    "as",
    "from",
    "static",
    "interface",
    "tuple",
    "world",
    "import",
    "export",
    "package",
    "constructor",
    "include",
    "with",
    "async",
];

/// The kebab-case WIT name of a Rust identifier (`r#type` → `type`, `HTTPServer` →
/// `http-server`, `_private` → `private`).
pub fn kebab(rust_ident: &str) -> String {
    rust_ident
        .strip_prefix("r#")
        .unwrap_or(rust_ident)
        .to_kebab_case()
}

/// Why `name` is not a valid WIT identifier, if it is not: `-`-separated segments of ASCII
/// letters and digits, each all lower- or all upper-case, the first starting with a letter.
pub fn invalid_wit_name(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        return Some("it is empty after conversion to kebab-case");
    }
    if !name.is_ascii() {
        return Some("WIT names are ASCII only");
    }
    for (i, segment) in name.split('-').enumerate() {
        if segment.is_empty() {
            return Some("it has an empty segment after conversion to kebab-case");
        }
        if !segment.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Some("WIT names hold only letters, digits and '-'");
        }
        if i == 0 && !segment.starts_with(|c: char| c.is_ascii_alphabetic()) {
            return Some("WIT names start with a letter");
        }
        let lower = segment.chars().any(|c| c.is_ascii_lowercase());
        let upper = segment.chars().any(|c| c.is_ascii_uppercase());
        if lower && upper {
            return Some("each part of a WIT name is all lower- or all upper-case");
        }
    }
    None
}

/// A WIT name as written in WIT source: keywords take a `%`.
pub fn escaped(name: &str) -> String {
    if WIT_KEYWORDS.contains(&name) {
        format!("%{name}")
    } else {
        name.to_string()
    }
}

/// wit-bindgen's Rust name for a function, field or module: snake_case, with a `_` after
/// Rust keywords (`type` → `type_`).
pub fn bindgen_ident(wit_name: &str) -> String {
    const RUST_KEYWORDS: &[&str] = &[
        "as", "break", "const", "continue", "crate", "else", "enum", "extern", "false", "fn",
        "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref",
        "return", "self", "static", "struct", "super", "trait", "true", "type", "unsafe", "use",
        "where", "while", "async", "await", "dyn", "abstract", "become", "box", "do", "final",
        "macro", "override", "priv", "typeof", "unsized", "virtual", "yield", "try",
    ];
    if RUST_KEYWORDS.contains(&wit_name) {
        format!("{wit_name}_")
    } else {
        wit_name.to_snake_case()
    }
}

/// wit-bindgen's Rust name for a type, enum case or variant case.
pub fn bindgen_type(wit_name: &str) -> String {
    // wit-bindgen keeps `Guest` for the traits of exported interfaces.
    if wit_name == "guest" {
        "Guest_".to_string()
    } else {
        wit_name.to_upper_camel_case()
    }
}

/// wit-bindgen's Rust name for a flag.
pub fn bindgen_flag(wit_name: &str) -> String {
    wit_name.to_shouty_snake_case()
}

/// A Rust identifier as written in Rust source: `type` → `r#type`.
pub fn rust_ident(name: &str) -> String {
    const STRICT: &[&str] = &[
        "as", "break", "const", "continue", "else", "enum", "extern", "false", "fn", "for", "if",
        "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return",
        "static", "struct", "trait", "true", "type", "unsafe", "use", "where", "while", "async",
        "await", "dyn", "abstract", "become", "box", "do", "final", "macro", "override", "priv",
        "typeof", "unsized", "virtual", "yield", "try", "gen",
    ];
    if STRICT.contains(&name) {
        format!("r#{name}")
    } else {
        name.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kebab_names_follow_heck_and_drop_raw_prefixes() {
        assert_eq!(kebab("HTTPServer"), "http-server");
        assert_eq!(kebab("userID"), "user-id");
        assert_eq!(kebab("r#type"), "type");
        assert_eq!(kebab("_private"), "private");
        assert_eq!(kebab("get_v2"), "get-v2");
    }

    #[test]
    fn wit_name_rules() {
        assert_eq!(invalid_wit_name("http-server"), None);
        assert_eq!(invalid_wit_name("get-v2"), None);
        assert_eq!(invalid_wit_name("HTTP-get"), None);
        assert!(invalid_wit_name("2fa").is_some());
        assert!(invalid_wit_name("café").is_some());
        assert!(invalid_wit_name("a--b").is_some());
        assert!(invalid_wit_name("myFunc").is_some());
    }

    /// Every listed keyword fails to parse bare and parses with `%`; a few near misses parse
    /// bare, so the list is neither short nor long against the real lexer.
    #[test]
    fn keyword_list_matches_the_wit_parser_lexer() {
        let parses = |name: &str| {
            let src = format!("package a:b; interface i {{ {name}: func(); }}");
            wit_parser::Resolve::default()
                .push_str("k.wit", &src)
                .is_ok()
        };
        for kw in WIT_KEYWORDS {
            assert!(!parses(kw), "`{kw}` parsed without a %");
            assert!(parses(&escaped(kw)), "`%{kw}` did not parse");
        }
        for word in ["get", "lists", "types", "self", "fn", "error"] {
            assert!(parses(word), "`{word}` needed escaping");
            assert_eq!(escaped(word), word);
        }
    }

    #[test]
    fn bindgen_names() {
        assert_eq!(bindgen_ident("type"), "type_");
        assert_eq!(bindgen_ident("get-user"), "get_user");
        assert_eq!(bindgen_type("http-server"), "HttpServer");
        assert_eq!(bindgen_type("guest"), "Guest_");
        assert_eq!(bindgen_flag("read-only"), "READ_ONLY");
        assert_eq!(rust_ident("type"), "r#type");
        assert_eq!(rust_ident("list"), "list");
    }
}
