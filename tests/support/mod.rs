//! Shared test support: run the built binary, build the fixture component, and start real
//! servers (`nats-server -js`, Debian's `docker-registry`) on free loopback ports, stopped
//! when their guard is dropped. Every integration test file includes this with `mod support;`.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use tempfile::TempDir;

// ---------------------------------------------------------------------------------------
// Running the tool

/// The `cargo-wasmcloud` binary under test.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_cargo-wasmcloud"))
}

/// What a finished command printed.
#[derive(Debug)]
pub struct Run {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    #[track_caller]
    pub fn ok(self) -> Self {
        assert!(
            self.status.success(),
            "command failed ({}):\nstdout: {}\nstderr: {}",
            self.status,
            self.stdout,
            self.stderr
        );
        self
    }

    /// Asserts a clean failure: non-zero exit, one line of error, no panic.
    #[track_caller]
    pub fn fails(self) -> Self {
        assert!(
            !self.status.success(),
            "command should have failed:\nstdout: {}\nstderr: {}",
            self.stdout,
            self.stderr
        );
        assert_eq!(self.status.code(), Some(1), "exit code: {}", self.stderr);
        let lines: Vec<&str> = self
            .stderr
            .lines()
            .filter(|l| !l.starts_with("warning:"))
            .collect();
        assert_eq!(
            lines.len(),
            1,
            "expected one error line, got: {:?}",
            self.stderr
        );
        assert!(
            lines[0].starts_with("error: "),
            "error line: {:?}",
            lines[0]
        );
        assert!(!self.stderr.contains("panicked"), "{}", self.stderr);
        assert!(!self.stderr.contains("internal error"), "{}", self.stderr);
        self
    }

    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {:?}", self.stdout))
    }

    /// The error line without its `error: ` prefix.
    pub fn error(&self) -> &str {
        self.stderr
            .lines()
            .find_map(|l| l.strip_prefix("error: "))
            .unwrap_or("")
    }
}

/// A scratch directory with its own key directory and home, so tests never touch the
/// developer's `~/.wash`.
pub struct Sandbox {
    pub dir: TempDir,
}

impl Sandbox {
    pub fn new() -> Self {
        Sandbox {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn keys(&self) -> PathBuf {
        self.dir.path().join("keys")
    }

    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.file(name);
        std::fs::write(&path, bytes).expect("write fixture");
        path
    }

    /// A command in the sandbox: cwd, `HOME`, `USER` and `WASH_KEYS` point inside it.
    pub fn command(&self) -> Command {
        let mut cmd = Command::new(bin());
        cmd.current_dir(self.path())
            .env("HOME", self.path().join("home"))
            .env("USER", "tester")
            .env("WASH_KEYS", self.keys())
            .env_remove("WASH_ISSUER_KEY")
            .env_remove("WASH_SUBJECT_KEY")
            .env_remove("RUST_BACKTRACE")
            .env_remove("XDG_CACHE_HOME")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null());
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Run {
        run_command(self.command().args(args))
    }

    pub fn run_with(&self, args: &[&str], configure: impl FnOnce(&mut Command)) -> Run {
        let mut cmd = self.command();
        cmd.args(args);
        configure(&mut cmd);
        run_command(&mut cmd)
    }

    /// Names of the entries of the sandbox directory (to check nothing was left behind).
    pub fn entries(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

pub fn run_command(cmd: &mut Command) -> Run {
    let output = cmd.output().expect("run cargo-wasmcloud");
    let run = Run {
        status: output.status,
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    let args: Vec<String> = cmd
        .get_args()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    assert_no_secrets(&args, &run);
    run
}

// ---------------------------------------------------------------------------------------
// Secrets: every command the suite runs is checked for them

static SECRETS: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// Marks `secret` (a password, a token) as never to be printed by any command this test
/// binary runs from now on. Seeds need no marking: any nkeys seed is found by its shape.
pub fn register_secret(secret: &str) {
    SECRETS.lock().unwrap().push(secret.to_string());
}

/// The nkeys seeds in `text`: runs of exactly 58 base32 letters that start with `S`.
pub fn seeds_in(text: &str) -> Vec<&str> {
    let is_base32 = |b: u8| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b);
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        if !is_base32(bytes[at]) {
            at += 1;
            continue;
        }
        let start = at;
        while at < bytes.len() && is_base32(bytes[at]) {
            at += 1;
        }
        if at - start == 58 && bytes[start] == b'S' {
            found.push(&text[start..at]);
        }
    }
    found
}

/// Whether a command prints seeds because it was asked to: `keys get`, and `keys gen`
/// without `--name`.
fn prints_seeds_on_request(args: &[String]) -> bool {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let args = args.strip_prefix(&["wasmcloud"]).unwrap_or(&args);
    match args {
        ["keys", "get", ..] => true,
        ["keys", "gen", rest @ ..] => !rest.iter().any(|a| a.starts_with("--name")),
        _ => false,
    }
}

/// Fails the test when a command printed a seed it was not asked for, or a registered
/// secret: on stdout, stderr, in logs (`-v`) or in an error.
#[track_caller]
fn assert_no_secrets(args: &[String], run: &Run) {
    for (stream, text) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
        let what = format!("`{}` on {stream}", args.join(" "));
        assert_no_secrets_in(&what, text, prints_seeds_on_request(args));
    }
}

/// The same check for output a test collected itself, from a long-running child (`dev`,
/// `ctl events`) that does not go through [`run_command`].
#[track_caller]
pub fn assert_no_secrets_in(what: &str, text: &str, seeds_asked_for: bool) {
    if !seeds_asked_for {
        let seeds = seeds_in(text);
        assert!(seeds.is_empty(), "{what} printed a seed: {text}");
    }
    for secret in SECRETS.lock().unwrap().iter() {
        assert!(
            !text.contains(secret.as_str()),
            "{what} printed a registered secret: {text}"
        );
    }
}

/// `chmod 600`, as a seed file must be.
pub fn make_private(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

// ---------------------------------------------------------------------------------------
// Fixtures

pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

/// Builds a fixture crate for `wasm32-wasip2` (release) and returns the `.wasm` path. The
/// build shares one target directory per checkout, so it is done once.
pub fn build_fixture(crate_dir: &str, artifact: &str) -> PathBuf {
    let target_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fixtures");
    let manifest = fixtures_dir().join(crate_dir).join("Cargo.toml");
    let output = Command::new(cargo())
        .args([
            "build",
            "--release",
            "--offline",
            "--target",
            "wasm32-wasip2",
        ])
        .arg("--manifest-path")
        .arg(&manifest)
        .arg("--target-dir")
        .arg(&target_dir)
        .env_remove("RUSTFLAGS")
        .output()
        .expect("run cargo");
    assert!(
        output.status.success(),
        "building fixture {crate_dir} failed (is wasm32-wasip2 installed? run scripts/test-deps.sh):\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    target_dir
        .join("wasm32-wasip2/release")
        .join(format!("{artifact}.wasm"))
}

/// A copy of the `app-ws` fixture in the sandbox whose HTTP server listens on `address`.
pub fn app_workspace(sandbox: &Sandbox, address: &str) -> PathBuf {
    let ws = sandbox.path().join("app-ws");
    copy_dir(&fixtures_dir().join("app-ws"), &ws);
    edit_file(&ws.join("Cargo.toml"), "127.0.0.1:8080", address);
    ws
}

/// Cargo refused to write the lock file `dir` lacks because `flag` (`--locked`, `--frozen`)
/// reached it: exit 1, cargo's reason, our one line last, and still no Cargo.lock.
#[track_caller]
pub fn assert_cargo_refused_the_lock_file(run: &Run, flag: &str, dir: &Path) {
    assert_eq!(run.status.code(), Some(1), "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!("because {flag} was passed")),
        "{}",
        run.stderr
    );
    let last = run.stderr.lines().last().unwrap_or("");
    assert!(
        last.starts_with("error: cargo build failed"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    assert!(!dir.join("Cargo.lock").exists());
}

/// Replaces the first `from` in a file (which must hold it) by `to`.
pub fn edit_file(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{} lacks {from:?}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

/// Adds text at the end of a file.
pub fn append_file(path: &Path, text: &str) {
    let mut all = std::fs::read_to_string(path).unwrap();
    all.push_str(text);
    std::fs::write(path, all).unwrap();
}

/// Copies a directory tree (leaving out any `target/`).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_name() == "target" {
            continue;
        }
        let dest = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &dest);
        } else {
            std::fs::copy(entry.path(), &dest).unwrap();
        }
    }
}

/// A cargo target directory kept outside the clone for builds of generated projects, whose
/// dependencies (wasip2, wit-bindgen, the provider SDK) take minutes to compile from cold:
/// `$CARGO_WASMCLOUD_TEST_CACHE`, else `~/.cache/cargo-wasmcloud-tests/target`. The
/// projects themselves are rebuilt every time (each lives in a new temporary directory).
pub fn shared_build_cache() -> PathBuf {
    let base = std::env::var_os("CARGO_WASMCLOUD_TEST_CACHE")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/cargo-wasmcloud-tests"))
        })
        .unwrap_or_else(|| Path::new(env!("CARGO_TARGET_TMPDIR")).join("build-cache"));
    base.join("target")
}

/// Makes a project from a template with `new` and builds it once per test run; returns a
/// copy of the artifact.
pub fn build_template(kind: &str, name: &str, artifact: &str) -> std::path::PathBuf {
    let root = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("template-{name}"));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    let run = |args: &[&str], dir: &std::path::Path| {
        run_command(
            std::process::Command::new(bin())
                .args(args)
                .current_dir(dir)
                .env("WASH_KEYS", root.join("keys"))
                .env("CARGO_TARGET_DIR", shared_build_cache())
                .stdin(std::process::Stdio::null()),
        )
        .ok()
    };
    run(&["new", kind, name, "-y"], &root);
    let built = run(&["build", "-o", "json"], &root.join(name)).json();
    let path = std::path::PathBuf::from(built["artifacts"][0]["path"].as_str().unwrap());
    let copy = root.join(artifact);
    std::fs::copy(&path, &copy).unwrap();
    copy
}

/// The bytes of `tests/fixtures/hello-component`, a real component built by cargo: a main
/// core module and the WASI adapter's shim modules nested in one component.
pub fn hello_component() -> &'static [u8] {
    static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    BYTES.get_or_init(|| {
        let path = build_fixture("hello-component", "hello_component");
        std::fs::read(path).expect("read fixture component")
    })
}

fn read_uleb(bytes: &[u8], mut pos: usize) -> (u64, usize) {
    let mut value = 0u64;
    let mut shift = 0;
    loop {
        let byte = bytes[pos];
        pos += 1;
        value |= u64::from(byte & 0x7f) << shift;
        shift += 7;
        if byte & 0x80 == 0 {
            return (value, pos);
        }
    }
}

/// `(id, payload)` of each top-level section of a binary.
pub fn sections(bytes: &[u8]) -> Vec<(u8, &[u8])> {
    let mut out = Vec::new();
    let mut pos = 8;
    while pos < bytes.len() {
        let id = bytes[pos];
        let (size, start) = read_uleb(bytes, pos + 1);
        let end = start + size as usize;
        out.push((id, &bytes[start..end]));
        pos = end;
    }
    out
}

/// The core modules nested directly in a component.
pub fn nested_core_modules(component: &[u8]) -> Vec<&[u8]> {
    sections(component)
        .into_iter()
        .filter(|(id, _)| *id == 1)
        .map(|(_, payload)| payload)
        .collect()
}

/// 5-byte padded LEB128, as LLVM's wasm-ld writes section sizes.
pub fn padded_leb(value: u64) -> [u8; 5] {
    let mut out = [0u8; 5];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = ((value >> (7 * i)) & 0x7f) as u8;
        if i < 4 {
            *byte |= 0x80;
        }
    }
    out
}

/// Re-frames every section of a binary with 5-byte padded sizes (recursively for nested
/// modules and components), keeping it valid but no longer canonical.
pub fn pad_section_sizes(bytes: &[u8]) -> Vec<u8> {
    let is_component = bytes[6] == 1;
    let mut out = bytes[..8].to_vec();
    for (id, payload) in sections(bytes) {
        let payload = if is_component && (id == 1 || id == 4) {
            pad_section_sizes(payload)
        } else {
            payload.to_vec()
        };
        out.push(id);
        out.extend_from_slice(&padded_leb(payload.len() as u64));
        out.extend_from_slice(&payload);
    }
    out
}

/// Appends a custom section (name + data) to a binary.
pub fn with_custom_section(bytes: &[u8], name: &str, data: &[u8]) -> Vec<u8> {
    let mut payload = Vec::new();
    leb(name.len() as u64, &mut payload);
    payload.extend_from_slice(name.as_bytes());
    payload.extend_from_slice(data);
    let mut out = bytes.to_vec();
    out.push(0);
    leb(payload.len() as u64, &mut out);
    out.extend_from_slice(&payload);
    out
}

/// Minimal LEB128, the library's own encoder.
pub use cargo_wasmcloud::artifact::wasm::write_uleb as leb;

// ---------------------------------------------------------------------------------------
// Servers

/// A free TCP port on 127.0.0.1. Ports are handed out from a counter below the kernel's
/// ephemeral range (so no connection's local port takes them) and checked by binding, so
/// two servers started by parallel tests never get the same one.
pub fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU16, Ordering};
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let _ = NEXT.compare_exchange(
        0,
        20_000 + (std::process::id() % 100) as u16 * 100,
        Ordering::SeqCst,
        Ordering::SeqCst,
    );
    loop {
        let port = NEXT.fetch_add(1, Ordering::SeqCst);
        assert!(port < 32_000, "ran out of test ports");
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// Waits until something accepts connections on `port`, or the child exits, or time runs
/// out.
fn wait_for_port(port: u16, child: &mut Child, timeout: Duration, what: &str, log: &Path) {
    let deadline = Instant::now() + timeout;
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    loop {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            // Someone listens; make sure it is our child and not a server that had the port.
            std::thread::sleep(Duration::from_millis(50));
            if let Ok(Some(status)) = child.try_wait() {
                panic!(
                    "{what} exited ({status}) though port {port} answers:\n{}",
                    std::fs::read_to_string(log).unwrap_or_default()
                );
            }
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!(
                "{what} exited early ({status}):\n{}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!(
                "{what} did not listen on port {port} within {timeout:?}:\n{}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(25));
    }
}

fn find_program(candidates: &[&str], package: &str) -> PathBuf {
    for candidate in candidates {
        let path = Path::new(candidate);
        if path.is_absolute() && path.is_file() {
            return path.to_path_buf();
        }
        if let Some(paths) = std::env::var_os("PATH") {
            for dir in std::env::split_paths(&paths) {
                let full = dir.join(candidate);
                if full.is_file() {
                    return full;
                }
            }
        }
    }
    let tool = Path::new(candidates[0])
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    panic!("{tool} not found: run scripts/test-deps.sh, which installs {package}");
}

/// Waits until a child's log holds `marker`; panics with the log when it exits first or
/// time runs out.
fn wait_for_log(child: &mut Child, log: &Path, marker: &str, what: &str, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    loop {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        if text.contains(marker) {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{what} exited ({status}):\n{text}");
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{what} did not start within {timeout:?}:\n{text}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Sends a signal to a child process (SIGSTOP/SIGCONT to freeze and thaw a server).
fn signal(child: &Child, signal: libc::c_int) {
    unsafe {
        libc::kill(child.id() as libc::pid_t, signal);
    }
}

fn kill_and_wait(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// nats-server 2.11.3 unpacked into the test cache by scripts/test-deps.sh (what wash 0.43
/// bundles), else one on the PATH (Debian's 2.9 runs hosts, not wadm).
pub fn nats_server_binary() -> PathBuf {
    let cached = shared_build_cache()
        .with_file_name("bin")
        .join("nats-server");
    let cached = cached.to_string_lossy().into_owned();
    find_program(
        &[cached.as_str(), "nats-server", "/usr/sbin/nats-server"],
        "nats-server",
    )
}

/// A `nats-server -js` on a free loopback port with its own store directory.
pub struct NatsServer {
    child: Child,
    pub port: u16,
    dir: TempDir,
}

impl NatsServer {
    pub fn start() -> NatsServer {
        Self::launch(None)
    }

    /// With a server config file (authorization and the like).
    pub fn start_with_config(config: &Path) -> NatsServer {
        Self::launch(Some(config))
    }

    fn launch(config: Option<&Path>) -> NatsServer {
        let dir = tempfile::tempdir().expect("temp dir");
        let port = free_port();
        let child = Self::spawn(config, port, dir.path());
        NatsServer { child, port, dir }
    }

    /// Stops the server and starts it again on the same port and store (a NATS restart
    /// as clients see it).
    pub fn restart(&mut self) {
        kill_and_wait(&mut self.child);
        self.child = Self::spawn(None, self.port, self.dir.path());
    }

    fn spawn(config: Option<&Path>, port: u16, dir: &Path) -> Child {
        let program = nats_server_binary();
        let log = dir.join("nats.log");
        let mut command = Command::new(program);
        if let Some(config) = config {
            command.arg("-c").arg(config);
        }
        let mut child = command
            .args(["-js", "-a", "127.0.0.1", "-p", &port.to_string(), "-sd"])
            .arg(dir.join("jetstream"))
            .arg("-l")
            .arg(&log)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn nats-server");
        wait_for_port(
            port,
            &mut child,
            Duration::from_secs(15),
            "nats-server",
            &log,
        );
        child
    }

    /// Publishes one message over a connection of its own (the bare NATS protocol).
    pub fn publish(&self, subject: &str, payload: &[u8]) {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("connect to NATS");
        let mut message = format!(
            "CONNECT {{\"verbose\":false,\"pedantic\":false}}\r\nPUB {subject} {}\r\n",
            payload.len()
        )
        .into_bytes();
        message.extend_from_slice(payload);
        message.extend_from_slice(b"\r\nPING\r\n");
        stream.write_all(&message).expect("publish");
        // PONG after INFO: the server has taken the message.
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut seen = Vec::new();
        let mut buf = [0u8; 512];
        while !String::from_utf8_lossy(&seen).contains("PONG") {
            let n = stream.read(&mut buf).expect("read PONG");
            assert!(n > 0, "NATS closed the connection");
            seen.extend_from_slice(&buf[..n]);
        }
    }

    /// `nats://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// The server's `INFO` line, read from a fresh connection.
    pub fn info(&self) -> serde_json::Value {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("connect to NATS");
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut buf = Vec::new();
        let mut byte = [0u8; 1];
        while !buf.ends_with(b"\r\n") {
            stream.read_exact(&mut byte).expect("read INFO");
            buf.push(byte[0]);
        }
        let line = String::from_utf8_lossy(&buf);
        let json = line
            .trim()
            .strip_prefix("INFO ")
            .expect("NATS greets with INFO");
        serde_json::from_str(json).expect("INFO is JSON")
    }

    /// Stops the server now (to test what clients do when it goes away).
    pub fn stop(&mut self) {
        kill_and_wait(&mut self.child);
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        kill_and_wait(&mut self.child);
    }
}

/// The test host binary built by `scripts/build-test-host.sh` (`$CARGO_WASMCLOUD_TEST_HOST`
/// overrides the path).
pub fn test_host_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("CARGO_WASMCLOUD_TEST_HOST") {
        return PathBuf::from(path);
    }
    let path = shared_build_cache()
        .with_file_name("host-target")
        .join("release/wasmcloud-test-host");
    assert!(
        path.is_file(),
        "{} is missing: run scripts/build-test-host.sh (scripts/test-deps.sh does)",
        path.display()
    );
    path
}

/// A wasmCloud 1.9.2 host (our harness on the `wasmcloud-host` crate) on a NATS server,
/// killed when dropped.
pub struct TestHost {
    child: Child,
    /// The host's id (its server public key), chosen by the test.
    pub id: String,
    log: PathBuf,
    _dir: TempDir,
}

impl TestHost {
    /// A host with the builtin HTTP server enabled.
    pub fn start(nats: &NatsServer, lattice: &str, labels: &[(&str, &str)]) -> TestHost {
        Self::start_with_env(nats, lattice, labels, &[])
    }

    /// A host with extra environment (e.g. WASMCLOUD_OCI_ALLOWED_INSECURE).
    pub fn start_with_env(
        nats: &NatsServer,
        lattice: &str,
        labels: &[(&str, &str)],
        env: &[(&str, &str)],
    ) -> TestHost {
        let dir = tempfile::tempdir().expect("temp dir");
        let key = nkeys::KeyPair::new_server();
        let log = dir.path().join("host.log");
        let log_file = std::fs::File::create(&log).expect("host log");
        let mut command = Command::new(test_host_binary());
        command
            .env("WASMCLOUD_NATS_HOST", "127.0.0.1")
            .env("WASMCLOUD_NATS_PORT", nats.port.to_string())
            .env("WASMCLOUD_LATTICE", lattice)
            .env("WASMCLOUD_HOST_SEED", key.seed().expect("seed"))
            .env("TMPDIR", dir.path())
            .env("WASMCLOUD_EXPERIMENTAL_FEATURES", "builtin-http-server")
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().expect("log"))
            .stderr(log_file);
        for (k, v) in labels {
            command.env(format!("WASMCLOUD_LABEL_{k}"), v);
        }
        for (k, v) in env {
            command.env(k, v);
        }
        // Its own process group, which the providers it starts inherit: dropping the host
        // kills the group, so no provider outlives a host that did not stop it.
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let mut child = command.spawn().expect("spawn the test host");
        wait_for_log(
            &mut child,
            &log,
            "wasmcloud-test-host: started",
            "the test host",
            Duration::from_secs(60),
        );
        TestHost {
            child,
            id: key.public_key(),
            log,
            _dir: dir,
        }
    }

    /// Waits up to `timeout` for the host process to exit by itself.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Freezes the host process (SIGSTOP): connected, answering nothing.
    pub fn freeze(&self) {
        signal(&self.child, libc::SIGSTOP);
    }

    /// Lets a frozen host go on (SIGCONT).
    pub fn thaw(&self) {
        signal(&self.child, libc::SIGCONT);
    }
}

impl Drop for TestHost {
    /// SIGINT first, so the host stops the providers it runs, then SIGKILL if it has not
    /// exited within 10 s; then SIGKILL to its process group, for any provider process it
    /// left behind (a provider outlives a killed host: seen here, listening on its port).
    fn drop(&mut self) {
        self.thaw();
        signal(&self.child, libc::SIGINT);
        if self.wait_exit(Duration::from_secs(10)).is_none() {
            kill_and_wait(&mut self.child);
        }
        unsafe {
            libc::kill(-(self.child.id() as libc::pid_t), libc::SIGKILL);
        }
    }
}

/// Processes whose command name is `name` (as `/proc/<pid>/comm` has it).
pub fn processes_named(name: &str) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()))
        .filter(|pid| {
            let named = std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|comm| comm.trim() == name);
            // A zombie has exited; only its parent's bookkeeping is left.
            let zombie = std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
                stat.rsplit(')')
                    .next()
                    .is_some_and(|s| s.trim_start().starts_with('Z'))
            });
            named && !zombie
        })
        .collect()
}

/// Debian's `docker-registry` (distribution 2.8) on a free loopback port, optionally with
/// htpasswd basic auth (bcrypt entries).
pub struct Registry {
    child: Child,
    pub port: u16,
    pub auth: Option<(String, String)>,
    dir: TempDir,
}

impl Registry {
    pub fn start() -> Registry {
        Self::launch(None)
    }

    pub fn start_with_auth(user: &str, password: &str) -> Registry {
        register_secret(password);
        Self::launch(Some((user.to_string(), password.to_string())))
    }

    fn launch(auth: Option<(String, String)>) -> Registry {
        let program = find_program(
            &["docker-registry", "/usr/bin/docker-registry"],
            "docker-registry",
        );
        let dir = tempfile::tempdir().expect("temp dir");
        let port = free_port();
        let mut config = format!(
            "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {}\n  \
             delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n  secret: test-only-secret\n",
            dir.path().join("data").display()
        );
        if let Some((user, password)) = &auth {
            let hash = bcrypt::hash(password, 5).expect("bcrypt");
            let htpasswd = dir.path().join("htpasswd");
            std::fs::write(&htpasswd, format!("{user}:{hash}\n")).expect("write htpasswd");
            config.push_str(&format!(
                "auth:\n  htpasswd:\n    realm: cargo-wasmcloud-tests\n    path: {}\n",
                htpasswd.display()
            ));
        }
        let config_path = dir.path().join("config.yml");
        std::fs::write(&config_path, config).expect("write registry config");
        let log = dir.path().join("registry.log");
        let log_file = std::fs::File::create(&log).expect("registry log");
        let mut child = Command::new(program)
            .arg("serve")
            .arg(&config_path)
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().expect("log"))
            .stderr(log_file)
            .spawn()
            .expect("spawn docker-registry");
        wait_for_port(
            port,
            &mut child,
            Duration::from_secs(15),
            "docker-registry",
            &log,
        );
        Registry {
            child,
            port,
            auth,
            dir,
        }
    }

    /// `127.0.0.1:<port>`, the registry part of a reference.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The registry's storage directory (to damage blobs on purpose).
    pub fn storage(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Status code of a plain `GET` on a path, with basic auth if given.
    pub fn get_status(&self, path: &str, basic: Option<(&str, &str)>) -> u16 {
        http_get_status(self.port, path, basic)
    }

    /// Stops the registry now (to test what clients do when it goes away).
    pub fn stop(&mut self) {
        kill_and_wait(&mut self.child);
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        kill_and_wait(&mut self.child);
    }
}

/// A minimal HTTP/1.0 GET on loopback, returning the status code.
pub fn http_get_status(port: u16, path: &str, basic: Option<(&str, &str)>) -> u16 {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut request = format!("GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n");
    if let Some((user, password)) = basic {
        let token = data_encoding::BASE64.encode(format!("{user}:{password}").as_bytes());
        request.push_str(&format!("Authorization: Basic {token}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).expect("send request");
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    response
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP status in {response:?}"))
}

// ---------------------------------------------------------------------------------------
// Benchmark helpers

/// Writes `component` followed by a custom section of deterministic filler, `total` bytes in
/// all. Streamed in small chunks: this process must not grow, because a child's peak RSS
/// as the kernel reports it starts from its parent's peak at fork.
pub fn write_padded_component(path: &Path, component: &[u8], total: usize) -> usize {
    let data_len = total - component.len() - 16;
    let header = padding_header(data_len);
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).expect("create input"));
    file.write_all(component).unwrap();
    file.write_all(&header).unwrap();
    let chunk: Vec<u8> = (0..1 << 16).map(|i: usize| (i * 31 % 251) as u8).collect();
    let mut left = data_len;
    while left > 0 {
        let n = left.min(chunk.len());
        file.write_all(&chunk[..n]).unwrap();
        left -= n;
    }
    file.flush().unwrap();
    component.len() + header.len() + data_len
}

/// A whole custom section: its frame, its name and `data`.
pub fn custom_section(name: &str, data: &[u8]) -> Vec<u8> {
    let mut payload = Vec::new();
    leb(name.len() as u64, &mut payload);
    payload.extend_from_slice(name.as_bytes());
    payload.extend_from_slice(data);
    let mut section = vec![0u8];
    leb(payload.len() as u64, &mut section);
    section.extend_from_slice(&payload);
    section
}

/// The frame of a custom section named `padding` holding `data_len` bytes.
fn padding_header(data_len: usize) -> Vec<u8> {
    let name = b"padding";
    let mut header = vec![0u8];
    leb((1 + name.len() + data_len) as u64, &mut header);
    header.push(name.len() as u8);
    header.extend_from_slice(name);
    header
}

/// `binary` (a module or component) with a custom section of `data_len` filler bytes
/// appended, in memory: valid still (custom sections may come anywhere).
pub fn padded_bytes(binary: &[u8], data_len: usize) -> Vec<u8> {
    let mut out = binary.to_vec();
    out.extend_from_slice(&padding_header(data_len));
    out.extend((0..data_len).map(|i| (i * 31 % 251) as u8));
    out
}

pub struct Measure {
    pub wall: Duration,
    pub max_rss_bytes: u64,
}

/// Runs the binary once and reads the child's own peak RSS from wait4.
pub fn measure(args: &[&str], cwd: &Path) -> Measure {
    measure_program(&bin(), args, cwd)
}

/// Runs a program once and reads the child's own peak RSS from wait4.
// The child is reaped by wait4 itself, which std's Child does not know about.
#[allow(clippy::zombie_processes)]
pub fn measure_program(program: &Path, args: &[&str], cwd: &Path) -> Measure {
    let start = Instant::now();
    let child = Command::new(program)
        .args(args)
        .current_dir(cwd)
        .env("WASH_KEYS", cwd.join("keys"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {}: {e}", program.display()));
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = start.elapsed();
    assert_eq!(waited, pid, "wait4 failed");
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "{args:?} failed"
    );
    Measure {
        wall,
        // Linux reports ru_maxrss in KiB.
        max_rss_bytes: usage.ru_maxrss as u64 * 1024,
    }
}

/// `GET path` over plain HTTP/1.1: the status code and body, or why it failed.
pub fn http_get(addr: &str, path: &str) -> Result<(u16, String), String> {
    http_get_within(addr, path, Duration::from_secs(10))
}

/// [`http_get`] waiting up to `timeout` for the answer.
pub fn http_get_within(addr: &str, path: &str, timeout: Duration) -> Result<(u16, String), String> {
    let mut stream = TcpStream::connect_timeout(
        &addr.parse::<SocketAddr>().map_err(|e| e.to_string())?,
        Duration::from_secs(2),
    )
    .map_err(|e| e.to_string())?;
    stream.set_read_timeout(Some(timeout)).ok();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| e.to_string())?;
    let mut response = Vec::new();
    stream
        .read_to_end(&mut response)
        .map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&response).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").ok_or("no HTTP header")?;
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or("no status")?;
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_string()
    };
    Ok((status, body))
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if size == 0 || rest.len() < size {
            break;
        }
        out.push_str(&rest[..size]);
        body = rest[size..].trim_start_matches("\r\n");
    }
    out
}

/// Polls `check` every 200 ms until it returns Some, or `timeout` passes.
pub fn wait_for<T>(timeout: Duration, mut check: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = check() {
            return Some(value);
        }
        if Instant::now() > deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// A real component for `world` of the WIT package `wit` (after its `dependencies`), with a
/// core module that traps if called: composition tests and benchmarks need no toolchain.
pub fn component_from_wit(dependencies: &[&str], wit: &str, world: &str) -> Vec<u8> {
    use wit_parser::{LiftLowerAbi, ManglingAndAbi, Resolve};
    let mut resolve = Resolve::default();
    for (i, dep) in dependencies.iter().enumerate() {
        resolve
            .push_str(format!("dep{i}.wit"), dep)
            .expect("dependency WIT");
    }
    let pkg = resolve.push_str("main.wit", wit).expect("WIT");
    let world = resolve.select_world(&[pkg], Some(world)).expect("world");
    let mut module =
        wit_component::dummy_module(&resolve, world, ManglingAndAbi::Legacy(LiftLowerAbi::Sync));
    wit_component::embed_component_metadata(
        &mut module,
        &resolve,
        world,
        wit_component::StringEncoding::UTF8,
    )
    .expect("metadata");
    wit_component::ComponentEncoder::default()
        .module(&module)
        .expect("module")
        .validate(true)
        .encode()
        .expect("component")
}

// ---------------------------------------------------------------------------------------
// wadm

/// A binary of the wadm harness (tests/wadm) built by `scripts/build-test-wadm.sh`:
/// `wadm-test-server` or `wadm-check` (`$CARGO_WASMCLOUD_TEST_WADM_DIR` overrides the
/// directory).
pub fn wadm_binary(name: &str) -> PathBuf {
    let dir = std::env::var_os("CARGO_WASMCLOUD_TEST_WADM_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            shared_build_cache()
                .with_file_name("wadm-target")
                .join("release")
        });
    let path = dir.join(name);
    assert!(
        path.is_file(),
        "{} is missing: run scripts/build-test-wadm.sh (scripts/test-deps.sh does)",
        path.display()
    );
    path
}

/// wadm 0.21.1 on a NATS server (which must be 2.10 or newer), with in-memory streams;
/// stopped when dropped. Start it before the hosts: it watches a lattice once it sees one
/// of its events.
pub struct WadmServer {
    child: Child,
    log: PathBuf,
    _dir: TempDir,
}

impl WadmServer {
    pub fn start(nats: &NatsServer) -> WadmServer {
        let dir = tempfile::tempdir().expect("temp dir");
        let log = dir.path().join("wadm.log");
        let log_file = std::fs::File::create(&log).expect("wadm log");
        let mut child = Command::new(wadm_binary("wadm-test-server"))
            .env("WADM_NATS_SERVER", format!("127.0.0.1:{}", nats.port))
            .env("WADM_STREAM_PERSISTENCE", "memory")
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().expect("log"))
            .stderr(log_file)
            .spawn()
            .expect("spawn wadm");
        wait_for_log(
            &mut child,
            &log,
            "wadm-test-server: started",
            "wadm",
            Duration::from_secs(30),
        );
        WadmServer {
            child,
            log,
            _dir: dir,
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Freezes wadm (SIGSTOP): it stays connected and answers nothing, as a wadm that hangs.
    pub fn freeze(&self) {
        signal(&self.child, libc::SIGSTOP);
    }

    /// Lets a frozen wadm go on (SIGCONT).
    pub fn thaw(&self) {
        signal(&self.child, libc::SIGCONT);
    }
}

impl Drop for WadmServer {
    fn drop(&mut self) {
        self.thaw();
        signal(&self.child, libc::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        kill_and_wait(&mut self.child);
    }
}

/// wadm-types' own validator on manifest files: one JSON object per file, with `parsed`,
/// `errors` and `warnings`.
pub fn wadm_check(files: &[&Path]) -> Vec<serde_json::Value> {
    let output = Command::new(wadm_binary("wadm-check"))
        .args(files)
        .output()
        .expect("run wadm-check");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("wadm-check prints JSON lines"))
        .collect()
}

/// A TCP proxy on a free loopback port in front of `127.0.0.1:<port>`, counting the bytes
/// clients send through it (request lines, headers and bodies).
///
/// With `decline_mounts` it is also a fake of a registry that does not mount blobs across
/// repositories (docker-registry always does): it rewrites `?mount=` in what clients send
/// to `?xount=` (same length), so the registry sees a plain upload request and answers 202
/// with an upload session, as a declining registry does.
pub struct CountingProxy {
    pub port: u16,
    sent: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl CountingProxy {
    pub fn start(upstream: u16, decline_mounts: bool) -> CountingProxy {
        use std::io::{Read, Write};
        use std::sync::atomic::{AtomicU64, Ordering};
        use std::sync::Arc;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
        let port = listener.local_addr().unwrap().port();
        let sent = Arc::new(AtomicU64::new(0));
        let counter = sent.clone();
        // The threads end with the test process (a proxy per test, nothing to stop).
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)) else {
                    continue;
                };
                let (mut client_in, mut server_out) =
                    (client.try_clone().unwrap(), server.try_clone().unwrap());
                let (mut server_in, mut client_out) = (server, client);
                let counter = counter.clone();
                std::thread::spawn(move || {
                    let mut buf = vec![0u8; 64 * 1024];
                    while let Ok(n) = client_in.read(&mut buf) {
                        if n == 0 {
                            break;
                        }
                        counter.fetch_add(n as u64, Ordering::SeqCst);
                        if decline_mounts {
                            let part = &mut buf[..n];
                            let mut i = 0;
                            while let Some(at) = part[i..].windows(6).position(|w| w == b"mount=") {
                                part[i + at] = b'x';
                                i += at + 6;
                            }
                        }
                        if server_out.write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                    let _ = server_out.shutdown(std::net::Shutdown::Write);
                });
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut server_in, &mut client_out);
                    let _ = client_out.shutdown(std::net::Shutdown::Write);
                });
            }
        });
        CountingProxy { port, sent }
    }

    /// Bytes clients sent since the last call (the count starts again at 0).
    pub fn take_sent(&self) -> u64 {
        self.sent.swap(0, std::sync::atomic::Ordering::SeqCst)
    }

    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

// ---------------------------------------------------------------------------------------
// Faults on the wire

/// A fault for [`FaultProxy`] to cause once, on the next request whose first line (`GET
/// /v2/...`) starts with its prefix.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Answer with this status, without forwarding (for requests without a body).
    Status(u16),
    /// Forward the request, then cut its connection once this many bytes of it (headers
    /// and body) have passed: an upload broken off.
    CutRequest(u64),
    /// Forward the request, then cut its connection once this many bytes of its answer
    /// have passed: a download broken off.
    CutResponse(u64),
    /// Wait this long before forwarding the request.
    Delay(Duration),
}

/// A loopback proxy in front of a registry that injects faults: connections dropped
/// mid-body, delays, 5xx answers. A request is found by its request line at the start of
/// what a client sends (clients here send each request from its first byte in a new read
/// of the socket, which holds for the tool's HTTP/1 client and these sizes). Faults are
/// used in the order they were armed, each once.
pub struct FaultProxy {
    pub port: u16,
    faults: std::sync::Arc<std::sync::Mutex<Vec<(String, Fault)>>>,
    fired: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl FaultProxy {
    pub fn start(upstream: u16) -> FaultProxy {
        use std::sync::{Arc, Mutex};
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
        let port = listener.local_addr().unwrap().port();
        let faults: Arc<Mutex<Vec<(String, Fault)>>> = Arc::default();
        let fired: Arc<Mutex<Vec<String>>> = Arc::default();
        let (armed, log) = (faults.clone(), fired.clone());
        // The threads end with the test process (a proxy per test, nothing to stop).
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)) else {
                    continue;
                };
                let (armed, log) = (armed.clone(), log.clone());
                std::thread::spawn(move || proxy_connection(client, server, armed, log));
            }
        });
        FaultProxy {
            port,
            faults,
            fired,
        }
    }

    /// Arms `fault` for the next request whose line starts with `request_prefix`.
    pub fn arm(&self, request_prefix: &str, fault: Fault) {
        self.faults
            .lock()
            .unwrap()
            .push((request_prefix.to_string(), fault));
    }

    /// The request lines faults fired on, since the last call.
    pub fn take_fired(&self) -> Vec<String> {
        std::mem::take(&mut *self.fired.lock().unwrap())
    }

    /// Faults armed and not yet fired.
    pub fn unfired(&self) -> usize {
        self.faults.lock().unwrap().len()
    }

    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

type Armed = std::sync::Arc<std::sync::Mutex<Vec<(String, Fault)>>>;

fn proxy_connection(
    client: TcpStream,
    server: TcpStream,
    armed: Armed,
    fired: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
) {
    use std::sync::atomic::{AtomicI64, Ordering};
    use std::sync::Arc;
    // Bytes of the answer still allowed through before the cut (-1: no cut pending).
    let response_budget = Arc::new(AtomicI64::new(-1));
    let cut = |a: &TcpStream, b: &TcpStream| {
        let _ = a.shutdown(std::net::Shutdown::Both);
        let _ = b.shutdown(std::net::Shutdown::Both);
    };
    {
        let (mut from, mut to) = (server.try_clone().unwrap(), client.try_clone().unwrap());
        let budget = response_budget.clone();
        std::thread::spawn(move || {
            let mut buf = vec![0u8; 64 * 1024];
            while let Ok(n) = from.read(&mut buf) {
                if n == 0 {
                    break;
                }
                let left = budget.load(Ordering::SeqCst);
                if left >= 0 && left as usize <= n {
                    let _ = to.write_all(&buf[..left as usize]);
                    let _ = from.shutdown(std::net::Shutdown::Both);
                    let _ = to.shutdown(std::net::Shutdown::Both);
                    return;
                }
                if left > 0 {
                    budget.fetch_sub(n as i64, Ordering::SeqCst);
                }
                if to.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
            let _ = to.shutdown(std::net::Shutdown::Write);
        });
    }
    let (mut from, mut to) = (client, server);
    let mut buf = vec![0u8; 64 * 1024];
    // Bytes of the request still allowed through before the cut.
    let mut request_budget: Option<u64> = None;
    while let Ok(n) = from.read(&mut buf) {
        if n == 0 {
            break;
        }
        let chunk = &buf[..n];
        let line_end = chunk.windows(2).position(|w| w == b"\r\n");
        let fault = line_end.and_then(|end| {
            let line = String::from_utf8_lossy(&chunk[..end]).into_owned();
            let mut armed = armed.lock().unwrap();
            let at = armed
                .iter()
                .position(|(prefix, _)| line.starts_with(prefix))?;
            let (_, fault) = armed.remove(at);
            fired.lock().unwrap().push(line);
            Some(fault)
        });
        match fault {
            Some(Fault::Status(status)) => {
                let answer = format!("HTTP/1.1 {status} Injected\r\ncontent-length: 0\r\n\r\n");
                if from.write_all(answer.as_bytes()).is_err() {
                    break;
                }
                continue;
            }
            Some(Fault::Delay(delay)) => std::thread::sleep(delay),
            Some(Fault::CutRequest(after)) => request_budget = Some(after),
            Some(Fault::CutResponse(after)) => {
                response_budget.store(after as i64, Ordering::SeqCst)
            }
            None => {}
        }
        if let Some(left) = request_budget {
            if left as usize <= n {
                let _ = to.write_all(&chunk[..left as usize]);
                cut(&from, &to);
                return;
            }
            request_budget = Some(left - n as u64);
        }
        if to.write_all(chunk).is_err() {
            break;
        }
    }
    let _ = to.shutdown(std::net::Shutdown::Write);
}

/// A loopback front for a registry that wants a bearer token, as hosted registries do
/// (Docker Hub, GHCR, ...). docker-registry's own token auth needs a token service signed by
/// a certificate, which this machine has no package for, so the gate plays both: `/token`
/// trades the right basic credentials for `token`, and a connection whose first request
/// carries `Bearer token` is passed through to the real registry (later requests on it are
/// not looked at). Any other request gets the 401 challenge naming the realm.
pub struct BearerGate {
    pub port: u16,
    pub token: String,
}

impl BearerGate {
    pub fn start(upstream: u16, user: &str, password: &str) -> BearerGate {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the gate");
        let port = listener.local_addr().unwrap().port();
        let mut random = [0u8; 16];
        std::fs::File::open("/dev/urandom")
            .and_then(|mut f| f.read_exact(&mut random))
            .expect("random bytes");
        let token = format!("gate-token-{}", data_encoding::HEXLOWER.encode(&random));
        register_secret(&token);
        register_secret(password);
        let basic = data_encoding::BASE64.encode(format!("{user}:{password}").as_bytes());
        let shared = std::sync::Arc::new((basic, token.clone()));
        // The threads end with the test process.
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let shared = shared.clone();
                std::thread::spawn(move || {
                    let (basic, token) = &*shared;
                    gate_connection(client, upstream, port, basic, token)
                });
            }
        });
        BearerGate { port, token }
    }

    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

fn gate_connection(mut client: TcpStream, upstream: u16, port: u16, basic: &str, token: &str) {
    let mut head = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match client.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let text = String::from_utf8_lossy(&head).into_owned();
    let path = text.split_whitespace().nth(1).unwrap_or("");
    let authorization = text
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("authorization")
                .then(|| value.trim().to_string())
        })
        .unwrap_or_default();
    let answer = |client: &mut TcpStream, status: &str, extra: &str, body: &str| {
        let _ = write!(
            client,
            "HTTP/1.1 {status}\r\n{extra}Content-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
    };
    if path.starts_with("/token") {
        if authorization == format!("Basic {basic}") {
            let body =
                format!(r#"{{"token":"{token}","access_token":"{token}","expires_in":300}}"#);
            answer(&mut client, "200 OK", "", &body);
        } else {
            answer(
                &mut client,
                "401 Unauthorized",
                "",
                r#"{"details":"bad credentials"}"#,
            );
        }
        return;
    }
    if authorization == format!("Bearer {token}") {
        let Ok(mut server) = TcpStream::connect(("127.0.0.1", upstream)) else {
            return;
        };
        if server.write_all(&head).is_err() {
            return;
        }
        let (mut from, mut to) = (server.try_clone().unwrap(), client.try_clone().unwrap());
        std::thread::spawn(move || {
            let _ = std::io::copy(&mut from, &mut to);
            let _ = to.shutdown(std::net::Shutdown::Write);
        });
        let _ = std::io::copy(&mut client, &mut server);
        let _ = server.shutdown(std::net::Shutdown::Write);
        return;
    }
    let challenge = format!(
        "WWW-Authenticate: Bearer realm=\"http://127.0.0.1:{port}/token\",service=\"gate\"\r\n"
    );
    answer(
        &mut client,
        "401 Unauthorized",
        &challenge,
        r#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#,
    );
}
