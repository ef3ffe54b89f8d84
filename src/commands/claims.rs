//! `claims sign` and `claims inspect`.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use serde_json::json;

use super::{inspect, report_key, KeyDirArgs};
use crate::output::Output;
use cargo_wasmcloud::artifact::wasm::WasmKind;
use cargo_wasmcloud::sign::{
    self,
    keys::{self, KeyKind},
    ComponentClaimsSpec,
};

#[derive(Debug, Args)]
pub struct ClaimsArgs {
    #[command(subcommand)]
    command: ClaimsCommand,
}

#[derive(Debug, Subcommand)]
enum ClaimsCommand {
    /// Embed signed claims in a component or core module
    Sign(Box<SignArgs>),
    /// Show the claims of a signed file (same as `inspect`)
    Inspect(inspect::InspectArgs),
}

#[derive(Debug, Args)]
pub struct SignArgs {
    /// The component or core module to sign
    file: PathBuf,

    /// Where to write the signed file [default: <stem>_s.wasm beside FILE]
    #[arg(short = 'd', long, value_name = "FILE")]
    destination: Option<PathBuf>,

    /// Name in the claims [default: the file stem]
    #[arg(short = 'n', long)]
    name: Option<String>,

    /// A tag to add (repeatable)
    #[arg(short = 't', long = "tag", value_name = "TAG")]
    tags: Vec<String>,

    /// Revision number
    #[arg(
        short = 'r',
        long = "rev",
        value_name = "N",
        allow_negative_numbers = true
    )]
    rev: Option<i32>,

    /// Version string (e.g. 0.1.0)
    #[arg(short = 'v', long = "ver", value_name = "VERSION")]
    ver: Option<String>,

    /// Call alias (lower-case letters, digits, '_' and '/')
    #[arg(short = 'a', long = "call-alias", value_name = "ALIAS")]
    call_alias: Option<String>,

    /// Issuer (account) key: a seed, a seed file, or a key name in the key directory
    /// [default: $USER_account.nk, generated if missing]
    #[arg(
        short = 'i',
        long,
        env = "WASH_ISSUER_KEY",
        value_name = "KEY",
        hide_env_values = true
    )]
    issuer: Option<String>,

    /// Subject (component) key: a seed, a seed file, or a key name in the key directory
    /// [default: <stem>_module.nk, generated if missing]
    #[arg(
        short = 's',
        long,
        env = "WASH_SUBJECT_KEY",
        value_name = "KEY",
        hide_env_values = true
    )]
    subject: Option<String>,

    /// Days until the claims expire [default: never]
    #[arg(short = 'x', long, value_name = "DAYS")]
    expires: Option<u64>,

    /// Days until the claims become valid [default: immediately]
    #[arg(short = 'b', long, value_name = "DAYS")]
    nbf: Option<u64>,

    /// Fail instead of generating missing keys
    #[arg(long)]
    disable_keygen: bool,

    #[command(flatten)]
    dir: KeyDirArgs,
}

pub fn run(args: ClaimsArgs, out: &Output) -> anyhow::Result<()> {
    match args.command {
        ClaimsCommand::Sign(args) => run_sign(*args, out),
        ClaimsCommand::Inspect(args) => inspect::run(args, out),
    }
}

fn file_stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "component".into())
}

fn run_sign(args: SignArgs, out: &Output) -> anyhow::Result<()> {
    let stem = file_stem(&args.file);
    let destination = args
        .destination
        .clone()
        .unwrap_or_else(|| args.file.with_file_name(format!("{stem}_s.wasm")));
    let spec = ComponentClaimsSpec {
        name: Some(args.name.clone().unwrap_or_else(|| stem.clone())),
        tags: args.tags.clone(),
        rev: args.rev,
        ver: args.ver.clone(),
        call_alias: args.call_alias.clone(),
        expires_in_days: args.expires,
        not_before_days: args.nbf,
    };
    // Keys are looked up (or made) only once the input has proved to be Wasm.
    let generate = !args.disable_keygen;
    let signed = sign::sign_file(&args.file, &destination, &spec, || {
        Ok(keys::signing_pair(
            &args.dir.resolve()?,
            args.issuer.as_deref(),
            args.subject.as_deref(),
            &stem,
            KeyKind::Module,
            generate,
            &mut |key| report_key(out, key),
        )?)
    })?;
    if signed.kind == WasmKind::CoreModule {
        out.warn(
            "signed a core module: a wasmCloud 1.x host wraps it into a component and then \
             loses its claims in the inventory; sign components where you can",
        );
    }

    let meta = signed.claims.wascap.as_ref();
    let text = format!(
        "Signed {} -> {}\n  issuer  {}\n  subject {}\n  hash    {}",
        args.file.display(),
        destination.display(),
        signed.issuer,
        signed.subject,
        meta.map_or("", |m| m.hash.as_str()),
    );
    out.result(
        &text,
        json!({
            "source": args.file,
            "destination": destination,
            "issuer": signed.issuer,
            "subject": signed.subject,
            "name": meta.and_then(|m| m.name.clone()),
            "hash": meta.map(|m| m.hash.clone()),
            "jwt": signed.jwt,
        }),
    )?;
    Ok(())
}
