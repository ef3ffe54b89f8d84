//! `app manifest`, `validate`, and the commands that read or change what wadm stores.

use std::path::{Path, PathBuf};

use clap::Args;
use serde_json::json;

use super::AppBuildArgs;
use crate::commands::{report_build_event, CtlConnArgs};
use crate::output::{Output, Table};
use cargo_wasmcloud::app::{deploy, AppError, Application};
use cargo_wasmcloud::fsutil;

#[derive(Debug, Args)]
pub struct ManifestArgs {
    #[command(flatten)]
    build: AppBuildArgs,

    /// Write the manifest to FILE [default: print it]
    #[arg(short = 'd', long = "destination", value_name = "FILE")]
    destination: Option<PathBuf>,

    /// Print every link and why it was made; write nothing
    #[arg(long)]
    explain: bool,
}

pub fn run_manifest(args: ManifestArgs, out: &Output) -> anyhow::Result<()> {
    let opts = args.build.options()?;
    let cwd = opts.selection.cwd.clone();
    let app = Application::load(opts)?;
    let (_, plan) = app.build_and_plan(&mut |event| report_build_event(out, &cwd, event))?;
    for note in &plan.notes {
        out.warn(note);
    }
    if args.explain {
        let mut text = format!("application {} {}\n", plan.name, plan.version);
        for image in &plan.images {
            text.push_str(&format!(
                "  component {}: {}\n",
                image.component, image.image
            ));
        }
        if plan.links.is_empty() {
            text.push_str("no links\n");
        }
        for link in &plan.links {
            text.push_str(&format!(
                "link {} -> {} {}:{}/{{{}}}{}\n",
                link.source,
                link.target,
                link.namespace,
                link.package,
                link.interfaces.join(","),
                link.name
                    .as_deref()
                    .map(|n| format!(" (named {n})"))
                    .unwrap_or_default()
            ));
            for reason in &link.reasons {
                text.push_str(&format!("  because {reason}\n"));
            }
        }
        out.result(&text, json!({ "plan": plan, "manifest": plan.value() }))?;
        return Ok(());
    }
    let yaml = plan.yaml(&app.table);
    match &args.destination {
        Some(path) => {
            fsutil::write_atomic(path, fsutil::Mode::Public, |w| {
                std::io::Write::write_all(w, yaml.as_bytes())
            })
            .map_err(|source| AppError::Io {
                path: path.display().to_string(),
                source,
            })?;
            out.status("Wrote", &path.display().to_string());
            out.result(
                "",
                json!({ "file": path, "plan": plan, "manifest": plan.value() }),
            )?;
        }
        None => out.result(&yaml, json!({ "plan": plan, "manifest": plan.value() }))?,
    }
    Ok(())
}

pub fn run_validate(file: &Path, out: &Output) -> anyhow::Result<()> {
    match deploy::check_file(file) {
        Ok(checked) => {
            let m = &checked.manifest;
            let links: usize = m
                .spec
                .components
                .iter()
                .flat_map(|c| c.traits.iter().flatten())
                .filter(|t| t.kind == "link")
                .count();
            out.result(
                &format!(
                    "{}: valid: application {} {}, {} components, {} links",
                    file.display(),
                    m.metadata.name,
                    m.version().unwrap_or("(no version)"),
                    m.spec.components.len(),
                    links
                ),
                json!({
                    "file": file,
                    "name": m.metadata.name,
                    "version": m.version(),
                    "problems": [],
                }),
            )?;
            Ok(())
        }
        Err(AppError::Manifest {
            file: shown,
            problems,
        }) => {
            let text = problems
                .0
                .iter()
                .map(|p| format!("{shown}: {p}"))
                .collect::<Vec<_>>()
                .join("\n");
            out.report(
                &text,
                json!({ "file": file, "problems": problems.0 }),
                false,
            )?;
            anyhow::bail!("{shown}: {} problem(s); see above", problems.0.len())
        }
        Err(other) => Err(other.into()),
    }
}

pub fn run_undeploy(name: &str, conn: &CtlConnArgs, out: &Output) -> anyhow::Result<()> {
    let ack = deploy::connect(&conn.options())?.undeploy(name)?;
    out.result(&format!("Undeployed {name}"), &ack)?;
    Ok(())
}

pub fn run_list(conn: &CtlConnArgs, out: &Output) -> anyhow::Result<()> {
    let apps = deploy::connect(&conn.options())?.list()?;
    let mut text = format!(
        "{:<24} {:<14} {:<14} {:<12} DESCRIPTION\n",
        "NAME", "LATEST", "DEPLOYED", "STATUS"
    );
    for app in &apps {
        text.push_str(&format!(
            "{:<24} {:<14} {:<14} {:<12} {}\n",
            app.name,
            app.version,
            app.deployed_version.as_deref().unwrap_or("-"),
            app.detailed_status.info.kind.to_string(),
            app.description.as_deref().unwrap_or("")
        ));
    }
    if apps.is_empty() {
        text = "no applications\n".into();
    }
    out.result(&text, json!({ "applications": apps }))?;
    Ok(())
}

pub fn run_get(
    name: &str,
    version: Option<&str>,
    conn: &CtlConnArgs,
    out: &Output,
) -> anyhow::Result<()> {
    let manifest = deploy::connect(&conn.options())?.get(name, version)?;
    let text = cargo_wasmcloud::wadm::yaml::to_yaml(&manifest, &[]);
    out.result(&text, json!({ "manifest": manifest }))?;
    Ok(())
}

pub fn run_history(name: &str, conn: &CtlConnArgs, out: &Output) -> anyhow::Result<()> {
    let versions = deploy::connect(&conn.options())?.versions(name)?;
    let mut table = Table::default();
    for v in &versions {
        table.row(v.version.clone(), if v.deployed { "deployed" } else { "" });
    }
    out.result(
        &table.render(),
        json!({ "name": name, "versions": versions }),
    )?;
    Ok(())
}

pub fn run_delete(
    name: &str,
    version: Option<&str>,
    conn: &CtlConnArgs,
    out: &Output,
) -> anyhow::Result<()> {
    let deleted = deploy::connect(&conn.options())?.delete(name, version)?;
    let what = match version {
        Some(v) => format!("{name} {v}"),
        None => name.to_string(),
    };
    let text = if deleted.deleted {
        format!("Deleted {what}")
    } else {
        format!("Nothing to delete: {what} is not stored")
    };
    out.result(&text, &deleted)?;
    Ok(())
}
