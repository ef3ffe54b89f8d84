//! The core module of a virtualization component, written with wasm-encoder: one function
//! per exported WIT function, each returning a pointer to its static answer (or, for a
//! lookup by key, to the answer of the key given), a memory with those answers in a data
//! segment, and a bump allocator when callers must pass strings in.

use wasm_encoder::{
    BlockType, CodeSection, ConstExpr, DataSection, EntityType, ExportKind, ExportSection,
    Function, FunctionSection, GlobalSection, GlobalType, ImportSection, MemArg, MemorySection,
    MemoryType, Module, TypeSection, ValType,
};

/// What one exported function does.
pub enum Body {
    /// Returns this address (a result record).
    Static(u32),
    /// `(ptr, len)` of a string key in; the record of the entry whose key equals it, else
    /// `missing`. Entries are `(key address, key length, record)`.
    Lookup {
        entries: Vec<(u32, u32, u32)>,
        missing: u32,
    },
    /// A new handle of one of our own resources: calls the imported `[resource-new]`
    /// function (by its index among the imports) with representation 1.
    NewResource(u32),
    /// No answer can be expressed: traps.
    Trap,
}

/// A function the module imports (a canonical built-in such as `[resource-new]`).
pub struct Import {
    pub module: String,
    pub name: String,
    pub params: Vec<ValType>,
    pub results: Vec<ValType>,
}

pub struct Export {
    pub name: String,
    pub params: Vec<ValType>,
    pub results: Vec<ValType>,
    pub body: Body,
}

const PAGE: u32 = 65536;

/// Encodes the module: `imports`, `exports`, memory holding `data` at `data_base`, and
/// `cabi_realloc` when `realloc` is set.
pub fn encode(
    imports: &[Import],
    exports: &[Export],
    data_base: u32,
    data: &[u8],
    realloc: bool,
) -> Vec<u8> {
    let mut types = TypeSection::new();
    let mut functions = FunctionSection::new();
    let mut code = CodeSection::new();
    let mut export_section = ExportSection::new();
    let mut import_section = ImportSection::new();
    for (i, import) in imports.iter().enumerate() {
        types.ty().function(
            import.params.iter().copied(),
            import.results.iter().copied(),
        );
        import_section.import(&import.module, &import.name, EntityType::Function(i as u32));
    }
    let mut next_type = imports.len() as u32;
    // Imported functions come first in the function index space.
    let mut next_func = imports.len() as u32;
    let mut add_func = |types: &mut TypeSection,
                        functions: &mut FunctionSection,
                        code: &mut CodeSection,
                        params: &[ValType],
                        results: &[ValType],
                        body: &Function| {
        types
            .ty()
            .function(params.iter().copied(), results.iter().copied());
        functions.function(next_type);
        next_type += 1;
        code.function(body);
        next_func += 1;
        next_func - 1
    };

    // Helper: memeq(a, b, len) -> i32 (1 when the bytes are equal).
    let memeq = {
        let mut f = Function::new([(1, ValType::I32)]);
        let (a, b, len, i) = (0, 1, 2, 3);
        f.instructions()
            .block(BlockType::Empty)
            .loop_(BlockType::Empty)
            .local_get(i)
            .local_get(len)
            .i32_ge_u()
            .br_if(1)
            .local_get(a)
            .local_get(i)
            .i32_add()
            .i32_load8_u(byte())
            .local_get(b)
            .local_get(i)
            .i32_add()
            .i32_load8_u(byte())
            .i32_ne()
            .if_(BlockType::Empty)
            .i32_const(0)
            .return_()
            .end()
            .local_get(i)
            .i32_const(1)
            .i32_add()
            .local_set(i)
            .br(0)
            .end()
            .end()
            .i32_const(1)
            .end();
        f
    };
    let needs_memeq = exports
        .iter()
        .any(|e| matches!(e.body, Body::Lookup { .. }));
    let memeq_index = needs_memeq.then(|| {
        add_func(
            &mut types,
            &mut functions,
            &mut code,
            &[ValType::I32; 3],
            &[ValType::I32],
            &memeq,
        )
    });

    for export in exports {
        let mut f = Function::new([]);
        let mut ins = f.instructions();
        match &export.body {
            Body::Static(address) => {
                ins.i32_const(*address as i32);
            }
            Body::NewResource(import) => {
                ins.i32_const(1).call(*import);
            }
            Body::Trap => {
                ins.unreachable();
            }
            Body::Lookup { entries, missing } => {
                let memeq = memeq_index.unwrap_or_default();
                for (key, key_len, record) in entries {
                    ins.local_get(1)
                        .i32_const(*key_len as i32)
                        .i32_eq()
                        .if_(BlockType::Empty)
                        .local_get(0)
                        .i32_const(*key as i32)
                        .local_get(1)
                        .call(memeq)
                        .if_(BlockType::Empty)
                        .i32_const(*record as i32)
                        .return_()
                        .end()
                        .end();
                }
                ins.i32_const(*missing as i32);
            }
        }
        ins.end();
        let index = add_func(
            &mut types,
            &mut functions,
            &mut code,
            &export.params,
            &export.results,
            &f,
        );
        export_section.export(&export.name, ExportKind::Func, index);
    }

    let data_end = data_base + data.len() as u32;
    let heap_start = (data_end + 15) & !15;
    let pages = heap_start.div_ceil(PAGE).max(1) as u64;
    let mut globals = GlobalSection::new();
    if realloc {
        // heap: the next free address.
        globals.global(
            GlobalType {
                val_type: ValType::I32,
                mutable: true,
                shared: false,
            },
            &ConstExpr::i32_const(heap_start as i32),
        );
        let mut f = Function::new([(2, ValType::I32)]);
        let (old_ptr, old_size, align, new_size, ptr, end) = (0, 1, 2, 3, 4, 5);
        f.instructions()
            // ptr = (heap + align - 1) & -align
            .global_get(0)
            .local_get(align)
            .i32_add()
            .i32_const(1)
            .i32_sub()
            .i32_const(0)
            .local_get(align)
            .i32_sub()
            .i32_and()
            .local_set(ptr)
            .local_get(ptr)
            .local_get(new_size)
            .i32_add()
            .local_set(end)
            // Grow the memory when the end passes it.
            .local_get(end)
            .memory_size(0)
            .i32_const(16)
            .i32_shl()
            .i32_gt_u()
            .if_(BlockType::Empty)
            .local_get(end)
            .memory_size(0)
            .i32_const(16)
            .i32_shl()
            .i32_sub()
            .i32_const(PAGE as i32 - 1)
            .i32_add()
            .i32_const(16)
            .i32_shr_u()
            .memory_grow(0)
            .i32_const(-1)
            .i32_eq()
            .if_(BlockType::Empty)
            .unreachable()
            .end()
            .end()
            .local_get(end)
            .global_set(0)
            // A reallocation keeps the old bytes.
            .local_get(old_ptr)
            .if_(BlockType::Empty)
            .local_get(ptr)
            .local_get(old_ptr)
            .local_get(old_size)
            .memory_copy(0, 0)
            .end()
            .local_get(ptr)
            .end();
        let index = add_func(
            &mut types,
            &mut functions,
            &mut code,
            &[ValType::I32; 4],
            &[ValType::I32],
            &f,
        );
        export_section.export("cabi_realloc", ExportKind::Func, index);
    }
    export_section.export("memory", ExportKind::Memory, 0);

    let mut memory = MemorySection::new();
    memory.memory(MemoryType {
        minimum: pages,
        maximum: None,
        memory64: false,
        shared: false,
        page_size_log2: None,
    });
    let mut data_section = DataSection::new();
    data_section.active(
        0,
        &ConstExpr::i32_const(data_base as i32),
        data.iter().copied(),
    );

    let mut module = Module::new();
    module.section(&types);
    if !imports.is_empty() {
        module.section(&import_section);
    }
    module.section(&functions);
    module.section(&memory);
    if realloc {
        module.section(&globals);
    }
    module.section(&export_section);
    module.section(&code);
    module.section(&data_section);
    module.finish()
}

fn byte() -> MemArg {
    MemArg {
        offset: 0,
        align: 0,
        memory_index: 0,
    }
}
