//! Loading a whole set of scripts from a folder.

use super::{BOT_FILE, ScriptError, ScriptSet, is_dialog_file};
use std::path::{Path, PathBuf};

impl ScriptSet {
    /// Loads and validates every script of `dir`.
    pub fn load(dir: &Path) -> Result<ScriptSet, Vec<ScriptError>> {
        Self::load_replacing(dir, None)
    }

    /// [`ScriptSet::load`] as the set would be with the file named `replaced.0` of `dir` holding the
    /// text `replaced.1` instead of what is on disk: the web console's editor checks an edit with the
    /// very checks a reload makes, before anything is written.
    pub fn load_replacing(
        dir: &Path,
        replaced: Option<(&str, &str)>,
    ) -> Result<ScriptSet, Vec<ScriptError>> {
        let read = |file: &Path| {
            let name = file.file_name().and_then(|n| n.to_str());
            if let Some((replaced, text)) = replaced
                && name == Some(replaced)
            {
                return Ok(text.to_owned());
            }
            std::fs::read_to_string(file).map_err(|e| {
                vec![ScriptError {
                    file: file.display().to_string(),
                    line: 0,
                    problem: format!("cannot read: {e}"),
                }]
            })
        };
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| {
                vec![ScriptError {
                    file: dir.display().to_string(),
                    line: 0,
                    problem: format!("cannot read: {e}"),
                }]
            })?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect();
        files.sort();
        let bot_path = dir.join(BOT_FILE);
        let bot = read(&bot_path)?;
        let mut dialogs = Vec::new();
        for f in &files {
            let name = f.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            if !is_dialog_file(name) {
                continue;
            }
            dialogs.push((f.display().to_string(), read(f)?));
        }
        let mut set = Self::parse(&bot_path.display().to_string(), &bot, &dialogs)?;
        // The web console's texts: checked against the languages of the (valid) bot file.
        let web_path = dir.join(crate::dialog::web_texts::FILE);
        let web = read(&web_path)?;
        crate::dialog::web_texts::merge(&mut set, &web_path.display().to_string(), &web)?;
        Ok(set)
    }
}
