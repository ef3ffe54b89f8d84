//! `wit`: one snapshot per row of the Rust → WIT mapping table (Rust source in, WIT text
//! out, and the text parses with wit-parser), and one test per unsupported construct
//! asserting the error and its `file:line:col`.

use cargo_wasmcloud::witgen::{generate, CrateInfo};

/// Generates the WIT of a crate whose `src/lib.rs` is `src`.
fn wit_of(src: &str) -> Result<String, String> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("src")).unwrap();
    let lib = dir.path().join("src/lib.rs");
    std::fs::write(&lib, src).unwrap();
    generate(&CrateInfo {
        lib_path: &lib,
        display_root: dir.path(),
        package_name: "demo-api",
        version: Some("0.1.0"),
        namespace: "acme",
    })
    .map(|g| g.wit)
    .map_err(|e| e.to_string())
}

/// The lines inside the first interface, without blank lines, trimmed.
fn interface_lines(wit: &str) -> Vec<String> {
    wit.lines()
        .skip_while(|l| !l.starts_with("interface "))
        .skip(1)
        .take_while(|l| *l != "}")
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

/// Asserts the interface generated from `src` is `expected` (one item per line), and that
/// the whole text parses on its own with wit-parser.
#[track_caller]
fn assert_maps(src: &str, expected: &[&str]) {
    let wit = wit_of(src).unwrap_or_else(|e| panic!("generation failed: {e}\n{src}"));
    assert_eq!(
        interface_lines(&wit),
        expected,
        "\n--- generated ---\n{wit}"
    );
    let mut resolve = wit_parser::Resolve::default();
    resolve
        .push_str("check.wit", &wit)
        .unwrap_or_else(|e| panic!("does not parse: {e:?}\n{wit}"));
}

#[test]
fn bool_maps_to_bool() {
    assert_maps(
        "pub trait Api { fn flip(&self, on: bool) -> bool; }",
        &["flip: func(on: bool) -> bool;"],
    );
}

#[test]
fn unsigned_integers_keep_their_names() {
    assert_maps(
        "pub trait Api { fn f(&self, a: u8, b: u16, c: u32) -> u64; }",
        &["f: func(a: u8, b: u16, c: u32) -> u64;"],
    );
}

#[test]
fn signed_integers_become_s_types() {
    assert_maps(
        "pub trait Api { fn f(&self, a: i8, b: i16, c: i32) -> i64; }",
        &["f: func(a: s8, b: s16, c: s32) -> s64;"],
    );
}

#[test]
fn floats_keep_their_names() {
    assert_maps(
        "pub trait Api { fn f(&self, a: f32) -> f64; }",
        &["f: func(a: f32) -> f64;"],
    );
}

#[test]
fn char_maps_to_char() {
    assert_maps(
        "pub trait Api { fn f(&self, c: char) -> char; }",
        &["f: func(c: char) -> char;"],
    );
}

#[test]
fn strings_in_every_rust_shape_are_string() {
    assert_maps(
        "pub trait Api { fn f(&self, a: String, b: &str, c: Box<str>) -> String; }",
        &["f: func(a: string, b: string, c: string) -> string;"],
    );
}

#[test]
fn sequences_and_sets_are_lists() {
    assert_maps(
        "use std::collections::{BTreeSet, HashSet, VecDeque};
         pub trait Api {
             fn f(&self, a: Vec<u8>, b: &[u32], c: Box<[u16]>, d: VecDeque<String>,
                  e: HashSet<u64>, g: BTreeSet<i8>) -> Vec<Vec<bool>>;
         }",
        &["f: func(a: list<u8>, b: list<u32>, c: list<u16>, d: list<string>, e: list<u64>, g: list<s8>) -> list<list<bool>>;"],
    );
}

#[test]
fn arrays_are_lists() {
    assert_maps(
        "pub trait Api { fn f(&self, a: [u8; 4]) -> [f32; 3]; }",
        &["f: func(a: list<u8>) -> list<f32>;"],
    );
}

#[test]
fn maps_are_lists_of_pairs() {
    assert_maps(
        "use std::collections::{BTreeMap, HashMap};
         pub trait Api { fn f(&self, a: HashMap<String, u32>) -> BTreeMap<u8, Vec<String>>; }",
        &["f: func(a: list<tuple<string, u32>>) -> list<tuple<u8, list<string>>>;"],
    );
}

#[test]
fn option_maps_to_option() {
    assert_maps(
        "pub trait Api { fn f(&self, a: Option<u8>) -> Option<Option<String>>; }",
        &["f: func(a: option<u8>) -> option<option<string>>;"],
    );
}

#[test]
fn results_drop_unit_sides() {
    assert_maps(
        "pub trait Api {
             fn a(&self) -> Result<u8, String>;
             fn b(&self) -> Result<(), String>;
             fn c(&self) -> Result<u8, ()>;
             fn d(&self) -> Result<(), ()>;
         }",
        &[
            "a: func() -> result<u8, string>;",
            "b: func() -> result<_, string>;",
            "c: func() -> result<u8>;",
            "d: func() -> result;",
        ],
    );
}

#[test]
fn unit_returns_have_no_arrow() {
    assert_maps(
        "pub trait Api { fn a(&self); fn b(&self) -> (); }",
        &["a: func();", "b: func();"],
    );
}

#[test]
fn tuples_map_to_tuples() {
    assert_maps(
        "pub trait Api { fn f(&self, p: (u8, String)) -> (bool, (u32, u64)); }",
        &["f: func(p: tuple<u8, string>) -> tuple<bool, tuple<u32, u64>>;"],
    );
}

#[test]
fn structs_are_records_with_kebab_names() {
    assert_maps(
        "pub struct UserProfile { pub display_name: String, pub age_in_years: u8 }
         pub trait Api { fn f(&self, p: UserProfile); }",
        &[
            "record user-profile {",
            "display-name: string,",
            "age-in-years: u8,",
            "}",
            "f: func(p: user-profile);",
        ],
    );
}

#[test]
fn newtypes_are_type_aliases() {
    assert_maps(
        "pub struct UserId(pub u64);
         pub type Names = Vec<String>;
         pub trait Api { fn f(&self, id: UserId) -> Names; }",
        &[
            "type user-id = u64;",
            "type names = list<string>;",
            "f: func(id: user-id) -> names;",
        ],
    );
}

#[test]
fn unit_enums_are_enums() {
    assert_maps(
        "pub enum Color { Red, DarkGreen = 5 }
         pub trait Api { fn f(&self) -> Color; }",
        &[
            "enum color {",
            "red,",
            "dark-green,",
            "}",
            "f: func() -> color;",
        ],
    );
}

#[test]
fn data_enums_are_variants_with_made_up_records() {
    assert_maps(
        "pub enum Shape { Circle { radius: f64 }, Pair(u8, u8), Named(String), Nothing }
         pub trait Api { fn f(&self, s: Shape); }",
        &[
            "variant shape {",
            "circle(shape-circle),",
            "pair(tuple<u8, u8>),",
            "named(string),",
            "nothing,",
            "}",
            "record shape-circle {",
            "radius: f64,",
            "}",
            "f: func(s: shape);",
        ],
    );
}

#[test]
fn bitflags_are_flags() {
    assert_maps(
        "bitflags::bitflags! {
             pub struct Access: u8 { const READ = 1; const WRITE_ALL = 2; }
         }
         pub trait Api { fn f(&self, a: Access) -> Access; }",
        &[
            "flags access {",
            "read,",
            "write-all,",
            "}",
            "f: func(a: access) -> access;",
        ],
    );
}

#[test]
fn resource_traits_are_resources() {
    assert_maps(
        "pub trait Files {
             type File: File;
             fn open(&self, path: String) -> Self::File;
             fn size(&self, file: &Self::File) -> u64;
             fn close(&self, file: Self::File);
         }
         pub trait File {
             fn new(path: String) -> Self;
             fn read(&self, len: u32) -> Vec<u8>;
             fn same(&self, other: &Self) -> bool;
             fn temporary() -> Self;
         }",
        &[
            "resource file {",
            "constructor(path: string);",
            "read: func(len: u32) -> list<u8>;",
            "same: func(other: borrow<file>) -> bool;",
            "temporary: static func() -> file;",
            "}",
            "open: func(path: string) -> file;",
            "size: func(file: borrow<file>) -> u64;",
            "close: func(file: file);",
        ],
    );
}

#[test]
fn smart_pointers_and_references_are_transparent() {
    assert_maps(
        "use std::{rc::Rc, sync::Arc};
         pub struct P { pub a: Box<u8>, pub b: Arc<String>, pub c: Rc<Vec<u8>> }
         pub trait Api { fn f(&self, p: &P, q: &u32) -> Box<P>; }",
        &[
            "record p {",
            "a: u8,",
            "b: string,",
            "c: list<u8>,",
            "}",
            "f: func(p: p, q: u32) -> p;",
        ],
    );
}

#[test]
fn generic_aliases_of_the_crate_are_expanded() {
    assert_maps(
        "pub enum ApiError { Denied, Gone }
         pub type Result<T> = std::result::Result<T, ApiError>;
         pub type Pair<A, B> = (A, Vec<B>);
         pub trait Api { fn f(&self, p: Pair<u8, String>) -> Result<Option<u32>>; }",
        &[
            "enum api-error {",
            "denied,",
            "gone,",
            "}",
            "f: func(p: tuple<u8, list<string>>) -> result<option<u32>, api-error>;",
        ],
    );
}

#[test]
fn traits_are_interfaces_and_share_types_by_use() {
    let wit = wit_of(
        "pub struct Item { pub name: String }
         pub trait Catalog { fn get(&self) -> Item; }
         pub trait Orders { fn order(&self, item: Item); }",
    )
    .unwrap();
    assert!(
        wit.contains("interface catalog {\n  record item {"),
        "{wit}"
    );
    assert!(
        wit.contains("interface orders {\n  use catalog.{item};"),
        "{wit}"
    );
    assert!(
        wit.contains("world exporter {\n  export catalog;\n  export orders;\n}"),
        "{wit}"
    );
    assert!(
        wit.contains("world importer {\n  import catalog;\n  import orders;\n}"),
        "{wit}"
    );
    assert!(wit.contains("package acme:demo-api@0.1.0;"), "{wit}");
}

#[test]
fn doc_comments_are_kept() {
    assert_maps(
        "/// A thing.
         ///
         /// With details.
         pub struct Thing {
             /// Its size.
             pub size: u32,
         }
         #[doc = \"The API.\"]
         pub trait Api {
             /// Makes a thing.
             fn make(&self) -> Thing;
         }",
        &[
            "/// A thing.",
            "///",
            "/// With details.",
            "record thing {",
            "/// Its size.",
            "size: u32,",
            "}",
            "/// Makes a thing.",
            "make: func() -> thing;",
        ],
    );
    let wit = wit_of("/// The API.\npub trait Api { fn f(&self); }").unwrap();
    assert!(wit.contains("/// The API.\ninterface api {"), "{wit}");
}

#[test]
fn keywords_are_escaped() {
    assert_maps(
        "pub struct Type { pub list: Vec<u8>, pub r#type: u8 }
         pub trait Api { fn list(&self, r#type: Type) -> Type; fn r#use(&self); }",
        &[
            "record %type {",
            "%list: list<u8>,",
            "%type: u8,",
            "}",
            "%list: func(%type: %type) -> %type;",
            "%use: func();",
        ],
    );
}

#[test]
fn types_in_modules_are_found() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("src/model")).unwrap();
    std::fs::write(
        dir.path().join("src/lib.rs"),
        "pub mod model;\npub trait Api { fn f(&self) -> model::deep::Thing; }",
    )
    .unwrap();
    std::fs::write(dir.path().join("src/model.rs"), "pub mod deep;").unwrap();
    std::fs::write(
        dir.path().join("src/model/deep.rs"),
        "pub struct Thing { pub a: u8 }",
    )
    .unwrap();
    let generated = generate(&CrateInfo {
        lib_path: &dir.path().join("src/lib.rs"),
        display_root: dir.path(),
        package_name: "demo-api",
        version: Some("1.2.3"),
        namespace: "acme",
    })
    .unwrap();
    assert!(
        generated.wit.contains("record thing {"),
        "{}",
        generated.wit
    );
    assert_eq!(
        generated.package.types[0].rust_path,
        "demo_api::model::deep::Thing"
    );
    assert!(generated.wit.contains("package acme:demo-api@1.2.3;"));
}

// --- what cannot be mapped -----------------------------------------------------------------

/// Asserts generation fails at `line:col` of src/lib.rs with a message containing `says`.
#[track_caller]
fn assert_rejects(src: &str, line: usize, col: usize, says: &str) {
    let err = wit_of(src).expect_err("generation should fail");
    let at = format!("src/lib.rs:{line}:{col}: ");
    assert!(err.starts_with(&at), "expected {at}..., got: {err}");
    assert!(err.contains(says), "expected `{says}` in: {err}");
    assert!(!err.contains('\n'), "one line: {err}");
}

#[test]
fn pointer_sized_and_128_bit_integers_are_rejected() {
    assert_rejects(
        "pub trait Api {\n    fn f(&self) -> usize;\n}",
        2,
        20,
        "`usize` has no WIT equivalent",
    );
    assert_rejects(
        "pub trait Api {\n    fn f(&self, n: isize);\n}",
        2,
        20,
        "use i32 or i64",
    );
    assert_rejects(
        "pub struct S { pub big: u128 }\npub trait Api { fn f(&self, s: S); }",
        1,
        25,
        "WIT integers stop at 64 bits",
    );
}

#[test]
fn generics_are_rejected() {
    assert_rejects(
        "pub trait Api {\n    fn f<T>(&self, t: T);\n}",
        2,
        10,
        "generic parameters have no WIT equivalent",
    );
    assert_rejects(
        "pub struct Wrap<T> { pub t: T }\npub trait Api { fn f(&self, w: Wrap<u8>); }",
        2,
        36,
        "generic types have no WIT equivalent",
    );
    assert_rejects(
        "pub trait Api<T> { fn f(&self); }",
        1,
        15,
        "generic parameters",
    );
}

#[test]
fn lifetimes_and_references_in_results_are_rejected() {
    assert_rejects(
        "pub trait Api {\n    fn f<'a>(&self, s: &'a str);\n}",
        2,
        10,
        "lifetime parameters have no WIT equivalent",
    );
    assert_rejects(
        "pub trait Api {\n    fn name(&self) -> &str;\n}",
        2,
        23,
        "references in return types",
    );
    assert_rejects(
        "pub trait Api {\n    fn f(&self) -> Option<&u8>;\n}",
        2,
        27,
        "references in return types",
    );
    assert_rejects(
        "pub struct S<'a> { pub s: &'a str }\npub trait Api { fn f(&self, s: S); }",
        1,
        14,
        "lifetime parameters",
    );
}

#[test]
fn non_ascii_names_are_rejected() {
    assert_rejects(
        "pub trait Api {\n    fn café(&self);\n}",
        2,
        8,
        "`café` is not ASCII",
    );
}

#[test]
fn names_colliding_after_kebab_casing_are_rejected() {
    assert_rejects(
        "#![allow(non_snake_case)]\npub trait Api {\n    fn get_item(&self);\n    fn getItem(&self);\n}",
        4,
        8,
        "`get_item` and `getItem` both become `get-item`",
    );
    assert_rejects(
        "#![allow(non_snake_case)]\npub struct S { pub user_id: u8, pub userId: u8 }\npub trait Api { fn f(&self, s: S); }",
        2,
        37,
        "both become `user-id`",
    );
}

#[test]
fn empty_structs_and_enums_are_rejected() {
    assert_rejects(
        "pub struct Nothing {}\npub trait Api { fn f(&self, n: Nothing); }",
        1,
        12,
        "`Nothing` is empty",
    );
    assert_rejects(
        "pub struct Unit;\npub trait Api { fn f(&self, n: Unit); }",
        1,
        12,
        "`Unit` is empty",
    );
    assert_rejects(
        "pub enum Never {}\npub trait Api { fn f(&self, n: Never); }",
        1,
        10,
        "`Never` has no variants",
    );
}

#[test]
fn cfg_on_interface_items_is_rejected() {
    assert_rejects(
        "pub trait Api {\n    #[cfg(feature = \"x\")]\n    fn f(&self);\n}",
        2,
        5,
        "`cfg` on an interface item",
    );
    assert_rejects(
        "pub struct S {\n    #[cfg_attr(test, allow(unused))]\n    pub a: u8,\n}\npub trait Api { fn f(&self, s: S); }",
        2,
        5,
        "`cfg` on an interface item",
    );
    assert_rejects(
        "#[cfg(unix)]\npub trait Api { fn f(&self); }",
        1,
        1,
        "`cfg` on an interface item",
    );
}

#[test]
fn other_unsupported_rust_is_rejected_with_advice() {
    assert_rejects(
        "pub trait Api {\n    async fn f(&self);\n}",
        2,
        5,
        "`async fn` is not supported",
    );
    assert_rejects(
        "pub trait Api {\n    fn f(&mut self);\n}",
        2,
        10,
        "take `&self`",
    );
    assert_rejects(
        "pub trait Api {\n    fn f(&self) -> Box<dyn Fn()>;\n}",
        2,
        24,
        "`dyn Trait` has no WIT equivalent",
    );
    assert_rejects(
        "pub trait Api {\n    fn f(&self, t: Foreign);\n}",
        2,
        20,
        "not a type of this crate",
    );
    assert_rejects(
        "pub struct Node { pub next: Option<Box<Node>> }\npub trait Api { fn f(&self, n: Node); }",
        1,
        40,
        "cannot be recursive",
    );
    assert_rejects(
        "pub struct Pair(pub u8, pub u8);\npub trait Api { fn f(&self, p: Pair); }",
        1,
        12,
        "has several fields",
    );
}

#[test]
fn trait_names_taken_by_the_worlds_are_rejected() {
    assert_rejects(
        "pub trait Exporter {\n    fn f(&self);\n}",
        1,
        11,
        "the name of one of the package's worlds",
    );
}

#[test]
fn a_crate_without_traits_is_an_error() {
    let err = wit_of("pub struct S;").unwrap_err();
    assert!(err.contains("no `pub trait` found"), "{err}");
}

#[test]
fn rust_syntax_errors_are_located() {
    let err = wit_of("pub trait Api {\n    fn f(&self\n}").unwrap_err();
    assert!(err.starts_with("src/lib.rs:"), "{err}");
}

/// Doc comments are copied into the WIT; what wit-parser refuses even in a comment
/// (control codes, bidirectional overrides) becomes U+FFFD, and a `\n` in a `#[doc]`
/// string starts a new comment line rather than WIT text.
#[test]
fn doc_text_wit_refuses_is_replaced_and_cannot_escape_its_comment() {
    let src = "/// Bell \u{7} and \u{202e}override.\n#[doc = \"two\\ninterface evil {}\"]\npub trait Api {\n    fn ping(&self);\n}\n";
    let wit = wit_of(src).unwrap();
    assert!(
        wit.contains("/// Bell \u{fffd} and \u{fffd}override."),
        "{wit}"
    );
    assert!(wit.contains("/// interface evil {}"), "{wit}");
    assert!(
        !wit.lines()
            .any(|l| l.trim_start().starts_with("interface evil")),
        "{wit}"
    );
}
