//! How big a stack source may be, and how much it may expand to: the one place every entry
//! point (the editor, `/stacks/validate`, the preview, deploys, uploads, `berth stack deploy`,
//! the coming API) takes its limits from.
//!
//! Sizes are checked before any work ([`check_compose`], [`check_env`]; [`super::load_config`]
//! checks every file again, so no caller can skip it). What a source expands to is bounded
//! where the expansion happens: YAML aliases in the tree builder (node count with go-yaml's
//! alias ratio, and bytes), `${VAR}` in interpolation (per value and per file), and the key
//! paths the loader records for error locations (`yaml::check_paths`).

use super::ComposeError;

/// Largest compose file accepted (bytes); several files merged (`-c a -c b`) count together.
pub const MAX_COMPOSE_BYTES: usize = 1024 * 1024;
/// Most compose files one stack merges (`-c a -c b …`, from a git source).
pub const MAX_COMPOSE_FILES: usize = 8;
/// Largest env text (the variables of a stack) accepted (bytes).
pub const MAX_ENV_BYTES: usize = 256 * 1024;
/// Largest file a compose file refers to (a secret's or config's `file:`, an `env_file`)
/// accepted with an upload; Docker keeps secrets and configs under 500 KB anyway.
pub const MAX_REFERENCED_FILE: usize = 1024 * 1024;
/// Most bytes of scalar text YAML aliases may add to a document.
pub const MAX_ALIAS_BYTES: usize = 4 * 1024 * 1024;
/// Largest string one value may become once its `${VAR}`s are substituted.
pub const MAX_INTERPOLATED_VALUE: usize = 1024 * 1024;
/// Most bytes of string values a whole file may hold once interpolated.
pub const MAX_INTERPOLATED_FILE: usize = 8 * 1024 * 1024;
/// Most bytes of key paths (`services.web.deploy.replicas`, one per node) a file may have:
/// the loader records one per node for error locations.
pub const MAX_PATH_BYTES: usize = 32 * 1024 * 1024;

/// `1 MiB`, `256 KiB`, `12 bytes`.
pub fn human(bytes: usize) -> String {
    if bytes >= 1024 * 1024 && bytes.is_multiple_of(1024 * 1024) {
        format!("{} MiB", bytes / (1024 * 1024))
    } else if bytes >= 1024 && bytes.is_multiple_of(1024) {
        format!("{} KiB", bytes / 1024)
    } else {
        format!("{bytes} bytes")
    }
}

/// Refuses a compose file larger than [`MAX_COMPOSE_BYTES`]; `file` names it in the error.
pub fn check_compose(file: &str, len: usize) -> Result<(), ComposeError> {
    check(file, "compose file", len, MAX_COMPOSE_BYTES)
}

/// Refuses an env text larger than [`MAX_ENV_BYTES`].
pub fn check_env(file: &str, len: usize) -> Result<(), ComposeError> {
    check(file, "variables file", len, MAX_ENV_BYTES)
}

fn check(file: &str, what: &str, len: usize, max: usize) -> Result<(), ComposeError> {
    if len > max {
        return Err(ComposeError::new(format!(
            "the {what} is too large: {} bytes, at most {} are accepted",
            len,
            human(max)
        ))
        .in_file(file));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_over_the_limit_are_refused_with_the_limit_named() {
        assert!(check_compose("a.yml", MAX_COMPOSE_BYTES).is_ok());
        let e = check_compose("a.yml", MAX_COMPOSE_BYTES + 1).unwrap_err();
        assert_eq!(e.file.as_deref(), Some("a.yml"));
        assert!(e.message.contains("at most 1 MiB"), "{e}");
        assert!(check_env("env", MAX_ENV_BYTES).is_ok());
        let e = check_env("env", MAX_ENV_BYTES + 1).unwrap_err();
        assert!(e.message.contains("at most 256 KiB"), "{e}");
    }
}
