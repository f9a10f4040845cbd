//! Finishing touches on a rendered HTML page.

use std::io::{self, Write};

use sha2::{Digest, Sha256};

/// The token a template writes in its Content-Security-Policy where the hashes of its inline
/// scripts belong: `script-src 'srmatrix-script-hashes'`.
pub const SCRIPT_HASHES_TOKEN: &str = "'srmatrix-script-hashes'";

/// Writes `page` to `w` with [`SCRIPT_HASHES_TOKEN`] replaced by the `'sha256-…'` source of
/// every inline `<script>` of the page, so the strict policy allows exactly the scripts the page
/// carries and nothing else. Without inline scripts the token becomes `'none'`.
pub fn write_allowing_inline_scripts(page: &str, w: &mut impl Write) -> io::Result<()> {
    if !page.contains(SCRIPT_HASHES_TOKEN) {
        return w.write_all(page.as_bytes());
    }
    let sources = script_sources(page);
    let mut pieces = page.split(SCRIPT_HASHES_TOKEN);
    if let Some(first) = pieces.next() {
        w.write_all(first.as_bytes())?;
    }
    for piece in pieces {
        w.write_all(sources.as_bytes())?;
        w.write_all(piece.as_bytes())?;
    }
    Ok(())
}

/// The CSP sources of the inline scripts of `page`.
fn script_sources(page: &str) -> String {
    let mut hashes = Vec::new();
    let mut rest = page;
    while let Some(start) = rest.find("<script>") {
        let body_start = start + "<script>".len();
        let Some(len) = rest[body_start..].find("</script>") else {
            break;
        };
        let body = &rest[body_start..body_start + len];
        hashes.push(format!(
            "'sha256-{}'",
            base64(&Sha256::digest(body.as_bytes()))
        ));
        rest = &rest[body_start + len..];
    }
    if hashes.is_empty() {
        "'none'".to_owned()
    } else {
        hashes.join(" ")
    }
}

/// Standard base64 with padding (RFC 4648), as CSP hash sources use.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allow_inline_scripts(page: &str) -> String {
        let mut out = Vec::new();
        write_allowing_inline_scripts(page, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        for (input, want) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(input.as_bytes()), want);
        }
    }

    #[test]
    fn inline_scripts_get_their_hash_and_nothing_else_is_allowed() {
        let page =
            "<meta content=\"script-src 'srmatrix-script-hashes'\"><script>alert(1)</script>";
        let out = allow_inline_scripts(page);
        // echo -n 'alert(1)' | openssl dgst -sha256 -binary | base64
        assert!(
            out.contains("script-src 'sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI='"),
            "{out}"
        );
        let none = allow_inline_scripts("<meta content=\"script-src 'srmatrix-script-hashes'\">");
        assert!(none.contains("script-src 'none'"));
    }
}
