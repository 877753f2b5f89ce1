//! The dialogs folder as the editor sees it: its script files, a file's name parsed at the boundary
//! (only a `.toml` file that is in the folder, so a URL can never name a path elsewhere), and the atomic
//! write of a new text (a temporary file in the same folder, then a rename: a reader sees the old file
//! or the new one, never half of one).

use chrono::{DateTime, Utc};
use std::io::Write;
use std::path::{Path, PathBuf};

/// A script file of the folder, by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptFile {
    name: String,
    path: PathBuf,
}

/// A file of the listing: name, size in bytes, last change.
pub struct Listed {
    pub file: ScriptFile,
    pub bytes: u64,
    pub modified: Option<DateTime<Utc>>,
}

/// Whether a name can be a script file's: `NAME.toml`, NAME of letters, digits, `_` and `-`.
fn well_formed(name: &str) -> bool {
    name.strip_suffix(".toml").is_some_and(|stem| {
        !stem.is_empty()
            && stem
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    })
}

impl ScriptFile {
    /// The file `name` of `dir`, if it is a script file there.
    pub fn parse(dir: &Path, name: &str) -> Option<Self> {
        let path = dir.join(name);
        (well_formed(name) && path.is_file()).then(|| Self {
            name: name.to_owned(),
            path,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The path as the loader names it in its problems.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The text on disk now.
    pub fn read(&self) -> std::io::Result<String> {
        std::fs::read_to_string(&self.path)
    }

    /// Replaces the file with `text` atomically (same folder, so the rename cannot cross file
    /// systems); the file keeps its permissions. On failure the old file is untouched and the temporary
    /// one removed.
    pub fn write(&self, text: &str) -> std::io::Result<()> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        // Not `.toml`: neither the loader nor `--watch` looks at it while it is being written.
        let temp = dir.join(format!(
            ".{}.{}.tmp",
            self.name,
            crate::web::store::new_secret()
        ));
        let written = (|| {
            let mut f = std::fs::File::create_new(&temp)?;
            f.write_all(text.as_bytes())?;
            f.sync_all()?;
            if let Ok(meta) = std::fs::metadata(&self.path) {
                std::fs::set_permissions(&temp, meta.permissions())?;
            }
            std::fs::rename(&temp, &self.path)?;
            // The rename itself survives a crash once the folder is synced.
            if let Ok(d) = std::fs::File::open(dir) {
                let _ = d.sync_all();
            }
            Ok(())
        })();
        if written.is_err() {
            let _ = std::fs::remove_file(&temp);
        }
        written
    }
}

/// The script files of `dir`, by name.
pub fn list(dir: &Path) -> std::io::Result<Vec<Listed>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(file) = ScriptFile::parse(dir, &name) else {
            continue;
        };
        let meta = entry.metadata()?;
        files.push(Listed {
            file,
            bytes: meta.len(),
            modified: meta.modified().ok().map(DateTime::<Utc>::from),
        });
    }
    files.sort_by(|a, b| a.file.name.cmp(&b.file.name));
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_toml_files_of_the_folder_are_script_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("bot.toml"), "a").unwrap();
        std::fs::write(dir.path().join("notes.txt"), "b").unwrap();
        assert!(ScriptFile::parse(dir.path(), "bot.toml").is_some());
        for bad in [
            "notes.txt",
            "../bot.toml",
            "x/bot.toml",
            ".toml",
            "missing.toml",
            "a b.toml",
        ] {
            assert!(ScriptFile::parse(dir.path(), bad).is_none(), "{bad}");
        }
        let names: Vec<String> = list(dir.path())
            .unwrap()
            .into_iter()
            .map(|l| l.file.name)
            .collect();
        assert_eq!(names, ["bot.toml"]);
    }

    #[test]
    fn a_write_replaces_the_whole_file_and_leaves_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("bot.toml"), "old").unwrap();
        let file = ScriptFile::parse(dir.path(), "bot.toml").unwrap();
        file.write("new\n").unwrap();
        assert_eq!(file.read().unwrap(), "new\n");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
