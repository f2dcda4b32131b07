//! `huntreg hash-secret`: hash a password or bearer token for the auth config
//! (`huntreg serve --auth-config FILE`), or generate a fresh token with its hash.
//!
//! The secret is read from standard input (first line, without its line ending) so it never
//! appears in the process list or shell history:
//!
//! ```text
//! $ printf '%s' 's3cret' | huntreg hash-secret
//! $argon2id$v=19$m=19456,t=2,p=1$...
//! $ huntreg hash-secret --generate-token
//! token: hr_...
//! token_hash: $argon2id$v=19$m=19456,t=2,p=1$...
//! ```

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use anyhow::Context as _;
use huntreg_registry::{generate_token, hash_secret};

/// Arguments of `huntreg hash-secret`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Generate a random bearer token and print it with its hash instead of reading a secret.
    #[arg(long)]
    generate_token: bool,
}

/// Runs `huntreg hash-secret`.
pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    if args.generate_token {
        let token = generate_token();
        let hash = hash_secret(&token).map_err(|e| anyhow::anyhow!("hashing: {e}"))?;
        writeln!(out, "token: {token}")?;
        writeln!(out, "token_hash: {hash}")?;
        return Ok(ExitCode::SUCCESS);
    }
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprintln!("Type the secret and press Enter (it will be echoed):");
    }
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .context("reading the secret from standard input")?;
    let secret = line.strip_suffix('\n').unwrap_or(&line);
    let secret = secret.strip_suffix('\r').unwrap_or(secret);
    if secret.is_empty() {
        anyhow::bail!("the secret is empty; pipe it on standard input, e.g. `printf '%s' \"$PW\" | huntreg hash-secret`");
    }
    let hash = hash_secret(secret).map_err(|e| anyhow::anyhow!("hashing: {e}"))?;
    writeln!(out, "{hash}")?;
    Ok(ExitCode::SUCCESS)
}
