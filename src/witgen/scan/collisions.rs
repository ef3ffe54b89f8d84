//! Names that collide once made WIT (`get_x` and `get-x`, a type defined twice).

use super::*;

impl Scanner<'_> {
    /// Names that must be unique in WIT: interfaces in the package; types, functions and
    /// resources in an interface; cases; parameters; resource functions.
    pub(super) fn check_collisions(&self) -> Result<(), WitgenError> {
        let fail = |a: &str, b: &str, wit: &str| {
            Err(WitgenError::Other(format!(
                "{}: {}",
                self.files[0],
                collision(a, b, wit)
            )))
        };
        let mut interfaces = HashMap::new();
        for i in &self.pkg.interfaces {
            if [
                crate::witgen::print::EXPORTER_WORLD,
                crate::witgen::print::IMPORTER_WORLD,
            ]
            .contains(&i.wit_name.as_str())
            {
                let message = format!(
                    "trait `{}` would be interface `{}`, which is the name of one of the package's \
                     worlds (`exporter`, `importer`); rename the trait",
                    i.rust_name, i.wit_name
                );
                return Err(self.located(&i.rust_name, message));
            }
            if let Some(other) = interfaces.insert(&i.wit_name, &i.rust_name) {
                return self.located_collision(other, &i.rust_name, &i.wit_name);
            }
        }
        // Types are named across the package (a `use` brings one into another interface).
        let mut types: HashMap<&String, &String> = HashMap::new();
        for t in &self.pkg.types {
            let rust = if t.rust_name.is_empty() {
                &t.wit_name
            } else {
                &t.rust_name
            };
            if let Some(other) = types.insert(&t.wit_name, rust) {
                return self.located_collision(other, rust, &t.wit_name);
            }
        }
        for (index, iface) in self.pkg.interfaces.iter().enumerate() {
            let mut names: HashMap<&String, &String> = HashMap::new();
            for t in self.pkg.types.iter().filter(|t| t.interface == index) {
                let rust = if t.rust_name.is_empty() {
                    &t.wit_name
                } else {
                    &t.rust_name
                };
                names.insert(&t.wit_name, rust);
            }
            for r in self.pkg.resources.iter().filter(|r| r.interface == index) {
                if let Some(other) = names.insert(&r.wit_name, &r.rust_name) {
                    return self.located_collision(other, &r.rust_name, &r.wit_name);
                }
                let mut funcs = HashMap::new();
                for f in &r.funcs {
                    if let Some(other) = funcs.insert(&f.wit_name, &f.rust_name) {
                        return self.located_collision(other, &f.rust_name, &f.wit_name);
                    }
                    check_params(f).map_or(Ok(()), |(a, b)| fail(&a, &a, &b))?;
                }
            }
            for f in &iface.funcs {
                if let Some(other) = names.insert(&f.wit_name, &f.rust_name) {
                    return self.located_collision(other, &f.rust_name, &f.wit_name);
                }
                check_params(f).map_or(Ok(()), |(a, b)| fail(&a, &a, &b))?;
            }
        }
        for t in &self.pkg.types {
            let cases: Vec<(&String, &String)> = match &t.kind {
                TypeKind::Enum(c) | TypeKind::Flags(c) => {
                    c.iter().map(|c| (&c.wit_name, &c.rust_name)).collect()
                }
                TypeKind::Variant(c) => c.iter().map(|c| (&c.wit_name, &c.rust_name)).collect(),
                _ => continue,
            };
            let mut seen = HashMap::new();
            for (wit, rust) in cases {
                if let Some(other) = seen.insert(wit, rust) {
                    return self.located_collision(other, rust, wit);
                }
            }
        }
        Ok(())
    }

    /// A collision error at the second of two Rust names.
    pub(super) fn located_collision(
        &self,
        first: &str,
        second: &str,
        wit: &str,
    ) -> Result<(), WitgenError> {
        Err(self.located(second, collision(first, second, wit)))
    }

    /// An error at the first place identifier `name` appears in the crate.
    pub(super) fn located(&self, name: &str, message: String) -> WitgenError {
        for found in &self.found {
            let mut at = None;
            find_ident(&found.item, name, &mut at);
            if let Some(span) = at {
                return self.err(found.file, span, message);
            }
        }
        WitgenError::Other(format!("{}: {message}", self.files[0]))
    }
}
