//! A whole `new`: the project from its template, wired to an interface crate when asked,
//! with its generated files (an interface crate's WIT, a linked actor's glue) written.

use std::path::{Path, PathBuf};

use super::{create_linked, Created, InterfaceLink, ScaffoldError, Template, Values};
use crate::project::{ProjectError, ProjectKind, Workspace};
use crate::witgen::glue::Role;
use crate::witgen::sync::{self, Mode, SyncError};

#[derive(Debug, thiserror::Error)]
pub enum NewError {
    #[error(transparent)]
    Scaffold(#[from] ScaffoldError),
    #[error(transparent)]
    Project(#[from] ProjectError),
    #[error(transparent)]
    Generate(#[from] SyncError),
    #[error(
        "--implements and --uses are for actors and providers (an interface crate is neither)"
    )]
    LinkNotActor,
    #[error(
        "`new provider` takes --implements; a provider that calls actors lists the crate in \
         `uses` in its Cargo.toml"
    )]
    ProviderUses,
    #[error(transparent)]
    ProviderGlue(#[from] crate::witgen::glue::ProviderGlueError),
    #[error(
        "{0} is not an interface crate (kind = \"interface\" in [package.metadata.wasmcloud])"
    )]
    NotInterface(String),
    #[error("the new project has no wasmCloud kind")]
    NoKind,
}

/// What to create.
#[derive(Debug)]
pub struct NewProject<'a> {
    pub kind: ProjectKind,
    pub template: &'static Template,
    pub values: Values,
    pub dest: PathBuf,
    /// An interface crate (its directory) the new actor implements or uses.
    pub link: Option<(Role, PathBuf)>,
    /// The cargo to read crates with, and where paths in messages are relative to.
    pub cargo: &'a Path,
    pub cwd: &'a Path,
}

/// Creates the project and writes its generated files.
pub fn new_project(request: &NewProject) -> Result<Created, NewError> {
    match (&request.link, request.kind) {
        (None, _) | (Some(_), ProjectKind::Actor) => {}
        (Some((Role::Implements, _)), ProjectKind::Provider) => {}
        (Some((Role::Uses, _)), ProjectKind::Provider) => return Err(NewError::ProviderUses),
        (Some(_), ProjectKind::Interface) => return Err(NewError::LinkNotActor),
    }
    let interface = match &request.link {
        Some((role, dir)) => {
            let iface = Workspace::load_crate(request.cargo, dir)?
                .filter(|p| p.kind == ProjectKind::Interface)
                .ok_or_else(|| NewError::NotInterface(dir.display().to_string()))?;
            let generated = sync::generate_interface(&iface, request.cwd)?;
            if request.kind == ProjectKind::Provider {
                // Refused before anything is written (the glue would refuse it after).
                crate::witgen::glue::provider_glue_file(&[crate::witgen::glue::GlueInput {
                    pkg: &generated.package,
                    wit: &generated.wit,
                    crate_ident: &iface.package.replace('-', "_"),
                    role: *role,
                }])?;
            }
            Some((*role, iface, generated))
        }
        None => None,
    };
    let link = interface
        .as_ref()
        .map(|(role, iface, generated)| InterfaceLink {
            role: *role,
            package: &iface.package,
            dir: iface.dir(),
            generated,
        });
    let created = create_linked(
        request.template,
        &request.values,
        &request.dest,
        link.as_ref(),
    )?;
    if request.kind == ProjectKind::Interface || interface.is_some() {
        let new_project =
            Workspace::load_crate(request.cargo, &created.path)?.ok_or(NewError::NoKind)?;
        let members: Vec<_> = interface.iter().map(|(_, p, _)| p.clone()).collect();
        sync::sync(
            request.cargo,
            request.cwd,
            &[new_project],
            &members,
            Mode::Write,
        )?;
    }
    Ok(created)
}
