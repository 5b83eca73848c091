//! A throwaway PostgreSQL server for tests: `initdb` and `pg_ctl` from the machine's
//! PostgreSQL packages (PATH, else Debian's /usr/lib/postgresql/*/bin), run as an
//! unprivileged user in a temporary directory on a free loopback port, stopped on drop.

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct TempPostgres {
    dir: tempfile::TempDir,
    bin: PathBuf,
    user: Option<&'static str>,
    pub port: u16,
}

fn find_bin() -> Option<PathBuf> {
    if let Ok(out) = Command::new("sh")
        .args(["-c", "command -v pg_ctl"])
        .output()
        && out.status.success()
    {
        let path = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if let Some(dir) = std::fs::canonicalize(&path).ok()?.parent() {
            return Some(dir.to_path_buf());
        }
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("pg_ctl").exists())
        .collect();
    versions.sort();
    versions.pop()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl TempPostgres {
    /// Starts a server; panics with what to install when PostgreSQL is missing.
    pub fn start() -> TempPostgres {
        let bin = find_bin().unwrap_or_else(|| {
            panic!(
                "PostgreSQL is not installed: these tests need initdb and pg_ctl \
                 (Debian: apt-get install -y postgresql; .ci/run installs it)"
            )
        });
        let dir = tempfile::tempdir().unwrap();
        // PostgreSQL refuses to run as root: the data directory belongs to `postgres`.
        let user = is_root().then_some("postgres");
        if let Some(user) = user {
            let ok = Command::new("chown")
                .args(["-R", user])
                .arg(dir.path())
                .status()
                .is_ok_and(|s| s.success());
            assert!(ok, "cannot give the temporary directory to the {user} user");
        }
        let pg = TempPostgres {
            port: free_port(),
            dir,
            bin,
            user,
        };
        let data = pg.dir.path().join("data");
        pg.run(
            "initdb",
            &[
                "-D",
                data.to_str().unwrap(),
                "-U",
                "kubenudge",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
        );
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            pg.port,
            pg.dir.path().display()
        );
        pg.run(
            "pg_ctl",
            &[
                "-D",
                data.to_str().unwrap(),
                "-o",
                &options,
                "-l",
                pg.dir.path().join("log").to_str().unwrap(),
                "-w",
                "start",
            ],
        );
        pg
    }

    /// `tool` from PostgreSQL's bin directory, as the unprivileged user when there is one.
    fn command(&self, tool: &str) -> Command {
        let exe = self.bin.join(tool);
        match self.user {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(&exe);
                c
            }
            None => Command::new(&exe),
        }
    }

    fn run(&self, tool: &str, args: &[&str]) {
        let out = self
            .command(tool)
            .args(args)
            .current_dir(self.dir.path())
            .output()
            .unwrap_or_else(|e| panic!("cannot run {tool}: {e}"));
        assert!(
            out.status.success(),
            "{tool} failed: {}\n{}\nserver log: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default()
        );
    }

    /// A URL for the `postgres` database as the superuser `kubenudge`.
    pub fn url(&self) -> String {
        format!("postgres://kubenudge@127.0.0.1:{}/postgres", self.port)
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for TempPostgres {
    fn drop(&mut self) {
        let data = self.dir.path().join("data");
        let _ = self
            .command("pg_ctl")
            .args(["-D", data.to_str().unwrap_or(""), "-m", "immediate", "stop"])
            .output();
    }
}
