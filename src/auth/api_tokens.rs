//! API tokens as plain data: what a token may do ([`Scope`], [`Grant`]) and the checks on what
//! a user asks for when creating one ([`NewToken::parse`]). Storage is in `db::api_tokens`,
//! the HTTP side in `web::api`.
//!
//! A token is `berth_` and 256 random bits; SQLite keeps only its sha256
//! ([`super::tokens::hash_token`]), so the database file never holds a usable token.

use super::tokens;

/// What every token starts with (secret scanners and people recognise it).
pub const PREFIX: &str = "berth_";
/// Longest token name, in bytes.
pub const MAX_NAME_LEN: usize = 64;
/// Most stacks one deploy token may name.
pub const MAX_STACKS: usize = 32;
/// Longest the `stacks` field may be, in bytes (checked before it is split).
pub const MAX_STACKS_FIELD: usize = 2048;
/// Longest lifetime, in days.
pub const MAX_EXPIRES_DAYS: i64 = 3650;
/// The lifetime when the form leaves it empty.
pub const DEFAULT_EXPIRES_DAYS: i64 = 90;
/// Longest value of an `Authorization` header berth looks at.
pub const MAX_TOKEN_LEN: usize = 128;

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Read everything, change nothing.
    Read,
    /// Everything its owner may do.
    Operate,
    /// Read, deploy and remove the named stacks (and act on their services), nothing else.
    Deploy,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Operate => "operate",
            Scope::Deploy => "deploy",
        }
    }

    pub fn parse(s: &str) -> Option<Scope> {
        Some(match s {
            "read" => Scope::Read,
            "operate" => Scope::Operate,
            "deploy" => Scope::Deploy,
            _ => return None,
        })
    }
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What one token grants: its scope and, for a deploy token, its stacks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub scope: Scope,
    pub stacks: Vec<String>,
}

impl Grant {
    /// May it change things everywhere (nodes, any service, any stack)?
    pub fn may_operate(&self) -> bool {
        self.scope == Scope::Operate
    }

    /// May it read everything (nodes, every service and stack)?
    pub fn may_read_all(&self) -> bool {
        matches!(self.scope, Scope::Read | Scope::Operate)
    }

    /// May it read `stack` (its services, tasks, jobs)?
    pub fn may_read_stack(&self, stack: &str) -> bool {
        self.may_read_all() || self.names(stack)
    }

    /// May it deploy, remove or act on the services of `stack`?
    pub fn may_change_stack(&self, stack: &str) -> bool {
        match self.scope {
            Scope::Operate => true,
            Scope::Deploy => self.names(stack),
            Scope::Read => false,
        }
    }

    fn names(&self, stack: &str) -> bool {
        self.scope == Scope::Deploy && self.stacks.iter().any(|s| s == stack)
    }
}

/// Splits a stored or typed comma-separated stack list (blanks and repeats dropped).
pub fn split_stacks(field: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in field.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        if !out.iter().any(|o| o == s) {
            out.push(s.to_string());
        }
    }
    out
}

/// A token to create, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewToken {
    pub name: String,
    pub grant: Grant,
    pub expires_days: i64,
}

impl NewToken {
    /// Checks the form's fields; the message is shown next to the form. Sizes are checked
    /// before anything is split or parsed.
    pub fn parse(
        name: &str,
        scope: &str,
        stacks: &str,
        expires_days: &str,
    ) -> Result<NewToken, String> {
        let name = name.trim();
        if name.is_empty() || name.len() > MAX_NAME_LEN {
            return Err(format!(
                "The token name must have 1 to {MAX_NAME_LEN} characters."
            ));
        }
        if name.chars().any(char::is_control) {
            return Err("The token name must not contain control characters.".into());
        }
        let scope = Scope::parse(scope.trim())
            .ok_or_else(|| "The scope must be read, operate or deploy.".to_string())?;
        if stacks.len() > MAX_STACKS_FIELD {
            return Err(format!(
                "The stack list is too long (at most {MAX_STACKS_FIELD} characters)."
            ));
        }
        let list = split_stacks(stacks);
        match scope {
            Scope::Deploy if list.is_empty() => {
                return Err("A deploy token needs at least one stack.".into());
            }
            Scope::Deploy => {
                if list.len() > MAX_STACKS {
                    return Err(format!("A deploy token names at most {MAX_STACKS} stacks."));
                }
                for s in &list {
                    crate::compose::source::stack_name_rules(s)
                        .map_err(|m| format!("Stack {s:?}: {m}"))?;
                }
            }
            _ if !list.is_empty() => {
                return Err("Only a deploy token is limited to stacks: leave the stacks empty or choose deploy.".into());
            }
            _ => {}
        }
        let days = expires_days.trim();
        let expires_days = if days.is_empty() {
            DEFAULT_EXPIRES_DAYS
        } else {
            days.parse::<i64>()
                .ok()
                .filter(|d| (1..=MAX_EXPIRES_DAYS).contains(d))
                .ok_or_else(|| {
                    format!("The expiry must be a number of days from 1 to {MAX_EXPIRES_DAYS}.")
                })?
        };
        Ok(NewToken {
            name: name.to_string(),
            grant: Grant {
                scope,
                stacks: list,
            },
            expires_days,
        })
    }
}

/// A fresh token (`berth_…`, 256 random bits).
pub fn generate() -> String {
    format!("{PREFIX}{}", tokens::random_token(32))
}

/// The token of an `Authorization` header value: `Bearer <token>`, of a plausible size and
/// shape, or `None` (then nothing is looked up).
pub fn bearer(header: &str) -> Option<&str> {
    if header.len() > MAX_TOKEN_LEN + 16 {
        return None;
    }
    let (kind, token) = header.split_once(' ')?;
    if !kind.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let token = token.trim();
    (token.starts_with(PREFIX)
        && token.len() <= MAX_TOKEN_LEN
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
    .then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deploy_token_needs_valid_stacks_and_others_take_none() {
        let t = NewToken::parse(" ci ", "deploy", "app, web ,app,", "").unwrap();
        assert_eq!(t.name, "ci");
        assert_eq!(t.grant.stacks, vec!["app", "web"]);
        assert_eq!(t.expires_days, DEFAULT_EXPIRES_DAYS);
        assert!(NewToken::parse("ci", "deploy", " , ", "5").is_err());
        assert!(NewToken::parse("ci", "deploy", "Bad Name", "5").is_err());
        assert!(NewToken::parse("ci", "read", "app", "5").is_err());
        assert!(NewToken::parse("ci", "admin", "", "5").is_err());
        assert!(NewToken::parse("", "read", "", "5").is_err());
        assert!(NewToken::parse(&"x".repeat(65), "read", "", "5").is_err());
        assert!(NewToken::parse("ci", "read", "", "0").is_err());
        assert!(NewToken::parse("ci", "read", "", "3651").is_err());
        assert!(NewToken::parse("ci", "read", "", "ten").is_err());
        assert_eq!(
            NewToken::parse("ci", "operate", "", "30")
                .unwrap()
                .expires_days,
            30
        );
        assert!(NewToken::parse("ci", "deploy", &"a,".repeat(1100), "1").is_err());
    }

    #[test]
    fn grants_follow_scope_and_stacks() {
        let deploy = Grant {
            scope: Scope::Deploy,
            stacks: vec!["a".into()],
        };
        assert!(deploy.may_change_stack("a") && deploy.may_read_stack("a"));
        assert!(!deploy.may_change_stack("b") && !deploy.may_read_stack("b"));
        assert!(!deploy.may_operate() && !deploy.may_read_all());
        let read = Grant {
            scope: Scope::Read,
            stacks: vec![],
        };
        assert!(read.may_read_stack("b") && !read.may_change_stack("b") && !read.may_operate());
        let op = Grant {
            scope: Scope::Operate,
            stacks: vec![],
        };
        assert!(op.may_change_stack("b") && op.may_operate() && op.may_read_all());
    }

    #[test]
    fn bearer_headers_are_parsed_strictly() {
        let t = generate();
        assert!(t.starts_with(PREFIX) && t.len() == PREFIX.len() + 43);
        assert_eq!(bearer(&format!("Bearer {t}")), Some(t.as_str()));
        assert_eq!(bearer(&format!("bearer {t}")), Some(t.as_str()));
        assert_eq!(bearer(&format!("Basic {t}")), None);
        assert_eq!(bearer("Bearer other"), None);
        assert_eq!(bearer(&format!("Bearer {PREFIX}a b")), None);
        assert_eq!(bearer(&format!("Bearer {}", "berth_".repeat(100))), None);
    }
}
