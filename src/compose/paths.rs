//! POSIX path helpers with Go `path/filepath` semantics (`Join` + `Clean`, `IsAbs`), plus the
//! Windows-absolute check of `cli/compose/loader/windows_path.go`, so results do not depend
//! on the machine berth runs on.

/// Go `filepath.Clean` (POSIX).
pub fn clean(path: &str) -> String {
    if path.is_empty() {
        return ".".into();
    }
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|p| *p != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            p => parts.push(p),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".into(),
        (false, false) => joined,
    }
}

/// Go `filepath.Join(dir, rel)`.
pub fn join(dir: &str, rel: &str) -> String {
    match (dir.is_empty(), rel.is_empty()) {
        (true, true) => String::new(),
        (true, false) => clean(rel),
        (false, true) => clean(dir),
        (false, false) => clean(&format!("{dir}/{rel}")),
    }
}

/// `absPath` of the loader: absolute paths are kept, others joined onto `working_dir`.
pub fn abs_path(working_dir: &str, path: &str) -> String {
    if path.starts_with('/') {
        path.to_string()
    } else {
        join(working_dir, path)
    }
}

/// `windows_path.go` `isAbs`: `C:\x`, `C:/x` or a UNC path.
pub fn is_windows_abs(path: &str) -> bool {
    let b = path.as_bytes();
    let l = volume_name_len(b);
    if l == 0 {
        return false;
    }
    match b.get(l) {
        Some(c) => *c == b'\\' || *c == b'/',
        None => false,
    }
}

fn is_slash(c: u8) -> bool {
    c == b'\\' || c == b'/'
}

fn volume_name_len(p: &[u8]) -> usize {
    if p.len() < 2 {
        return 0;
    }
    if p[1] == b':' && p[0].is_ascii_alphabetic() {
        return 2;
    }
    let l = p.len();
    if l >= 5 && is_slash(p[0]) && is_slash(p[1]) && !is_slash(p[2]) && p[2] != b'.' {
        let mut n = 3;
        while n < l - 1 {
            if is_slash(p[n]) {
                n += 1;
                if !is_slash(p[n]) {
                    if p[n] == b'.' {
                        break;
                    }
                    while n < l {
                        if is_slash(p[n]) {
                            break;
                        }
                        n += 1;
                    }
                    return n;
                }
                break;
            }
            n += 1;
        }
    }
    0
}

#[cfg(test)]
mod tests;
