//! Authentication building blocks, independent of the web framework: password hashing,
//! random tokens, the first-run setup gate and login throttling.

pub mod password;
pub mod setup;
pub mod throttle;
pub mod tokens;

/// Shortest password accepted anywhere in berth.
pub const MIN_PASSWORD_LEN: usize = 12;
/// Longest password accepted (argon2 accepts more, but a megabyte password is an attack).
pub const MAX_PASSWORD_LEN: usize = 1024;

/// Checks a new password against the policy; the message is shown to the user.
pub fn check_new_password(
    username: &str,
    password: &str,
    confirm: &str,
) -> Result<(), &'static str> {
    let len = password.chars().count();
    if len < MIN_PASSWORD_LEN {
        return Err("The password must have at least 12 characters.");
    }
    if len > MAX_PASSWORD_LEN {
        return Err("The password is too long (at most 1024 characters).");
    }
    if password != confirm {
        return Err("The two passwords do not match.");
    }
    if password.eq_ignore_ascii_case(username) {
        return Err("The password must not be the user name.");
    }
    Ok(())
}

/// Checks a user name: 1 to 64 characters from letters, digits and `. _ @ -`.
pub fn check_username(username: &str) -> Result<(), &'static str> {
    if username.is_empty() || username.len() > 64 {
        return Err("The user name must have 1 to 64 characters.");
    }
    if !username
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '@' | '-'))
    {
        return Err("The user name may contain only letters, digits and . _ @ -");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_policy() {
        assert!(check_new_password("admin", "short", "short").is_err());
        assert!(check_new_password("admin", "long enough pw", "long enough pX").is_err());
        assert!(check_new_password("administrator", "ADMINISTRATOR", "ADMINISTRATOR").is_err());
        assert!(check_new_password("admin", "long enough pw", "long enough pw").is_ok());
    }

    #[test]
    fn username_policy() {
        assert!(check_username("admin").is_ok());
        assert!(check_username("ops.team-1@corp").is_ok());
        assert!(check_username("").is_err());
        assert!(check_username("<script>").is_err());
        assert!(check_username(&"a".repeat(65)).is_err());
    }
}
