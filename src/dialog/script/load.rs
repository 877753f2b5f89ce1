//! Loading a whole set of scripts from a folder.

use super::{BOT_FILE, ScriptError, ScriptSet, is_dialog_file};
use std::path::{Path, PathBuf};

impl ScriptSet {
    /// Loads and validates every script of `dir`.
    pub fn load(dir: &Path) -> Result<ScriptSet, Vec<ScriptError>> {
        let io_err = |file: &Path, e: std::io::Error| {
            vec![ScriptError {
                file: file.display().to_string(),
                line: 0,
                problem: format!("cannot read: {e}"),
            }]
        };
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| io_err(dir, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect();
        files.sort();
        let bot_path = dir.join(BOT_FILE);
        let bot = std::fs::read_to_string(&bot_path).map_err(|e| io_err(&bot_path, e))?;
        let mut dialogs = Vec::new();
        for f in &files {
            let name = f.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            if !is_dialog_file(name) {
                continue;
            }
            let text = std::fs::read_to_string(f).map_err(|e| io_err(f, e))?;
            dialogs.push((f.display().to_string(), text));
        }
        let mut set = Self::parse(&bot_path.display().to_string(), &bot, &dialogs)?;
        // The web console's texts: checked against the languages of the (valid) bot file.
        let web_path = dir.join(crate::dialog::web_texts::FILE);
        let web = std::fs::read_to_string(&web_path).map_err(|e| io_err(&web_path, e))?;
        crate::dialog::web_texts::merge(&mut set, &web_path.display().to_string(), &web)?;
        Ok(set)
    }
}
