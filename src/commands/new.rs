//! `new actor|provider|interface NAME`: a project from a template embedded in the binary.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Args, Subcommand};
use serde_json::json;

use crate::output::Output;
use cargo_wasmcloud::project::{ProjectKind, Selection};
use cargo_wasmcloud::scaffold::{self, NewProject, Values, TEMPLATES_LIST};
use cargo_wasmcloud::witgen::glue::Role;

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct NewArgs {
    /// List the templates and exit
    #[arg(long)]
    list_templates: bool,

    #[command(subcommand)]
    kind: Option<NewKind>,
}

#[derive(Debug, Subcommand)]
enum NewKind {
    /// A component (an actor) to run on wasmCloud
    Actor(ProjectArgs),
    /// A capability provider (a native binary, packed as a provider archive)
    Provider(ProjectArgs),
    /// An interface crate: Rust traits that become WIT
    Interface(ProjectArgs),
}

#[derive(Debug, Args)]
struct ProjectArgs {
    /// The crate name (asked for on a terminal when missing)
    name: Option<String>,

    /// Which template (see --list-templates) [default: the first of its kind]
    #[arg(short = 't', long)]
    template: Option<String>,

    /// Where to create the project [default: ./NAME]
    #[arg(long, value_name = "DIR")]
    path: Option<PathBuf>,

    /// WIT namespace for the project's package
    #[arg(long, default_value = "wasmcloud")]
    namespace: String,

    /// One-line description for Cargo.toml
    #[arg(long)]
    description: Option<String>,

    /// Never prompt; fail when something required is missing
    #[arg(short = 'y', long)]
    non_interactive: bool,

    /// Implement the traits of this interface crate (its directory): an actor exports them,
    /// a provider serves them over wRPC
    #[arg(long, value_name = "CRATE_DIR", conflicts_with = "uses")]
    implements: Option<PathBuf>,

    /// Actors: call the traits of this interface crate (its directory) through its imports
    #[arg(long, value_name = "CRATE_DIR")]
    uses: Option<PathBuf>,
}

pub fn run(args: NewArgs, out: &Output) -> anyhow::Result<()> {
    let (kind, project) = match args.kind {
        None if args.list_templates => return list_templates(out),
        None => anyhow::bail!(
            "say what to create: `new actor NAME`, `new provider NAME` or `new interface NAME`"
        ),
        Some(NewKind::Actor(p)) => (ProjectKind::Actor, p),
        Some(NewKind::Provider(p)) => (ProjectKind::Provider, p),
        Some(NewKind::Interface(p)) => (ProjectKind::Interface, p),
    };
    let interactive = !project.non_interactive && std::io::stdin().is_terminal();
    let name = match project.name {
        Some(name) => name,
        None if interactive => prompt_name(kind)?,
        None => anyhow::bail!("a project name is required (new {kind} NAME)"),
    };
    scaffold::check_name(&name)?;
    let template = match project.template.as_deref() {
        None if interactive && scaffold::templates_for(kind).count() > 1 => prompt_template(kind)?,
        name => scaffold::find_template(kind, name)?,
    };
    let description = project
        .description
        .unwrap_or_else(|| format!("A wasmCloud {kind} made with cargo-wasmcloud"));
    let dest = project.path.unwrap_or_else(|| PathBuf::from(&name));
    let values = Values {
        name,
        namespace: project.namespace,
        description,
    };
    let cwd = std::env::current_dir()?;
    let cargo = Selection::new(cwd.clone()).cargo;
    let link = match (project.implements, project.uses) {
        (Some(dir), _) => Some((Role::Implements, dir)),
        (None, Some(dir)) => Some((Role::Uses, dir)),
        (None, None) => None,
    };
    let role = link.as_ref().map(|(role, _)| *role);
    let shown_name = values.name.clone();
    let created = scaffold::new_project(&NewProject {
        kind,
        template,
        values,
        dest,
        link,
        cargo: &cargo,
        cwd: &cwd,
    })?;
    let next = match (kind, role) {
        (ProjectKind::Interface, _) => {
            "edit the traits in src/lib.rs, then `cargo wasmcloud wit`; actors use it with \
             `cargo wasmcloud new actor NAME --implements DIR` or `--uses DIR`"
        }
        (ProjectKind::Provider, Some(Role::Implements)) => {
            "fill in the methods in src/main.rs, then `cargo wasmcloud build`"
        }
        (_, Some(Role::Implements)) => {
            "fill in the methods in src/lib.rs, then `cargo wasmcloud build`"
        }
        _ => "cargo wasmcloud build",
    };
    let text = format!(
        "Created {kind} `{}` from template `{}` in {}\n\nNext:\n  cd {}\n  {next}",
        shown_name,
        created.template,
        created.path.display(),
        created.path.display()
    );
    out.result(&text, &created)?;
    Ok(())
}

fn list_templates(out: &Output) -> anyhow::Result<()> {
    let mut text = String::new();
    for t in TEMPLATES_LIST {
        text.push_str(&format!(
            "{:<10} {:<10} {}\n",
            t.kind, t.name, t.description
        ));
    }
    out.result(&text, json!({ "templates": TEMPLATES_LIST }))?;
    Ok(())
}

fn prompt_name(kind: ProjectKind) -> anyhow::Result<String> {
    let name: String = dialoguer::Input::new()
        .with_prompt(format!("Name of the new {kind}"))
        .validate_with(|input: &String| scaffold::check_name(input).map_err(|e| e.to_string()))
        .interact_text()?;
    Ok(name)
}

fn prompt_template(kind: ProjectKind) -> anyhow::Result<&'static scaffold::Template> {
    let choices: Vec<&scaffold::Template> = scaffold::templates_for(kind).collect();
    let labels: Vec<String> = choices
        .iter()
        .map(|t| format!("{:<10} {}", t.name, t.description))
        .collect();
    let index = dialoguer::Select::new()
        .with_prompt("Template")
        .items(&labels)
        .default(0)
        .interact()?;
    Ok(choices[index])
}
