//! Git repositories as stack sources: where a source lives ([`Repo`]: an http(s) URL, a ref,
//! the compose file path(s), an optional env file path and an optional CA certificate), every
//! field checked against its limits before any work, and [`fetch`], which asks the remote
//! which commit the ref names and, when it is new, fetches that one commit (a shallow fetch of
//! one ref over smart HTTP or HTTPS, with gix: the image has no git binary) and reads the named
//! files out of it.
//!
//! Pure of the web and of Docker: the sync ([`crate::stack::git`]) decides what to do with it.

mod fetch;
mod repo;

pub use fetch::{Commit, FetchError, Fetched, Limits, fetch, remote_head};
pub use repo::{
    GitRef, MAX_TOKEN, Repo, RepoError, check_ca, check_path, check_url, split_paths,
    token_may_go_to,
};
