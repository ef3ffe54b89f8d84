//! Runs wadm-types' validator (the one `wash app validate` uses) on each manifest file given
//! and prints one JSON line per file: {"file", "parsed", "errors": [...], "warnings": [...]}.
//! Exits 0 when every file parsed, whatever it found: the test decides what is acceptable.

use wadm_types::validation::{validate_manifest_bytes, ValidationOutput};

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let mut all_parsed = true;
    for file in std::env::args().skip(1) {
        let bytes = std::fs::read(&file)?;
        let line = match validate_manifest_bytes(&bytes).await {
            Ok((_, failures)) => serde_json::json!({
                "file": file,
                "parsed": true,
                "errors": failures.errors().iter().map(|f| f.msg.clone()).collect::<Vec<_>>(),
                "warnings": failures.warnings().iter().map(|f| f.msg.clone()).collect::<Vec<_>>(),
            }),
            Err(e) => {
                all_parsed = false;
                serde_json::json!({"file": file, "parsed": false, "errors": [format!("{e:#}")], "warnings": []})
            }
        };
        println!("{line}");
    }
    std::process::exit(if all_parsed { 0 } else { 1 });
}
