//! What a denied function answers, read from its own WIT: the `err` case of its result
//! that means "not allowed" (filesystem `access`, sockets `access-denied`, HTTP
//! `HTTP-request-denied`), an empty list (no preopened directories), `none`, a fresh handle
//! of one of our own resources (a network nobody can use); and a trap where none of these
//! can be expressed.

use wasm_encoder::ValType;
use wit_parser::{
    Function, Handle, LiftLowerAbi, ManglingAndAbi, Resolve, ResourceIntrinsic, Type, TypeDefKind,
    TypeOwner, WasmImport, WorldId, WorldItem,
};

use super::layout::{Data, LayoutError, Value};
use super::module::{Body, Import};

/// Case names that mean "not allowed", in the order they are preferred.
const DENIED_CASES: &[&str] = &[
    "access-denied",
    "access",
    "http-request-denied",
    "not-permitted",
];

fn resolved<'a>(resolve: &'a Resolve, ty: &Type) -> Option<&'a TypeDefKind> {
    let Type::Id(id) = ty else { return None };
    match &resolve.types[*id].kind {
        TypeDefKind::Type(inner) => resolved(resolve, inner),
        kind => Some(kind),
    }
}

/// The "not allowed" value of an error type, if it has one.
fn denied_error(resolve: &Resolve, ty: &Type) -> Option<Value> {
    let is_denied = |name: &str| DENIED_CASES.contains(&name.to_ascii_lowercase().as_str());
    match resolved(resolve, ty)? {
        TypeDefKind::Enum(e) => {
            let index = DENIED_CASES.iter().find_map(|want| {
                e.cases
                    .iter()
                    .position(|c| c.name.to_ascii_lowercase() == *want)
            })?;
            Some(Value::Case(index, None))
        }
        TypeDefKind::Variant(v) => {
            let index = v
                .cases
                .iter()
                .position(|c| c.ty.is_none() && is_denied(&c.name))?;
            Some(Value::Case(index, None))
        }
        _ => None,
    }
}

/// The body of a denied function.
pub(super) fn answer(
    resolve: &Resolve,
    world: WorldId,
    function: &Function,
    retptr: bool,
    data: &mut Data<'_>,
    imports: &mut Vec<Import>,
) -> Result<Body, LayoutError> {
    let Some(result) = function.result else {
        return Ok(Body::Trap);
    };
    match resolved(resolve, &result) {
        Some(TypeDefKind::Result(r)) if retptr => {
            if let Some(denied) = r.err.as_ref().and_then(|e| denied_error(resolve, e)) {
                let record = data.record(&result, &Value::Err(Some(Box::new(denied))))?;
                return Ok(Body::Static(record));
            }
        }
        Some(TypeDefKind::List(_)) if retptr => {
            return Ok(Body::Static(
                data.record(&result, &Value::List(Vec::new()))?,
            ));
        }
        Some(TypeDefKind::Option(_)) if retptr => {
            return Ok(Body::Static(data.record(&result, &Value::None)?));
        }
        Some(TypeDefKind::Handle(Handle::Own(resource))) if function.params.is_empty() => {
            // A resource of an interface we export: a handle of our own making. (`use`d
            // resources are aliases: the resource is where the alias leads.)
            let mut resource = *resource;
            while let TypeDefKind::Type(Type::Id(inner)) = resolve.types[resource].kind {
                resource = inner;
            }
            let resource = &resource;
            if let TypeOwner::Interface(owner) = resolve.types[*resource].owner {
                let key = resolve.worlds[world]
                    .exports
                    .iter()
                    .find_map(|(key, item)| {
                        matches!(item, WorldItem::Interface { id, .. } if *id == owner)
                            .then_some(key)
                    });
                if let Some(key) = key {
                    let (module, name) = resolve.wasm_import_name(
                        ManglingAndAbi::Legacy(LiftLowerAbi::Sync),
                        WasmImport::ResourceIntrinsic {
                            interface: Some(key),
                            resource: *resource,
                            intrinsic: ResourceIntrinsic::ExportedNew,
                        },
                    );
                    let index = match imports
                        .iter()
                        .position(|i| i.module == module && i.name == name)
                    {
                        Some(index) => index,
                        None => {
                            imports.push(Import {
                                module,
                                name,
                                params: vec![ValType::I32],
                                results: vec![ValType::I32],
                            });
                            imports.len() - 1
                        }
                    };
                    return Ok(Body::NewResource(index as u32));
                }
            }
        }
        _ => {}
    }
    Ok(Body::Trap)
}
