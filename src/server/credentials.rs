//! The App credentials on disk: one directory (`KUBENUDGE_APP_CREDENTIALS_DIR`, default
//! `kubenudge-app` in the working directory) with the files `app-id`, `private-key.pem` and
//! `webhook-secret` — the same keys as the `kubenudge-github` Kubernetes Secret, so the
//! Secret mounted as a volume is read the same way. `/setup` writes them (mode 0600, the
//! directory 0700); `kubenudge serve` reads them when the environment does not set them.
//! Never logs a file's contents.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret, SecretString};

pub const DEFAULT_DIR: &str = "kubenudge-app";
pub const APP_ID_FILE: &str = "app-id";
pub const PRIVATE_KEY_FILE: &str = "private-key.pem";
pub const WEBHOOK_SECRET_FILE: &str = "webhook-secret";

/// The credentials directory named by the environment.
pub fn dir_from_env(var: &impl Fn(&str) -> Option<String>) -> PathBuf {
    var("KUBENUDGE_APP_CREDENTIALS_DIR")
        .filter(|v| !v.trim().is_empty())
        .map_or_else(|| PathBuf::from(DEFAULT_DIR), PathBuf::from)
}

/// True when `dir` holds an App id: `app-id` is written last, so its presence means the
/// other files are complete.
pub fn stored(dir: &Path) -> bool {
    dir.join(APP_ID_FILE).is_file()
}

/// One credential file's text, trimmed of the trailing newline editors and `kubectl` add;
/// `Ok(None)` when the file does not exist.
pub fn read(dir: &Path, file: &str) -> Result<Option<String>, String> {
    let path = dir.join(file);
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(Some(text.trim_end_matches(['\n', '\r']).to_string())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

/// Writes the three files, readable by this user only; `app-id` last.
pub fn write(
    dir: &Path,
    app_id: u64,
    private_key: &SecretString,
    webhook_secret: &SecretString,
) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    write_private(
        dir,
        PRIVATE_KEY_FILE,
        private_key.expose_secret().as_bytes(),
    )?;
    write_private(
        dir,
        WEBHOOK_SECRET_FILE,
        webhook_secret.expose_secret().as_bytes(),
    )?;
    write_private(dir, APP_ID_FILE, format!("{app_id}\n").as_bytes())
}

/// Creates the file with mode 0600 before any byte is written, then renames it into place.
fn write_private(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = dir.join(format!(".{name}.tmp"));
    let _ = std::fs::remove_file(&tmp);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&tmp, dir.join(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_files_are_private_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let creds = dir.path().join("creds");
        assert!(!stored(&creds));
        write(
            &creds,
            42,
            // A stand-in, not a key: assembled so no key marker sits in the source.
            &SecretString::from(format!(
                "-----BEGIN {kind}-----\nx\n-----END {kind}-----\n",
                kind = "RSA PRIVATE KEY"
            )),
            &SecretString::from("s3cret"),
        )
        .unwrap();
        assert!(stored(&creds));
        assert_eq!(read(&creds, APP_ID_FILE).unwrap().as_deref(), Some("42"));
        assert_eq!(
            read(&creds, WEBHOOK_SECRET_FILE).unwrap().as_deref(),
            Some("s3cret")
        );
        assert_eq!(read(&creds, "missing").unwrap(), None);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            for f in [APP_ID_FILE, PRIVATE_KEY_FILE, WEBHOOK_SECRET_FILE] {
                let mode = std::fs::metadata(creds.join(f))
                    .unwrap()
                    .permissions()
                    .mode();
                assert_eq!(mode & 0o777, 0o600, "{f}");
            }
            let mode = std::fs::metadata(&creds).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o700);
        }
    }
}
