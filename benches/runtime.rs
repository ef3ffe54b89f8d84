//! The embedded runtime beside the real thing, on the same component (the http template,
//! built once): requests per second and p50/p99 latency of `run` and of a wasmCloud 1.9.2
//! test host's builtin HTTP server (started by `dev` on the lattice); time from starting
//! `run` to its first 200; and time from a saved change to the new body, with `dev`
//! embedded and with `dev` on the lattice.
//!
//! Load: keep-alive HTTP/1.1 GETs from this process, CONNECTIONS connections, rounds of
//! LOAD_SECONDS on each side in turn (on the same 2 cores as the servers, for both).
//!
//! Run: `cargo bench --bench runtime` (prints figures; asserts nothing). Needs what
//! `scripts/test-deps.sh` installs.

#[path = "../tests/support/mod.rs"]
mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const CONNECTIONS: usize = 8;
const LOAD_SECONDS: u64 = 5;
const START_RUNS: usize = 5;
const EDIT_RUNS: usize = 3;
const LOAD_ROUNDS: usize = 3;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Reads one HTTP/1.1 response (content-length or chunked) off a keep-alive connection.
fn read_response(reader: &mut BufReader<TcpStream>) -> std::io::Result<(u16, Vec<u8>)> {
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad status line {line:?}")))?;
    let mut length = None;
    let mut chunked = false;
    loop {
        line.clear();
        reader.read_line(&mut line)?;
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        let lower = header.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            length = v.trim().parse::<usize>().ok();
        } else if lower.starts_with("transfer-encoding:") && lower.contains("chunked") {
            chunked = true;
        }
    }
    let mut body = Vec::new();
    if chunked {
        loop {
            line.clear();
            reader.read_line(&mut line)?;
            let size = usize::from_str_radix(line.trim(), 16).map_err(std::io::Error::other)?;
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk)?;
            if size == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..size]);
        }
    } else if let Some(n) = length {
        body.resize(n, 0);
        reader.read_exact(&mut body)?;
    }
    Ok((status, body))
}

struct Load {
    requests: usize,
    errors: usize,
    seconds: f64,
    p50: Duration,
    p99: Duration,
}

/// The round with the median throughput.
fn median_round(mut rounds: Vec<Load>) -> Load {
    rounds.sort_by(|a, b| a.rate().total_cmp(&b.rate()));
    rounds.swap_remove(rounds.len() / 2)
}

impl Load {
    fn rate(&self) -> f64 {
        self.requests as f64 / self.seconds
    }
}

/// CONNECTIONS keep-alive connections sending GETs for LOAD_SECONDS.
fn load(address: &str, expect: &str) -> Load {
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let workers: Vec<_> = (0..CONNECTIONS)
        .map(|_| {
            let (address, expect, stop) = (address.to_string(), expect.to_string(), stop.clone());
            std::thread::spawn(move || {
                let mut latencies = Vec::new();
                let mut errors = 0;
                let mut stream = TcpStream::connect(&address).unwrap();
                stream.set_nodelay(true).unwrap();
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let request = format!("GET /bench HTTP/1.1\r\nHost: {address}\r\n\r\n");
                while !stop.load(Ordering::Relaxed) {
                    let t = Instant::now();
                    stream.write_all(request.as_bytes()).unwrap();
                    match read_response(&mut reader) {
                        Ok((200, body)) if body == expect.as_bytes() => latencies.push(t.elapsed()),
                        Ok(_) => errors += 1,
                        Err(_) => {
                            errors += 1;
                            stream = TcpStream::connect(&address).unwrap();
                            reader = BufReader::new(stream.try_clone().unwrap());
                        }
                    }
                }
                (latencies, errors)
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(LOAD_SECONDS));
    stop.store(true, Ordering::Relaxed);
    let mut all = Vec::new();
    let mut errors = 0;
    for worker in workers {
        let (latencies, e) = worker.join().unwrap();
        all.extend(latencies);
        errors += e;
    }
    let seconds = started.elapsed().as_secs_f64();
    all.sort();
    let at = |q: f64| all[((all.len() as f64 * q) as usize).min(all.len() - 1)];
    Load {
        requests: all.len(),
        errors,
        seconds,
        p50: at(0.50),
        p99: at(0.99),
    }
}

/// A child whose stderr is gathered.
struct Logged {
    child: Child,
    log: Arc<Mutex<String>>,
}

impl Logged {
    fn spawn(mut cmd: Command) -> Logged {
        let mut child = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let pipe = child.stderr.take().unwrap();
        let log = Arc::new(Mutex::new(String::new()));
        let gathered = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                let mut log = gathered.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        Logged { child, log }
    }

    fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// Ctrl-C, then wait.
    fn stop(mut self) {
        unsafe {
            libc::kill(self.child.id() as libc::pid_t, libc::SIGINT);
        }
        let _ = self.child.wait();
    }
}

fn body_at(address: &str) -> Option<String> {
    match support::http_get(address, "/bench") {
        Ok((200, body)) => Some(body),
        _ => None,
    }
}

/// Edits the actor's greeting EDIT_RUNS times and times each save → new body at `address`.
fn time_edits(lib: &Path, address: &str, word: &str) -> Vec<Duration> {
    let mut times = Vec::new();
    let mut current = "Hello".to_string();
    for n in 0..EDIT_RUNS {
        let next = format!("{word}{n}");
        let source = std::fs::read_to_string(lib).unwrap();
        let saved = Instant::now();
        std::fs::write(
            lib,
            source.replace(&format!("\"{current} from"), &format!("\"{next} from")),
        )
        .unwrap();
        // Polled every 2 ms, as for the first 200.
        while !body_at(address).is_some_and(|b| b.starts_with(&next)) {
            assert!(
                saved.elapsed() < Duration::from_secs(300),
                "the edit was never served"
            );
            std::thread::sleep(Duration::from_millis(2));
        }
        times.push(saved.elapsed());
        current = next;
    }
    times
}

fn print_load(name: &str, rounds: Vec<Load>) {
    let rates: Vec<String> = rounds.iter().map(|l| format!("{:.0}", l.rate())).collect();
    let rates = rates.join(", ");
    let l = median_round(rounds);
    println!(
        "  {name:<31} {:>7.0} req/s  p50 {:>5.2} ms  p99 {:>5.2} ms  ({} requests, {} errors; rounds {rates})",
        l.rate(),
        ms(l.p50),
        ms(l.p99),
        l.requests,
        l.errors
    );
}

fn main() {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    let cache = support::shared_build_cache();
    let tool = |args: &[&str], cwd: &Path| {
        let mut cmd = Command::new(support::bin());
        cmd.args(args)
            .current_dir(cwd)
            .env("WASH_KEYS", dir.join("keys"))
            .env("CARGO_TARGET_DIR", &cache);
        cmd
    };
    let ok = |mut cmd: Command| {
        let run = support::run_command(&mut cmd);
        assert!(run.status.success(), "{}", run.stderr);
        run
    };
    ok(tool(&["new", "actor", "bench", "-y"], dir));
    let actor = dir.join("bench");
    let built = ok(tool(&["build", "-o", "json"], &actor));
    let file = built.json()["artifacts"][0]["path"]
        .as_str()
        .unwrap()
        .to_string();
    let expect = "Hello from bench! You asked for /bench\n";

    // `run`: start → first 200; the last one stays up for the load.
    let mut to_first_200 = Vec::new();
    let mut serving = None;
    for n in 0..START_RUNS {
        let address = format!("127.0.0.1:{}", support::free_port());
        let started = Instant::now();
        let running = Logged::spawn(tool(&["run", &file, "--http", &address], dir));
        // Polled every 2 ms (support::wait_for's step would round the figure up).
        while body_at(&address).is_none() {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "run never answered: {}",
                running.log()
            );
            std::thread::sleep(Duration::from_millis(2));
        }
        to_first_200.push(started.elapsed());
        if n + 1 == START_RUNS {
            serving = Some((running, address));
        } else {
            running.stop();
        }
    }
    let (running, embedded_address) = serving.unwrap();

    // The same component on a real host, behind its builtin HTTP server (`dev` on the
    // lattice sets it up: component, server, config, link).
    let nats = support::NatsServer::start();
    let host = support::TestHost::start(&nats, "default", &[]);
    let lattice_address = format!("127.0.0.1:{}", support::free_port());
    let mut cmd = tool(&["dev", "--http-address", &lattice_address], &actor);
    cmd.env("WASMCLOUD_CTL_PORT", nats.port.to_string())
        .env("WASMCLOUD_CTL_TIMEOUT_MS", "10000");
    let dev = Logged::spawn(cmd);
    support::wait_for(Duration::from_secs(120), || body_at(&lattice_address))
        .unwrap_or_else(|| panic!("the host never answered: {}", dev.log()));

    // Rounds taken in turn, so that a slow moment of the machine falls on both.
    let mut embedded = Vec::new();
    let mut hosted = Vec::new();
    for _ in 0..LOAD_ROUNDS {
        embedded.push(load(&embedded_address, expect));
        hosted.push(load(&lattice_address, expect));
    }
    running.stop();
    let lib = actor.join("src/lib.rs");
    let lattice_edits = time_edits(&lib, &lattice_address, "Lattice");
    dev.stop();
    drop(host);

    // `dev` embedded: save → new body.
    let source = std::fs::read_to_string(&lib).unwrap();
    let greeting = source
        .split("\"")
        .find(|s| s.starts_with("Lattice") && s.contains(" from"))
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .to_string();
    std::fs::write(&lib, source.replace(&greeting, "Hello")).unwrap();
    let embedded_address = format!("127.0.0.1:{}", support::free_port());
    let dev = Logged::spawn(tool(
        &[
            "dev",
            "--runtime",
            "embedded",
            "--http-address",
            &embedded_address,
        ],
        &actor,
    ));
    support::wait_for(Duration::from_secs(120), || {
        body_at(&embedded_address).filter(|b| b.starts_with("Hello"))
    })
    .unwrap_or_else(|| panic!("dev never answered: {}", dev.log()));
    let embedded_edits = time_edits(&lib, &embedded_address, "Embedded");
    dev.stop();

    println!(
        "the embedded runtime (wasmtime 48) beside a wasmCloud 1.9.2 test host, the http template \
         ({} KB signed), {CONNECTIONS} keep-alive connections, {LOAD_ROUNDS} rounds of \
         {LOAD_SECONDS} s each in turn (the median round):",
        std::fs::metadata(&file).unwrap().len() / 1024
    );
    print_load("run (embedded)", embedded);
    print_load("test host, builtin HTTP server", hosted);
    println!(
        "  run start -> first 200, median of {START_RUNS}       {:>8.1} ms  (min {:.1}, max {:.1})",
        ms(median(to_first_200.clone())),
        ms(*to_first_200.iter().min().unwrap()),
        ms(*to_first_200.iter().max().unwrap())
    );
    println!(
        "  saved change -> new body, dev embedded   {:>8.1} ms  (median of {EDIT_RUNS}; min {:.1}, max {:.1})",
        ms(median(embedded_edits.clone())),
        ms(*embedded_edits.iter().min().unwrap()),
        ms(*embedded_edits.iter().max().unwrap())
    );
    println!(
        "  saved change -> new body, dev on host    {:>8.1} ms  (median of {EDIT_RUNS}; min {:.1}, max {:.1})",
        ms(median(lattice_edits.clone())),
        ms(*lattice_edits.iter().min().unwrap()),
        ms(*lattice_edits.iter().max().unwrap())
    );
}
