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
use cargo_wasmcloud::sign::summary::{ComponentSummary, ProviderSummary};
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
    let shown = args.file.display().to_string();
    if args.wit {
        let bytes = std::fs::read(&args.file)
            .with_context(|| format!("cannot read {}", args.file.display()))?;
        let wit = wit::component_wit(&bytes).with_context(|| shown.clone())?;
        return Ok(out.result(&wit, json!({ "wit": wit }))?);
    }
    // Never read whole: the token and the hash come from one streamed pass.
    let file = std::fs::File::open(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let inspection = sign::inspect_wasm_file(&file).with_context(|| shown.clone())?;
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
        let embedded_wit = *kind == WasmKind::Component && wit::has_wit_file(&file);
        let summary = ComponentSummary::new(token, *kind, embedded_wit);
        let subject_label = match public_key_kind(&summary.component) {
            Some(KeyKind::Service) => "Provider",
            _ => "Component",
        };
        let mut table = Table::default();
        table
            .row("Account", &summary.account)
            .row(subject_label, &summary.component)
            .row(
                "Expires",
                dated(&summary.expires, summary.expired, "expired"),
            )
            .row(
                "Can Be Used",
                dated(&summary.can_be_used, summary.cannot_use_yet, "not yet"),
            )
            .row(
                "Version",
                version_label(summary.version.as_deref(), summary.revision),
            )
            .row(
                "Call Alias",
                summary.call_alias.as_deref().unwrap_or("None"),
            )
            .row("Embedded WIT", if embedded_wit { "yes" } else { "no" })
            .row("Hash", &summary.hash)
            .row(
                "Tags",
                if summary.tags.is_empty() {
                    "None".to_string()
                } else {
                    summary.tags.join(", ")
                },
            );
        let title = format!(
            "{} - {}",
            summary.name.as_deref().unwrap_or("(unnamed)"),
            subject_label
        );
        out.result(&format!("{title}\n{}", table.render()), &summary)?;
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
    let summary = ProviderSummary::from(&par);
    let mut table = Table::default();
    table
        .row("Account", &summary.account)
        .row("Service", &summary.service)
        .row("Vendor", &summary.vendor)
        .row(
            "Version",
            version_label(summary.version.as_deref(), summary.revision),
        )
        .row(
            "Expires",
            dated(&summary.expires, par.validation.expired, "expired"),
        )
        .row(
            "Can Be Used",
            dated(
                &summary.can_be_used,
                par.validation.cannot_use_yet,
                "not yet",
            ),
        )
        .row("Targets", summary.targets.join(", "))
        .row(
            "Embedded WIT",
            if summary.embedded_wit { "yes" } else { "no" },
        );
    let title = format!(
        "{} - Capability Provider",
        summary.name.as_deref().unwrap_or("(unnamed)")
    );
    out.result(&format!("{title}\n{}", table.render()), &summary)?;
    if args.verify {
        check_dates(&par.validation, &shown.to_string())?;
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
