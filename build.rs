//! Compiles the default dialog scripts (every `dialogs/*.toml`) into the binary, so a release binary runs
//! anywhere, with or without a `dialogs/` folder beside it. Writes `$OUT_DIR/builtin_dialogs.rs`: a list
//! of (file name, contents) that `src/dialog/source.rs` includes.

use std::path::Path;

fn main() {
    // Read when the script runs, not baked in when it is compiled: cargo may reuse a compiled build
    // script for another checkout of the same package.
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let dir = Path::new(&manifest).join("dialogs");
    // A directory here means: run again when any file in it is added, removed or changed.
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("dialogs/ is readable")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    let mut code = String::from("&[\n");
    for path in &files {
        let name = path.file_name().unwrap().to_str().expect("UTF-8 file name");
        code.push_str(&format!(
            "    ({name:?}, include_str!({:?})),\n",
            path.display().to_string()
        ));
    }
    code.push_str("]\n");
    let out = Path::new(&std::env::var("OUT_DIR").unwrap()).join("builtin_dialogs.rs");
    std::fs::write(out, code).expect("OUT_DIR is writable");
}
