//! Crash safety: commands that write an artifact or a key, killed outright (SIGKILL, to the
//! whole process group) at a spread of moments from start to finish. After each kill the
//! destination is the old file (or absent) or the complete new one, checked (claims valid,
//! digest right, seed whole and private), never a part; and no temporary file is left (on
//! Linux the file being written has no name until it replaces the destination).
//!
//! The registry is only for `pull`; the other commands need no server.

mod support;

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use cargo_wasmcloud::sign;
use support::{Registry, Sandbox};

const ACCOUNT_SEED: &str = "SAAAW5UDXHSLGTZ4CSTWLDTKU5LCPCJPNGQRFJKJNBIYJ2IK7I4JMGT3IU";
const MODULE_SEED: &str = "SMAAGZBEBT3RIMAX2QVGUJHHKPNECDPF3ZQBI2EPCHYR3I7RR24IKUDOQE";
/// Kill points per command.
const KILLS: u32 = 24;

/// Runs `cmd` in a process group of its own and kills the group with SIGKILL after
/// `delay` (if it has not finished). Whether it had finished by itself.
fn kill_after(mut cmd: Command, delay: Duration) -> bool {
    cmd.process_group(0)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = cmd.spawn().expect("start cargo-wasmcloud");
    std::thread::sleep(delay);
    let finished = child.try_wait().unwrap().is_some();
    // SAFETY: plain kill(2) of the group this test made.
    unsafe { libc::kill(-(child.id() as i32), libc::SIGKILL) };
    child.wait().unwrap();
    finished
}

/// How long `cmd` takes when left alone.
fn duration_of(mut cmd: Command) -> Duration {
    let start = Instant::now();
    let status = cmd.stdout(Stdio::null()).status().unwrap();
    assert!(status.success());
    start.elapsed()
}

/// `KILLS` moments spread from the start to a little past the uninterrupted run time.
fn kill_points(whole: Duration) -> impl Iterator<Item = Duration> {
    (0..KILLS).map(move |i| whole.mul_f64(1.2 * i as f64 / (KILLS - 1) as f64))
}

/// What a killed run left at its destination.
enum Left {
    /// What was there before the run (or nothing, if nothing was).
    Old,
    /// The run's complete output.
    New,
}

/// Kills a run of `command(i)` at each kill point of `whole`, asks `left(i)` what it left
/// (which fails the test on anything but the old or the new whole file), checks `dir` for
/// temporary files, and that both outcomes were seen: the spread really did stop some runs
/// before the end and let others finish.
fn kill_anywhere(
    whole: Duration,
    dir: &Path,
    mut command: impl FnMut(usize) -> Command,
    mut left: impl FnMut(usize, Duration) -> Left,
) {
    let (mut old, mut new) = (0, 0);
    for (i, delay) in kill_points(whole).enumerate() {
        kill_after(command(i), delay);
        match left(i, delay) {
            Left::Old => old += 1,
            Left::New => new += 1,
        }
        assert_no_temporary_files(dir);
    }
    assert!(
        old > 0 && new > 0,
        "old {old}, new {new} (whole run {whole:?})"
    );
}

/// No file of ours is left being written in `dir`.
#[track_caller]
fn assert_no_temporary_files(dir: &Path) {
    let leftovers: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "left in {}: {leftovers:?}",
        dir.display()
    );
}

/// The name in the valid claims of the component at `path` (its hash and signature checked).
fn signed_name(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap();
    let token = sign::read_component_token(&bytes)
        .unwrap_or_else(|e| panic!("{} is not a whole signed component: {e}", path.display()))
        .expect("signed");
    assert!(token.validation.signature_valid);
    token.metadata.name.expect("a name")
}

#[test]
fn claims_sign_killed_anywhere_leaves_the_old_file_or_the_new_one() {
    let sandbox = Sandbox::new();
    let input = sandbox.file("big.wasm");
    support::write_padded_component(&input, support::hello_component(), 8 << 20);
    let dest = sandbox.file("out.wasm");
    let sign_as = |name: &str| {
        let mut cmd = sandbox.command();
        cmd.args(["claims", "sign", "big.wasm", "-d", "out.wasm", "-n", name])
            .args(["-i", ACCOUNT_SEED, "-s", MODULE_SEED]);
        cmd
    };
    let whole = duration_of(sign_as("first"));
    let mut current = "first".to_string();
    let run_name = |i: usize| format!("run{i}");
    kill_anywhere(
        whole,
        sandbox.path(),
        |i| sign_as(&run_name(i)),
        |i, delay| {
            let found = signed_name(&dest);
            let left = if found == run_name(i) {
                Left::New
            } else {
                assert_eq!(found, current, "after a kill at {delay:?}");
                Left::Old
            };
            current = found;
            left
        },
    );
}

#[test]
fn keys_gen_killed_anywhere_leaves_no_key_or_a_whole_private_one() {
    let sandbox = Sandbox::new();
    std::fs::create_dir_all(sandbox.keys()).unwrap();
    let gen = |name: &str| {
        let mut cmd = sandbox.command();
        cmd.args(["keys", "gen", "account", "--name", name]);
        cmd
    };
    let whole = duration_of(gen("first"));
    let key_name = |i: usize| format!("k{i}");
    kill_anywhere(
        whole,
        &sandbox.keys(),
        |i| gen(&key_name(i)),
        |i, delay| {
            let path = sandbox.keys().join(format!("{}_account.nk", key_name(i)));
            match std::fs::read_to_string(&path) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Left::Old,
                Ok(seed) => {
                    sign::keys::Key::from_seed(&seed)
                        .unwrap_or_else(|e| panic!("a part of a seed after {delay:?}: {e}"));
                    use std::os::unix::fs::PermissionsExt;
                    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
                    assert_eq!(mode, 0o600);
                    Left::New
                }
                Err(e) => panic!("{e}"),
            }
        },
    );
}

#[test]
fn build_killed_in_its_output_step_leaves_the_old_component_or_the_new_one() {
    let sandbox = Sandbox::new();
    let dir = sandbox.path().join("hello-component");
    support::copy_dir(&support::fixtures_dir().join("hello-component"), &dir);
    let manifest = dir.join("Cargo.toml");
    let build = || {
        let mut cmd = sandbox.command();
        cmd.args(["build"]).current_dir(&dir);
        cmd
    };
    // Cargo's part is done once; each run after changes only the claims' revision, so what
    // is killed is the check that cargo is fresh and our signing and writing.
    assert!(build().status().unwrap().success());
    let output = dir.join("target/wasmcloud/hello_component_s.wasm");
    let revision = |path: &Path| {
        let bytes = std::fs::read(path).unwrap();
        let token = sign::read_component_token(&bytes)
            .unwrap_or_else(|e| panic!("not a whole signed component: {e}"))
            .expect("signed");
        token.metadata.rev.unwrap_or(0)
    };
    let set_revision = |rev: usize| {
        let text = std::fs::read_to_string(&manifest).unwrap();
        let text = match text.find("\n# revision ") {
            Some(at) => text[..at].to_string(),
            None => text,
        };
        std::fs::write(
            &manifest,
            format!("{text}\n# revision {rev}\n[package.metadata.wasmcloud]\nrev = {rev}\n"),
        )
        .unwrap();
    };
    assert!(
        !std::fs::read_to_string(&manifest)
            .unwrap()
            .contains("[package.metadata.wasmcloud]"),
        "the fixture gained settings: this test appends its own table"
    );
    set_revision(1);
    let whole = duration_of(build());
    assert_eq!(revision(&output), 1);
    let mut current = 1;
    kill_anywhere(
        whole,
        output.parent().unwrap(),
        |i| {
            set_revision(i + 2);
            build()
        },
        |i, delay| {
            let found = revision(&output) as usize;
            let left = if found == i + 2 {
                Left::New
            } else {
                assert_eq!(found, current, "after a kill at {delay:?}");
                Left::Old
            };
            current = found;
            left
        },
    );
}

#[test]
fn server_crash_pull_killed_anywhere_leaves_the_old_file_or_the_whole_artifact() {
    let registry = Registry::start();
    let sandbox = Sandbox::new();
    let big = sandbox.file("big.wasm");
    support::write_padded_component(&big, support::hello_component(), 16 << 20);
    let reference = format!("127.0.0.1:{}/crash/big:0.1.0", registry.port);
    sandbox.run(&["push", &reference, "big.wasm"]).ok();
    let expected = std::fs::read(&big).unwrap();
    let dest = sandbox.file("pulled.wasm");
    let old = b"an older file that must survive any kill".to_vec();
    let pull = || {
        let mut cmd = sandbox.command();
        cmd.args(["pull", &reference, "--destination", "pulled.wasm"]);
        cmd
    };
    std::fs::remove_file(&dest).ok();
    let whole = duration_of(pull());
    kill_anywhere(
        whole,
        sandbox.path(),
        |_| {
            std::fs::write(&dest, &old).unwrap();
            pull()
        },
        |_, delay| {
            let now = std::fs::read(&dest).unwrap();
            if now == old {
                return Left::Old;
            }
            assert!(
                now == expected,
                "after a kill at {delay:?}: {} bytes, neither file",
                now.len()
            );
            Left::New
        },
    );
}
