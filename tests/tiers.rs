//! The fast tier (`scripts/test.sh --fast`) must run on a machine with no server: no test
//! outside `tests/server_*.rs` may start NATS, a registry, the test host or wadm (or run
//! the wadm harness's validator) unless its name
//! starts with `server_` (those are skipped by the fast tier, as `slow_*` ones are).

use std::path::Path;

/// What starting a server looks like in the test support.
const SERVER_STARTS: &[&str] = &[
    "NatsServer::start",
    "Registry::start",
    "TestHost::start",
    "nats_server_binary(",
    "test_host_binary(",
    "WadmServer::start",
    "wadm_binary(",
    "wadm_check(",
];

/// Each `fn` of a source text with its body (up to the next top-level item).
fn functions(text: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let starts: Vec<usize> = text
        .match_indices("\nfn ")
        .map(|(i, _)| i + 1)
        .chain(text.match_indices("\npub fn ").map(|(i, _)| i + 1))
        .collect();
    let mut starts = starts;
    starts.sort();
    for (n, &start) in starts.iter().enumerate() {
        let end = starts.get(n + 1).copied().unwrap_or(text.len());
        let body = &text[start..end];
        let name: String = body
            .trim_start_matches("pub ")
            .trim_start_matches("fn ")
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        found.push((name, body.to_string()));
    }
    found
}

#[test]
fn function_bodies_are_found_by_name() {
    let text = "use x;\n\nfn server_a() {\n    NatsServer::start();\n}\n\npub fn b() {}\n";
    let found = functions(text);
    assert_eq!(found.len(), 2);
    assert_eq!(found[0].0, "server_a");
    assert!(found[0].1.contains("NatsServer::start"));
    assert_eq!(found[1].0, "b");
}

#[test]
fn only_server_tests_start_servers() {
    let tests = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let mut problems = Vec::new();
    for entry in std::fs::read_dir(&tests).unwrap() {
        let path = entry.unwrap().path();
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        if !file.ends_with(".rs") || file.starts_with("server_") || file == "tiers.rs" {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for (name, body) in functions(&text) {
            if name.starts_with("server_") {
                continue;
            }
            for start in SERVER_STARTS {
                if body.contains(start) {
                    problems.push(format!(
                        "tests/{file}: `{name}` uses {start} but is not named server_*"
                    ));
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "the fast tier would need servers:\n{}",
        problems.join("\n")
    );
}
