//! Image references checked against the grammar the container runtimes use, so that a
//! template placeholder (`<image-name>`, `{{ .Values.image }}`, `$(IMAGE)`) or a mistyped
//! reference is refused at import with its file and field instead of becoming an image no
//! registry serves.
//!
//! Grammar: github.com/distribution/reference `reference.go` / `regexp.go` (the package
//! containerd and the kubelet parse references with):
//!
//! ```text
//! reference      := name [ ":" tag ] [ "@" digest ]
//! name           := [domain "/"] path-component ["/" path-component]*
//! domain         := domain-component ["." domain-component]* [":" port-number]
//! path-component := [a-z0-9]+ (separator [a-z0-9]+)*
//! separator      := [_.] | "__" | "-"+
//! tag            := [\w][\w.-]{0,127}
//! digest         := algorithm ":" hex        (algorithm [A-Za-z][A-Za-z0-9]*, hex >= 32)
//! ```
//!
//! The first component is a registry host when it has a `.` or `:` or is `localhost`
//! (`splitDockerDomain` in `normalize.go`).

/// Checks `r`; the error says what is wrong, in words for the user.
pub(crate) fn check(r: &str) -> Result<(), String> {
    if r.chars()
        .any(|c| matches!(c, '<' | '>' | '{' | '}' | '$' | '%') || c.is_whitespace())
    {
        return Err(format!(
            "'{r}' is a template placeholder, not an image reference; render the template or put the real image here"
        ));
    }
    let (rest, digest) = match r.split_once('@') {
        Some((n, d)) => (n, Some(d)),
        None => (r, None),
    };
    if let Some(d) = digest {
        check_digest(d).map_err(|why| format!("'{r}': digest {why}"))?;
    }
    // A tag follows the last ':' after the last '/' (a ':' before it is a registry port).
    let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match rest[last_slash..].rfind(':') {
        Some(i) => (&rest[..last_slash + i], Some(&rest[last_slash + i + 1..])),
        None => (rest, None),
    };
    if let Some(t) = tag {
        check_tag(t).map_err(|why| format!("'{r}': tag '{t}' {why}"))?;
    }
    if name.is_empty() {
        return Err(format!("'{r}' has no repository name"));
    }
    let mut parts: Vec<&str> = name.split('/').collect();
    if parts.len() > 1 && (parts[0].contains(['.', ':']) || parts[0] == "localhost") {
        let domain = parts.remove(0);
        check_domain(domain).map_err(|why| format!("'{r}': registry '{domain}' {why}"))?;
    }
    for p in parts {
        check_path_component(p).map_err(|why| format!("'{r}': '{p}' {why}"))?;
    }
    Ok(())
}

fn check_path_component(p: &str) -> Result<(), &'static str> {
    if p.is_empty() {
        return Err("is an empty path component");
    }
    if p.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err("has upper-case letters; repository names are lower-case");
    }
    let b = p.as_bytes();
    let alnum = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    if !alnum(b[0]) || !alnum(b[b.len() - 1]) {
        return Err("must start and end with a letter or digit");
    }
    let mut i = 0;
    while i < b.len() {
        if alnum(b[i]) {
            i += 1;
            continue;
        }
        // A separator: one '.', one '_', "__", or a run of '-'.
        let start = i;
        match b[i] {
            b'.' => i += 1,
            b'_' => {
                i += 1;
                if i < b.len() && b[i] == b'_' {
                    i += 1;
                }
            }
            b'-' => {
                while i < b.len() && b[i] == b'-' {
                    i += 1;
                }
            }
            _ => return Err("may hold only a-z, 0-9 and the separators . _ __ -"),
        }
        if i >= b.len() || !alnum(b[i]) || i == start {
            return Err("has two separators in a row");
        }
    }
    Ok(())
}

fn check_domain(d: &str) -> Result<(), &'static str> {
    let (host, port) = match d.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (d, None),
    };
    if let Some(p) = port {
        if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
            return Err("has a port that is not a number");
        }
    }
    if host.starts_with('[') && host.ends_with(']') {
        return Ok(()); // an IPv6 literal
    }
    for c in host.split('.') {
        let b = c.as_bytes();
        let ok = !b.is_empty()
            && b.iter().all(|x| x.is_ascii_alphanumeric() || *x == b'-')
            && b[0] != b'-'
            && b[b.len() - 1] != b'-';
        if !ok {
            return Err("is not a host name");
        }
    }
    Ok(())
}

fn check_tag(t: &str) -> Result<(), &'static str> {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut chars = t.chars();
    match chars.next() {
        Some(c) if word(c) => {}
        Some(_) => return Err("must start with a letter, digit or '_'"),
        None => return Err("is empty"),
    }
    if t.len() > 128 {
        return Err("is longer than 128 characters");
    }
    if !chars.all(|c| word(c) || c == '.' || c == '-') {
        return Err("may hold only letters, digits, '_', '.' and '-'");
    }
    Ok(())
}

fn check_digest(d: &str) -> Result<(), &'static str> {
    let Some((alg, hex)) = d.split_once(':') else {
        return Err("is not ALGORITHM:HEX");
    };
    let alg_ok = alg.split(['+', '.', '-', '_']).all(|c| {
        let mut ch = c.chars();
        ch.next().is_some_and(|f| f.is_ascii_alphabetic()) && ch.all(|x| x.is_ascii_alphanumeric())
    });
    if !alg_ok {
        return Err("has a malformed algorithm");
    }
    if hex.len() < 32 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err("is not a hex string of 32 or more characters");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_references_pass() {
        for r in [
            "nginx",
            "nginx:1.27",
            "library/nginx:1.27-alpine",
            "docker.io/library/redis:7.2.5",
            "mcr.microsoft.com/windows/servercore:ltsc2022",
            "mcr.microsoft.com/dotnet/framework/samples:aspnetapp",
            "localhost:5000/app:dev",
            "contoso.azurecr.io/team/app__x/web-api:v1.0_rc.1",
            "ghcr.io/a/b@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            "microsoft/iis",
            "registry.k8s.io/pause:3.10",
        ] {
            assert_eq!(check(r), Ok(()), "{r}");
        }
    }

    #[test]
    fn placeholders_and_bad_references_fail() {
        for (r, want) in [
            ("<image-name>", "placeholder"),
            ("{{ .Values.image }}", "placeholder"),
            ("$(IMAGE)", "placeholder"),
            ("${REGISTRY}/app:1", "placeholder"),
            ("MyApp:1", "upper-case"),
            ("app:", "empty"),
            ("app:-x", "must start"),
            ("app@sha256:abc", "hex"),
            ("contoso.azurecr.io//app", "empty path"),
            ("app--/x", "start and end"),
            ("a..b", "two separators"),
            ("bad_host.io:port/app", "port"),
        ] {
            let e = check(r).expect_err(r);
            assert!(e.contains(want), "{r}: {e}");
        }
    }
}
