//! Virtualization in the build: an actor's `[package.metadata.wasmcloud.virt]`, read and
//! checked before cargo runs, applied to the final (composed) component before signing.

use super::BuildError;
use crate::project::virt_settings::{VirtSettings, TABLE};
use crate::project::Project;
use crate::virt::{self, Deny, SettingNames, VirtSpec, Virtualized};

/// The actor's virtualization, with `${NAME}`s filled in from the environment; None when
/// it has no table.
pub(super) fn spec(project: &Project) -> Result<Option<VirtSpec>, BuildError> {
    let Some(table) = &project.settings.virt else {
        return Ok(None);
    };
    let settings_error = |e: crate::project::app_settings::AppSettingsError| BuildError::Virt {
        package: project.package.clone(),
        reason: e.to_string(),
    };
    let resolved = VirtSettings::read(table)
        .map_err(settings_error)?
        .resolve(&|name| std::env::var(name).ok())
        .map_err(settings_error)?;
    let mut deny = Vec::new();
    for (i, name) in resolved.deny.iter().enumerate() {
        let denied = Deny::parse(name).ok_or_else(|| BuildError::Virt {
            package: project.package.clone(),
            reason: format!(
                "{TABLE}.deny[{i}]: unknown name `{name}`: use {}",
                Deny::NAMES
            ),
        })?;
        deny.push(denied);
    }
    Ok(Some(VirtSpec {
        deny,
        env: resolved.env,
        args: resolved.args,
        cwd: resolved.cwd,
        config: resolved.config,
        keys: SettingNames {
            env: format!("{TABLE}.env"),
            config: format!("{TABLE}.config"),
            deny: format!("{TABLE}.deny"),
        },
    }))
}

/// Applies it to the actor's component.
pub(super) fn apply(
    project: &Project,
    component: Vec<u8>,
    spec: &VirtSpec,
) -> Result<(Vec<u8>, Virtualized), BuildError> {
    let mut done = virt::virtualize(&component, spec).map_err(|e| BuildError::Virt {
        package: project.package.clone(),
        reason: e.to_string(),
    })?;
    let bytes = std::mem::take(&mut done.bytes);
    Ok((bytes, done))
}

/// Marks the root's imports that virtualization answers in a planned composition.
pub(super) fn mark(
    project: &Project,
    report: &mut super::CompositionReport,
    spec: &VirtSpec,
) -> Result<(), BuildError> {
    use crate::compose::Source;
    let root = report
        .inputs
        .first()
        .map(|i| i.id.clone())
        .unwrap_or_default();
    let left: Vec<String> = report
        .wires
        .iter()
        .filter(|w| w.consumer == root && matches!(w.source, Source::Host | Source::Open))
        .map(|w| w.import.clone())
        .collect();
    let answered = virt::answered_imports(&left, spec).map_err(|e| BuildError::Virt {
        package: project.package.clone(),
        reason: e.to_string(),
    })?;
    for wire in report.wires.iter_mut() {
        if wire.consumer == root && answered.contains(&wire.import) {
            wire.source = Source::Virtualized;
        }
    }
    Ok(())
}
