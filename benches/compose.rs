//! Composing a root that imports ten interfaces with the ten plugs that export them: our
//! `compose` beside the `wac plug` CLI, which can express this one-level wiring. Both are
//! timed as whole processes (start-up included), median of several runs.
//!
//! Run: `cargo bench --bench compose` (prints figures; asserts nothing). The wac figure
//! needs the `wac` CLI (`cargo install wac-cli`): found through `$WAC`, else on `PATH`.

#[path = "../tests/support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

const PLUGS: usize = 10;
const RUNS: usize = 15;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn find_wac() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("WAC") {
        return Some(PathBuf::from(path));
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join("wac"))
        .find(|p| p.is_file())
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let mut wit = String::from("package bench:graph@0.1.0;\n");
    for i in 0..PLUGS {
        wit.push_str(&format!(
            "interface api{i} {{ record item {{ name: string, size: u64 }} get: func(key: string) -> option<item>; put: func(key: string, value: item); }}\n"
        ));
    }
    wit.push_str("interface run { go: func() -> string; }\nworld root {\n");
    for i in 0..PLUGS {
        wit.push_str(&format!("  import api{i};\n"));
    }
    wit.push_str("  export run;\n}\n");
    for i in 0..PLUGS {
        wit.push_str(&format!("world plug{i} {{ export api{i}; }}\n"));
    }
    std::fs::write(
        dir.path().join("root.wasm"),
        support::component_from_wit(&[], &wit, "root"),
    )
    .unwrap();
    let mut plug_args = Vec::new();
    for i in 0..PLUGS {
        let name = format!("plug{i}.wasm");
        std::fs::write(
            dir.path().join(&name),
            support::component_from_wit(&[], &wit, &format!("plug{i}")),
        )
        .unwrap();
        plug_args.push(name);
    }

    let mut ours: Vec<String> = vec!["compose".into(), "root.wasm".into()];
    for p in &plug_args {
        ours.push("--plug".into());
        ours.push(p.clone());
    }
    ours.extend(["-d".into(), "ours.wasm".into()]);
    let ours: Vec<&str> = ours.iter().map(String::as_str).collect();
    let time = |program: &Path, args: &[&str]| {
        median(
            (0..RUNS)
                .map(|_| support::measure_program(program, args, dir.path()).wall)
                .collect(),
        )
    };
    let ours_time = time(&support::bin(), &ours);
    let ours_size = std::fs::metadata(dir.path().join("ours.wasm"))
        .unwrap()
        .len();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!("compose: a root importing {PLUGS} interfaces + {PLUGS} plugs, median of {RUNS} runs (process start included)");
    println!(
        "  cargo wasmcloud compose   {:>7.1} ms   output {ours_size} bytes",
        ms(ours_time)
    );
    match find_wac() {
        Some(wac) => {
            let mut args: Vec<String> = vec!["plug".into(), "root.wasm".into()];
            for p in &plug_args {
                args.push("--plug".into());
                args.push(p.clone());
            }
            args.extend(["-o".into(), "wac.wasm".into()]);
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let wac_time = time(&wac, &args);
            let wac_size = std::fs::metadata(dir.path().join("wac.wasm")).unwrap().len();
            println!("  wac plug ({})   {:>7.1} ms   output {wac_size} bytes", wac.display(), ms(wac_time));
            println!("  ratio                     {:>7.2}x", ours_time.as_secs_f64() / wac_time.as_secs_f64());
        }
        None => println!("  wac plug                  not measured: no `wac` (cargo install wac-cli, or set WAC)"),
    }
}
