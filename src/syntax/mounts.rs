//! Mount options the engine reads as words: bind propagations (`rshared`, …), shared by the
//! compose short volume syntax (`./data:/data:rslave`), its long syntax (`bind.propagation`) and
//! the service form's `--mount …,bind-propagation=rslave`.

use bollard::models::MountBindOptionsPropagationEnum;

/// The bind propagations the engine knows, as written.
pub const PROPAGATIONS: [&str; 6] = [
    "rprivate", "private", "rshared", "shared", "rslave", "slave",
];

/// A bind propagation: `None` for an empty one (the engine's default); any other word is refused
/// with the daemon's message (`mountsToGRPC`), which `docker stack deploy` shows as is.
pub fn propagation(p: &str) -> Result<Option<MountBindOptionsPropagationEnum>, String> {
    match p.parse::<MountBindOptionsPropagationEnum>() {
        Ok(MountBindOptionsPropagationEnum::EMPTY) => Ok(None),
        Ok(known) => Ok(Some(known)),
        Err(_) => Err(format!("invalid MountPropagation: \"{p}\"")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn propagations_are_the_engines_words() {
        for p in PROPAGATIONS {
            let parsed = propagation(p).expect("known").expect("set");
            assert_eq!(parsed.as_ref(), p);
        }
        assert_eq!(propagation(""), Ok(None));
        assert_eq!(
            propagation("RSLAVE"),
            Err("invalid MountPropagation: \"RSLAVE\"".into())
        );
    }
}
