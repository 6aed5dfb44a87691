//! The cache on disk, so a restarted application renders before the forge answers, or when
//! it never does: one JSON file per set version (a bundle entry, checksum included) under
//! `sets/`, and `index.json` mapping each `project/set@spec` the application asked for to the
//! label it last resolved to. Every file is written to a temporary name and renamed into
//! place, so a crash never leaves half a file; a file that does not read or verify is
//! reported and ignored.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anvil_core::bundle::BundleSet;

/// What was found on disk at start.
#[derive(Debug, Default)]
pub(crate) struct OnDisk {
    pub sets: Vec<BundleSet>,
    /// `project/set@spec` → label.
    pub index: BTreeMap<String, String>,
    /// Files that could not be used, with why.
    pub problems: Vec<String>,
}

fn file_name(set: &BundleSet) -> String {
    format!("{}__{}@{}.json", set.project, set.slug, set.version.label)
}

/// Writes `bytes` to `path` atomically: a temporary file beside it, then a rename.
fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

pub(crate) struct Store {
    dir: PathBuf,
    /// One save at a time: the index is read, changed and written back.
    saving: std::sync::Mutex<()>,
}

impl Store {
    pub fn new(dir: PathBuf) -> Store {
        Store {
            dir,
            saving: std::sync::Mutex::new(()),
        }
    }

    /// Reads what an earlier run left. Never fails: what cannot be read is reported.
    pub fn load(&self) -> OnDisk {
        let mut out = OnDisk::default();
        let sets_dir = self.dir.join("sets");
        if let Ok(entries) = std::fs::read_dir(&sets_dir) {
            for e in entries.flatten() {
                let path = e.path();
                if path.extension().and_then(|x| x.to_str()) != Some("json") {
                    continue;
                }
                let parsed = std::fs::read(&path)
                    .map_err(|e| e.to_string())
                    .and_then(|b| {
                        serde_json::from_slice::<BundleSet>(&b).map_err(|e| e.to_string())
                    })
                    .and_then(|s| {
                        if s.snapshot().checksum() == s.version.checksum {
                            Ok(s)
                        } else {
                            Err("its content does not match its checksum".to_string())
                        }
                    });
                match parsed {
                    Ok(s) => out.sets.push(s),
                    Err(why) => out.problems.push(format!("{}: {why}", path.display())),
                }
            }
        }
        let index = self.dir.join("index.json");
        if index.exists() {
            match std::fs::read(&index)
                .map_err(|e| e.to_string())
                .and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string()))
            {
                Ok(i) => out.index = i,
                Err(why) => out.problems.push(format!("{}: {why}", index.display())),
            }
        }
        out
    }

    /// Saves the sets of one answer and what `key` resolved to. A failure to write is
    /// returned for the caller to report; the answer is served either way.
    pub fn save(&self, key: &str, label: &str, sets: &[BundleSet]) -> std::io::Result<()> {
        let _one = self.saving.lock().unwrap_or_else(|p| p.into_inner());
        let sets_dir = self.dir.join("sets");
        std::fs::create_dir_all(&sets_dir)?;
        for s in sets {
            let path = sets_dir.join(file_name(s));
            if !path.exists() {
                write_atomic(&path, &serde_json::to_vec_pretty(s).unwrap_or_default())?;
            }
        }
        let index_path = self.dir.join("index.json");
        let mut index: BTreeMap<String, String> = std::fs::read(&index_path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        if index.get(key).map(String::as_str) != Some(label) {
            index.insert(key.to_string(), label.to_string());
            write_atomic(
                &index_path,
                &serde_json::to_vec_pretty(&index).unwrap_or_default(),
            )?;
        }
        Ok(())
    }
}
