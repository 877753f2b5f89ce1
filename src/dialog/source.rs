//! Where the dialog scripts come from: a folder (edited by admins, reloaded on `/reload`, SIGHUP or a
//! change when watched) or the default set compiled into the binary, used when there is no folder, so the
//! release binary runs anywhere. `queqiao dialogs export DIR` writes the compiled-in set out for editing.

use super::script::{BOT_FILE, SYNONYMS_FILE, is_dialog_file};
use super::{ScriptError, ScriptSet};
use crate::matching::Synonyms;
use std::fmt;
use std::path::{Path, PathBuf};

/// The default scripts as `dialogs/` held them at build time: (file name, contents); see `build.rs`.
pub const BUILT_IN: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/builtin_dialogs.rs"));

/// The folder used when none is named and it exists.
pub const DEFAULT_DIR: &str = "dialogs";

/// How messages about the compiled-in files name them.
const BUILT_IN_LABEL: &str = "<built-in>";

/// The scripts' origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DialogSource {
    Folder(PathBuf),
    BuiltIn,
}

impl DialogSource {
    /// The folder `dir` when one is named (a folder that is missing is then an error when loading, not
    /// a silent fall-back); otherwise `./dialogs` when it exists; otherwise the compiled-in set.
    pub fn resolve(dir: Option<&Path>) -> Self {
        match dir {
            Some(dir) => Self::Folder(dir.to_path_buf()),
            None if Path::new(DEFAULT_DIR).is_dir() => Self::Folder(DEFAULT_DIR.into()),
            None => Self::BuiltIn,
        }
    }

    /// The folder to watch for changes; the compiled-in set has none.
    pub fn folder(&self) -> Option<&Path> {
        match self {
            Self::Folder(dir) => Some(dir),
            Self::BuiltIn => None,
        }
    }

    /// Loads and validates the scripts (every problem as `FILE:LINE: problem`).
    pub fn load_scripts(&self) -> Result<ScriptSet, Vec<ScriptError>> {
        match self {
            Self::Folder(dir) => ScriptSet::load(dir),
            Self::BuiltIn => {
                let bot = built_in(BOT_FILE).unwrap_or_default();
                let dialogs: Vec<(String, String)> = BUILT_IN
                    .iter()
                    .filter(|(name, _)| is_dialog_file(name))
                    .map(|(name, text)| (label(name), (*text).to_owned()))
                    .collect();
                let mut set = ScriptSet::parse(&label(BOT_FILE), bot, &dialogs)?;
                let web_file = super::web_texts::FILE;
                let web = built_in(web_file).unwrap_or_default();
                super::web_texts::merge(&mut set, &label(web_file), web)?;
                Ok(set)
            }
        }
    }

    /// Checks the folder as it would be with its file `name` holding `text`, writing nothing: the
    /// scripts with [`ScriptSet::load_replacing`], and the synonyms when `name` is their file. Every
    /// problem is listed as `FILE:LINE: problem`; the compiled-in set cannot be edited.
    pub fn check_replacing(&self, name: &str, text: &str) -> Result<ScriptSet, Vec<ScriptError>> {
        let Self::Folder(dir) = self else {
            return Err(vec![ScriptError {
                file: BUILT_IN_LABEL.into(),
                line: 0,
                problem: "the built-in dialogs cannot be edited; export them first".into(),
            }]);
        };
        let scripts = ScriptSet::load_replacing(dir, Some((name, text)));
        let mut problems = match &scripts {
            Ok(_) => Vec::new(),
            Err(errors) => errors.clone(),
        };
        if name == SYNONYMS_FILE
            && let Err(errors) = Synonyms::parse(&dir.join(name).display().to_string(), text)
        {
            problems.extend(errors.into_iter().map(|e| ScriptError {
                file: e.file,
                line: e.line,
                problem: e.problem,
            }));
        }
        match scripts {
            Ok(set) if problems.is_empty() => Ok(set),
            _ => Err(problems),
        }
    }

    /// The lay-term list beside the scripts; `None` when the folder has none.
    pub fn load_synonyms(&self) -> Result<Option<Synonyms>, Vec<ScriptError>> {
        let parsed = match self {
            Self::Folder(dir) => {
                if !dir.is_dir() {
                    return Err(vec![ScriptError {
                        file: dir.display().to_string(),
                        line: 0,
                        problem: "no such folder".into(),
                    }]);
                }
                let path = dir.join(SYNONYMS_FILE);
                if !path.exists() {
                    return Ok(None);
                }
                Synonyms::load(&path)
            }
            Self::BuiltIn => match built_in(SYNONYMS_FILE) {
                Some(text) => Synonyms::parse(&label(SYNONYMS_FILE), text),
                None => return Ok(None),
            },
        };
        parsed.map(Some).map_err(|errors| {
            errors
                .into_iter()
                .map(|e| ScriptError {
                    file: e.file,
                    line: e.line,
                    problem: e.problem,
                })
                .collect()
        })
    }
}

impl fmt::Display for DialogSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Folder(dir) => write!(f, "{}", dir.display()),
            Self::BuiltIn => f.write_str("the built-in dialogs"),
        }
    }
}

impl From<&Path> for DialogSource {
    fn from(dir: &Path) -> Self {
        Self::Folder(dir.to_path_buf())
    }
}

impl From<PathBuf> for DialogSource {
    fn from(dir: PathBuf) -> Self {
        Self::Folder(dir)
    }
}

fn built_in(name: &str) -> Option<&'static str> {
    BUILT_IN.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

fn label(name: &str) -> String {
    format!("{BUILT_IN_LABEL}/{name}")
}

/// Why the compiled-in scripts could not be written out.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("{} already exist{}; pass --force to overwrite", list(.0), if .0.len() == 1 { "s" } else { "" })]
    Exists(Vec<PathBuf>),
    #[error("cannot write {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

fn list(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Writes the compiled-in scripts into `dir` (created when missing) and returns the files written. An
/// existing file is overwritten only with `force`; without it nothing is written when any exists.
pub fn export(dir: &Path, force: bool) -> Result<Vec<PathBuf>, ExportError> {
    let paths: Vec<PathBuf> = BUILT_IN.iter().map(|(name, _)| dir.join(name)).collect();
    let existing: Vec<PathBuf> = paths.iter().filter(|p| p.exists()).cloned().collect();
    if !force && !existing.is_empty() {
        return Err(ExportError::Exists(existing));
    }
    let io = |path: &Path| {
        let path = path.display().to_string();
        move |source| ExportError::Io { path, source }
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    for (path, (_, text)) in paths.iter().zip(BUILT_IN) {
        std::fs::write(path, text).map_err(io(path))?;
    }
    Ok(paths)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_set_is_the_shipped_folder_and_valid() {
        let mut shipped: Vec<String> = std::fs::read_dir(DEFAULT_DIR)
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.ends_with(".toml"))
            .collect();
        shipped.sort();
        let built_in: Vec<&str> = BUILT_IN.iter().map(|(n, _)| *n).collect();
        assert_eq!(built_in, shipped);
        let set = DialogSource::BuiltIn.load_scripts().unwrap();
        let folder = DialogSource::Folder(DEFAULT_DIR.into())
            .load_scripts()
            .unwrap();
        assert_eq!(set.dialogs.len(), folder.dialogs.len());
        assert_eq!(set.texts, folder.texts);
        let synonyms = DialogSource::BuiltIn.load_synonyms().unwrap().unwrap();
        assert!(synonyms.len() > 10);
    }

    #[test]
    fn a_named_folder_that_is_missing_is_an_error_not_a_fall_back() {
        let source = DialogSource::resolve(Some(Path::new("no/such/folder")));
        assert!(source.load_scripts().is_err());
        let err = source.load_synonyms().unwrap_err();
        assert_eq!(err[0].to_string(), "no/such/folder:0: no such folder");
    }

    #[test]
    fn export_refuses_to_overwrite_unless_forced() {
        let dir = std::env::temp_dir().join(format!("queqiao-export-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let written = export(&dir, false).unwrap();
        assert_eq!(written.len(), BUILT_IN.len());
        std::fs::write(dir.join(BOT_FILE), "edited").unwrap();
        let err = export(&dir, false).unwrap_err().to_string();
        assert!(err.contains("bot.toml") && err.contains("--force"), "{err}");
        assert_eq!(
            std::fs::read_to_string(dir.join(BOT_FILE)).unwrap(),
            "edited"
        );
        export(&dir, true).unwrap();
        assert!(DialogSource::Folder(dir.clone()).load_scripts().is_ok());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
