//! Image references (`registry/repository:tag@digest`) read by hand, to the grammar of the
//! distribution project that oci-spec implements with one large regular expression.
//! Compiling that expression took 17 MB and ~10 ms of every push and pull; this reads the
//! same language (ASCII tags only) in a few microseconds. A unit test holds the two to the
//! same answers.

use oci_client::{ParseError, Reference};

const NAME_TOTAL_LENGTH_MAX: usize = 255;
const DOCKER_HUB: &str = "docker.io";
const DOCKER_HUB_LEGACY: &str = "index.docker.io";

/// Parses a reference as `Reference::from_str` does.
pub fn parse(text: &str) -> Result<Reference, ParseError> {
    if text.is_empty() {
        return Err(ParseError::NameEmpty);
    }
    let (rest, digest) = match text.split_once('@') {
        Some((rest, digest)) => {
            if !is_digest(digest) {
                return Err(ParseError::ReferenceInvalidFormat);
            }
            (rest, Some(digest))
        }
        None => (text, None),
    };
    // A tag follows the last `:` after the last `/` (a `:` before it is a registry port).
    let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match rest[last_slash..].rfind(':') {
        Some(i) => {
            let at = last_slash + i;
            let tag = &rest[at + 1..];
            if !is_tag(tag) {
                return Err(ParseError::ReferenceInvalidFormat);
            }
            (&rest[..at], Some(tag))
        }
        None => (rest, None),
    };
    if !is_name(name) {
        return Err(ParseError::ReferenceInvalidFormat);
    }
    let (registry, repository) = split_domain(name);
    if repository.len() > NAME_TOTAL_LENGTH_MAX {
        return Err(ParseError::NameTooLong);
    }
    if let Some(digest) = digest {
        let hex_len = match digest.split_once(':') {
            Some(("sha256", hex)) => (hex.len(), 64),
            Some(("sha384", hex)) => (hex.len(), 96),
            Some(("sha512", hex)) => (hex.len(), 128),
            _ => return Err(ParseError::DigestUnsupported),
        };
        if hex_len.0 != hex_len.1 {
            return Err(ParseError::DigestInvalidLength);
        }
    }
    // No tag and no digest means `latest`, as Docker reads it.
    Ok(match (tag, digest) {
        (Some(tag), Some(digest)) => {
            Reference::with_tag_and_digest(registry, repository, tag.into(), digest.into())
        }
        (None, Some(digest)) => Reference::with_digest(registry, repository, digest.into()),
        (tag, None) => Reference::with_tag(registry, repository, tag.unwrap_or("latest").into()),
    })
}

/// `[domain "/"] path-component ("/" path-component)*`: the first segment may be a domain
/// when more follow.
fn is_name(name: &str) -> bool {
    let mut segments = name.split('/');
    let first = segments.next().unwrap_or_default();
    let more: Vec<&str> = segments.collect();
    let first_ok = is_path_component(first) || (!more.is_empty() && is_domain(first));
    first_ok && more.iter().all(|s| is_path_component(s))
}

/// `[a-z0-9]+` runs joined by `.`, `_`, `__` or any number of `-`.
fn is_path_component(s: &str) -> bool {
    let b = s.as_bytes();
    let alnum = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    if b.is_empty() || !alnum(b[0]) || !alnum(b[b.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if alnum(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && !alnum(b[i]) {
            i += 1;
        }
        let sep = &b[start..i];
        let ok = matches!(sep, b"." | b"_" | b"__") || sep.iter().all(|&c| c == b'-');
        if !ok {
            return false;
        }
    }
    true
}

/// `label ("." label)* [":" port]`, a label being letters, digits and inner `-`.
fn is_domain(s: &str) -> bool {
    let (host, port) = match s.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (s, None),
    };
    let label_ok = |l: &str| {
        let b = l.as_bytes();
        !b.is_empty()
            && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
            && b[0] != b'-'
            && b[b.len() - 1] != b'-'
    };
    host.split('.').all(label_ok)
        && port.is_none_or(|p| !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit()))
}

/// `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
fn is_tag(s: &str) -> bool {
    let b = s.as_bytes();
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    !b.is_empty()
        && b.len() <= 128
        && word(b[0])
        && b[1..].iter().all(|&c| word(c) || c == b'.' || c == b'-')
}

/// `algorithm ":" hex{32,}`, the algorithm being letter-led alphanumeric parts joined by
/// one of `-_+.`.
fn is_digest(s: &str) -> bool {
    let Some((algorithm, hex)) = s.split_once(':') else {
        return false;
    };
    let parts_ok = algorithm.split(['-', '_', '+', '.']).all(|p| {
        p.bytes().next().is_some_and(|c| c.is_ascii_alphabetic())
            && p.bytes().all(|c| c.is_ascii_alphanumeric())
    });
    parts_ok && hex.len() >= 32 && hex.bytes().all(|c| c.is_ascii_hexdigit())
}

/// Which part of a valid name is the registry, as Docker decides: a first segment with a
/// `.` or `:`, or `localhost`; else Docker Hub (with `library/` for one-segment names).
fn split_domain(name: &str) -> (String, String) {
    let (mut domain, mut remainder) = match name.split_once('/') {
        Some((left, right)) if left.contains(['.', ':']) || left == "localhost" => {
            (left.to_string(), right.to_string())
        }
        _ => (DOCKER_HUB.to_string(), name.to_string()),
    };
    if domain == DOCKER_HUB_LEGACY {
        domain = DOCKER_HUB.to_string();
    }
    if domain == DOCKER_HUB && !remainder.contains('/') {
        remainder = format!("library/{remainder}");
    }
    (domain, remainder)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agree(text: &str) {
        let ours = parse(text);
        let theirs: Result<Reference, ParseError> = text.parse();
        match (&ours, &theirs) {
            (Ok(a), Ok(b)) => {
                assert_eq!(
                    (a.registry(), a.repository(), a.tag(), a.digest()),
                    (b.registry(), b.repository(), b.tag(), b.digest()),
                    "{text:?}"
                );
            }
            (Err(_), Err(_)) => {}
            _ => panic!("{text:?}: ours {ours:?}, oci-spec {theirs:?}"),
        }
    }

    #[test]
    fn reads_what_oci_spec_reads() {
        let hex = "a".repeat(64);
        let cases = [
            "busybox".to_string(),
            "test.com:tag".into(),
            "test.com:5000".into(),
            "test.com/repo:tag".into(),
            "test:5000/repo".into(),
            "test:5000/repo:tag".into(),
            format!("test:5000/repo@sha256:{hex}"),
            format!("test:5000/repo:tag@sha256:{hex}"),
            "localhost/a/b:1.0.0".into(),
            "127.0.0.1:5000/wasm/hello:0.1.0".into(),
            "[::1]:5000/x:1".into(),
            "ghcr.io/wasmcloud/components/http-hello-world-rust:0.1.0".into(),
            "index.docker.io/foo:1".into(),
            "foo/bar:1".into(),
            "a__b/c---d/e.f_g:v1".into(),
            "a._b:1".into(),
            "a-/b".into(),
            "-a/b".into(),
            "Upper/x:1".into(),
            "Upper.com/x:1".into(),
            "host/Upper:1".into(),
            "host:port/x:1".into(),
            "host:/x".into(),
            "repo:".into(),
            "repo:-tag".into(),
            format!("repo:{}", "t".repeat(128)),
            format!("repo:{}", "t".repeat(129)),
            format!("a/{}", "b".repeat(260)),
            format!("repo@sha256:{}", "a".repeat(63)),
            format!("repo@sha512:{}", "a".repeat(128)),
            format!("repo@md5:{}", "a".repeat(32)),
            format!("repo@sha256:{}", "g".repeat(64)),
            format!("repo@sha256+b64:{hex}"),
            "repo@".into(),
            "a//b".into(),
            "/a".into(),
            "a/".into(),
            "a b".into(),
            ":tag".into(),
            "@".into(),
            "a:b:c".into(),
            "a:b/c".into(),
            "a.b.c:1/d:e".into(),
        ];
        for case in &cases {
            agree(case);
        }
        // And every string of up to 5 characters from a small alphabet that stresses the
        // separators: ~100 k comparisons.
        let alphabet = ['a', 'Z', '0', '.', '_', '-', ':', '/', '@'];
        let mut current = vec![0usize; 0];
        for len in 1..=5 {
            current.clear();
            current.resize(len, 0);
            loop {
                let s: String = current.iter().map(|&i| alphabet[i]).collect();
                agree(&s);
                let mut pos = 0;
                while pos < len {
                    current[pos] += 1;
                    if current[pos] < alphabet.len() {
                        break;
                    }
                    current[pos] = 0;
                    pos += 1;
                }
                if pos == len {
                    break;
                }
            }
        }
    }
}
