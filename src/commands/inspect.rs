//! `inspect FILE`: the claims of a signed component or module, or its WIT world.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use serde_json::json;

use super::registry::{progress_bar, RegistryArgs};
use crate::output::{Output, Table};
use cargo_wasmcloud::artifact::wasm::WasmKind;
use cargo_wasmcloud::artifact::{self, wit, ArtifactKind};
use cargo_wasmcloud::oci::cache;
use cargo_wasmcloud::sign::jwt::Validation;
use cargo_wasmcloud::sign::keys::{public_key_kind, KeyKind};
use cargo_wasmcloud::sign::{self, par, WasmInspection};

#[derive(Debug, Clone, Args)]
pub struct InspectArgs {
    /// A component, core module, or provider archive (.par, .par.gz): a file, or an OCI
    /// reference (registry/repository:tag), pulled into the cache first
    file: PathBuf,

    /// Print only the raw JWT
    #[arg(long, conflicts_with = "wit")]
    jwt_only: bool,

    /// Print the component's WIT world instead of its claims
    #[arg(long, visible_alias = "world")]
    wit: bool,

    /// Fail unless the file carries claims that are valid now (not expired, not early)
    #[arg(long)]
    verify: bool,

    #[command(flatten)]
    registry: RegistryArgs,
}

pub fn run(mut args: InspectArgs, out: &Output) -> anyhow::Result<()> {
    if !args.file.exists() {
        if let Some(text) = args
            .file
            .to_str()
            .filter(|t| cache::looks_like_reference(t))
        {
            let (progress, _bar) = progress_bar(out, "Pulling");
            args.file = cache::pull_cached(
                text,
                args.registry.allow_latest,
                &args.registry.options(),
                progress,
            )?;
        }
    }
    let head = artifact::read_head(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    if artifact::sniff(&head) == Ok(ArtifactKind::ProviderArchive) {
        return run_par(&args, out);
    }
    let bytes = std::fs::read(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let shown = args.file.display().to_string();
    if args.wit {
        let wit = wit::component_wit(&bytes).with_context(|| shown.clone())?;
        return Ok(out.result(&wit, json!({ "wit": wit }))?);
    }
    let inspection = sign::inspect_wasm(&bytes).with_context(|| shown.clone())?;
    let WasmInspection { kind, token } = &inspection;
    let Some(token) = token else {
        anyhow::ensure!(!args.verify && !args.jwt_only, "{shown} carries no claims");
        let text = format!(
            "{shown}: unsigned {}, no claims embedded",
            kind_label(*kind)
        );
        return Ok(out.result(&text, json!({ "signed": false, "kind": kind }))?);
    };

    if args.jwt_only {
        out.result(&token.jwt, json!({ "token": token.jwt }))?;
    } else {
        let claims = &token.claims;
        let meta = &token.metadata;
        let v = &token.validation;
        let embedded_wit = *kind == WasmKind::Component && wit::has_wit(&bytes);
        let subject_label = match public_key_kind(&claims.sub) {
            Some(KeyKind::Service) => "Provider",
            _ => "Component",
        };
        let version = version_label(meta.ver.as_deref(), meta.rev);
        let tags = meta.tags.clone().unwrap_or_default();
        let mut table = Table::default();
        table
            .row("Account", &claims.iss)
            .row(subject_label, &claims.sub)
            .row("Expires", dated(&v.expires_human, v.expired, "expired"))
            .row(
                "Can Be Used",
                dated(&v.not_before_human, v.cannot_use_yet, "not yet"),
            )
            .row("Version", version)
            .row("Call Alias", meta.call_alias.as_deref().unwrap_or("None"))
            .row("Embedded WIT", if embedded_wit { "yes" } else { "no" })
            .row("Hash", &meta.hash)
            .row(
                "Tags",
                if tags.is_empty() {
                    "None".to_string()
                } else {
                    tags.join(", ")
                },
            );
        let title = format!(
            "{} - {}",
            meta.name.as_deref().unwrap_or("(unnamed)"),
            subject_label
        );
        let text = format!("{title}\n{}", table.render());
        out.result(
            &text,
            json!({
                "name": meta.name,
                "account": claims.iss,
                "component": claims.sub,
                "kind": kind,
                "expires": v.expires_human,
                "can_be_used": v.not_before_human,
                "version": meta.ver,
                "revision": meta.rev,
                "tags": tags,
                "call_alias": meta.call_alias,
                "hash": meta.hash,
                "embedded_wit": embedded_wit,
                "issued_at": claims.iat,
                "expires_at": claims.exp,
                "not_before": claims.nbf,
                "expired": v.expired,
                "cannot_use_yet": v.cannot_use_yet,
                "signature_valid": v.signature_valid,
                "section": token.section,
            }),
        )?;
    }
    if args.verify {
        check_dates(&token.validation, &shown)?;
    }
    Ok(())
}

fn run_par(args: &InspectArgs, out: &Output) -> anyhow::Result<()> {
    let par = par::read_par(&args.file)?;
    let shown = args.file.display();
    if args.wit {
        anyhow::bail!(
            "{shown}: {}",
            if par.has_wit {
                "printing a provider archive's WIT world is not supported yet"
            } else {
                "this provider archive carries no WIT world"
            }
        );
    }
    if args.jwt_only {
        return Ok(out.result(&par.jwt, json!({ "token": par.jwt }))?);
    }
    let meta = &par.metadata;
    let v = &par.validation;
    let version = version_label(meta.ver.as_deref(), meta.rev);
    let mut table = Table::default();
    table
        .row("Account", &par.claims.iss)
        .row("Service", &par.claims.sub)
        .row("Vendor", &meta.vendor)
        .row("Version", version)
        .row("Expires", dated(&v.expires_human, v.expired, "expired"))
        .row(
            "Can Be Used",
            dated(&v.not_before_human, v.cannot_use_yet, "not yet"),
        )
        .row("Targets", par.targets.join(", "))
        .row("Embedded WIT", if par.has_wit { "yes" } else { "no" });
    let title = format!(
        "{} - Capability Provider",
        meta.name.as_deref().unwrap_or("(unnamed)")
    );
    out.result(
        &format!("{title}\n{}", table.render()),
        json!({
            "name": meta.name,
            "account": par.claims.iss,
            "service": par.claims.sub,
            "vendor": meta.vendor,
            "version": meta.ver,
            "revision": meta.rev,
            "targets": par.targets,
            "target_hashes": meta.target_hashes,
            "expires": v.expires_human,
            "can_be_used": v.not_before_human,
            "signature_valid": v.signature_valid,
            "embedded_wit": par.has_wit,
            "compressed": par.compressed,
            "schema": meta.config_schema,
            "kind": "provider_archive",
        }),
    )?;
    if args.verify {
        check_dates(v, &shown.to_string())?;
    }
    Ok(())
}

/// `--verify`: claims must be usable now.
fn check_dates(v: &Validation, shown: &str) -> anyhow::Result<()> {
    anyhow::ensure!(
        !v.expired,
        "{shown}: the claims expired {}",
        v.expires_human
    );
    anyhow::ensure!(
        !v.cannot_use_yet,
        "{shown}: the claims are not valid yet (valid {})",
        v.not_before_human
    );
    Ok(())
}

/// `0.1.0 (3)`, as wash shows a version and revision.
fn version_label(ver: Option<&str>, rev: Option<i32>) -> String {
    match (ver, rev) {
        (Some(ver), Some(rev)) => format!("{ver} ({rev})"),
        (Some(ver), None) => ver.to_string(),
        (None, Some(rev)) => format!("({rev})"),
        (None, None) => "None".into(),
    }
}

fn kind_label(kind: WasmKind) -> &'static str {
    ArtifactKind::from(kind).label()
}

fn dated(human: &str, flagged: bool, flag: &str) -> String {
    if flagged {
        format!("{human} ({flag})")
    } else {
        human.to_string()
    }
}
