//! Authentication building blocks, independent of the web framework: password hashing,
//! random tokens, the first-run setup gate, login throttling and one-time codes.

pub mod api_tokens;
pub mod attempt;
pub mod oidc;
pub mod password;
pub mod roles;
pub mod setup;
pub mod throttle;
pub mod tokens;
pub mod totp;

/// Shortest password accepted anywhere in berth.
pub const MIN_PASSWORD_LEN: usize = 12;
/// Longest password accepted, in characters (argon2 accepts more, but a megabyte password is
/// an attack).
pub const MAX_PASSWORD_LEN: usize = 1024;
/// Longest user name, in bytes (names are ASCII, so also characters).
pub const MAX_USERNAME_LEN: usize = 64;

/// A password's length as every check counts it: characters, at creation and at sign-in alike.
pub fn password_len(password: &str) -> usize {
    password.chars().count()
}

/// Whether a password typed at sign-in is longer than any berth accepts (then it is refused
/// before any argon2 work).
pub fn password_too_long(password: &str) -> bool {
    // a cheap bound first: a char is at most 4 bytes
    password.len() > 4 * MAX_PASSWORD_LEN || password_len(password) > MAX_PASSWORD_LEN
}

/// Whether a typed user name is longer than any account can have (refused before any work).
pub fn username_too_long(username: &str) -> bool {
    username.len() > MAX_USERNAME_LEN
}

/// Checks a new password against the policy; the message is shown to the user.
pub fn check_new_password(
    username: &str,
    password: &str,
    confirm: &str,
) -> Result<(), &'static str> {
    let len = password_len(password);
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
    if username.is_empty() || username_too_long(username) {
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
    fn password_length_is_counted_in_characters_everywhere() {
        let accented = "é".repeat(MAX_PASSWORD_LEN); // 2048 bytes, 1024 characters
        assert!(check_new_password("admin", &accented, &accented).is_ok());
        assert!(!password_too_long(&accented));
        let longer = "é".repeat(MAX_PASSWORD_LEN + 1);
        assert!(check_new_password("admin", &longer, &longer).is_err());
        assert!(password_too_long(&longer));
        assert!(password_too_long(&"a".repeat(5 * MAX_PASSWORD_LEN)));
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
