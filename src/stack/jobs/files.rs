//! The files uploaded with a version (secrets, configs, env files), as stored: JSON
//! `{"/name": base64}`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::compose::MemoryFiles;

pub fn encode_files(files: &MemoryFiles) -> String {
    let map: std::collections::BTreeMap<String, String> = files
        .entries()
        .map(|(p, d)| (p.to_string_lossy().into_owned(), STANDARD.encode(d)))
        .collect();
    serde_json::to_string(&map).unwrap_or_else(|_| "{}".into())
}

/// The stored files (entries that do not decode are left out).
pub fn decode_files(json: &str) -> MemoryFiles {
    let mut files = MemoryFiles::default();
    let map: std::collections::BTreeMap<String, String> =
        serde_json::from_str(json).unwrap_or_default();
    for (path, data) in map {
        if let Ok(bytes) = STANDARD.decode(data) {
            files.insert(path, bytes);
        }
    }
    files
}

/// The stored files' names as a user wrote them (without the leading `/`).
pub fn file_names(json: &str) -> Vec<String> {
    decode_files(json)
        .entries()
        .map(|(p, _)| p.to_string_lossy().trim_start_matches('/').to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_survive_storage_byte_for_byte() {
        let mut files = MemoryFiles::default();
        files.insert("/token.txt", b"s3cret\n".to_vec());
        files.insert("/bin.dat", vec![0u8, 255, 10]);
        let json = encode_files(&files);
        let back = decode_files(&json);
        assert_eq!(
            back.entries().collect::<Vec<_>>(),
            files.entries().collect::<Vec<_>>()
        );
        assert_eq!(file_names(&json), ["bin.dat", "token.txt"]);
        assert!(decode_files("not json").is_empty());
    }
}
