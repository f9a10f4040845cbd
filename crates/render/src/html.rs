//! Finishing touches on a rendered HTML page.

use std::io::{self, Write};

use memchr::memmem;
use sha2::{Digest, Sha256};

/// The token a template writes in its Content-Security-Policy where the hashes of its inline
/// scripts belong: `script-src 'srmatrix-script-hashes'`.
pub const SCRIPT_HASHES_TOKEN: &str = "'srmatrix-script-hashes'";

const OPEN: &[u8] = b"<script>";
const CLOSE: &[u8] = b"</script>";

/// The CSP sources of the inline scripts of a page written to it in pieces of any size: the
/// SHA-256 of the body of every `<script>` … `</script>` (an unclosed one counts for nothing).
/// A page written into this (see [`ScannedPage`]) and then, kept or rendered again, through
/// [`WithScriptSources`] carries a policy that allows exactly its own inline scripts.
#[derive(Default)]
pub struct ScriptSources {
    /// Bytes not yet searched to the end: a tag may continue in the next piece.
    pending: Vec<u8>,
    /// The digest of the script body being read.
    body: Option<Sha256>,
    hashes: Vec<String>,
}

impl ScriptSources {
    fn scan(&mut self) {
        loop {
            match self.body.as_mut() {
                None => match memmem::find(&self.pending, OPEN) {
                    Some(i) => {
                        self.pending.drain(..i + OPEN.len());
                        self.body = Some(Sha256::new());
                    }
                    None => {
                        let cut = self.pending.len().saturating_sub(OPEN.len() - 1);
                        self.pending.drain(..cut);
                        return;
                    }
                },
                Some(digest) => match memmem::find(&self.pending, CLOSE) {
                    Some(i) => {
                        digest.update(&self.pending[..i]);
                        if let Some(done) = self.body.take() {
                            self.hashes
                                .push(format!("'sha256-{}'", base64(&done.finalize())));
                        }
                        self.pending.drain(..i + CLOSE.len());
                    }
                    None => {
                        let cut = self.pending.len().saturating_sub(CLOSE.len() - 1);
                        digest.update(&self.pending[..cut]);
                        self.pending.drain(..cut);
                        return;
                    }
                },
            }
        }
    }

    /// What replaces [`SCRIPT_HASHES_TOKEN`]: the hash source of every script so far, or `'none'`.
    pub fn sources(&self) -> String {
        if self.hashes.is_empty() {
            "'none'".to_owned()
        } else {
            self.hashes.join(" ")
        }
    }
}

impl Write for ScriptSources {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.pending.extend_from_slice(buf);
        self.scan();
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A page written to it in pieces: the sources of its inline scripts (see [`ScriptSources`])
/// and, while the page is no larger than a limit, a copy of it, so that a page of ordinary size
/// is rendered once and a larger one is rendered again rather than held.
pub struct ScannedPage {
    scripts: ScriptSources,
    copy: Option<Vec<u8>>,
    limit: usize,
}

impl ScannedPage {
    /// Scans a page, keeping a copy of at most `limit` bytes.
    pub fn new(limit: usize) -> Self {
        ScannedPage {
            scripts: ScriptSources::default(),
            copy: Some(Vec::new()),
            limit,
        }
    }

    /// The CSP sources of the page's inline scripts (see [`ScriptSources::sources`]) and the
    /// page itself, unless it was larger than the limit.
    pub fn finish(self) -> (String, Option<Vec<u8>>) {
        (self.scripts.sources(), self.copy)
    }
}

impl Write for ScannedPage {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.scripts.write_all(buf)?;
        if let Some(copy) = &mut self.copy {
            if copy.len() + buf.len() > self.limit {
                self.copy = None;
            } else {
                copy.extend_from_slice(buf);
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Passes a page written to it in pieces on to `inner`, with every [`SCRIPT_HASHES_TOKEN`]
/// replaced by the sources; [`WithScriptSources::finish`] writes what it still holds back.
pub struct WithScriptSources<W: Write> {
    inner: W,
    sources: Vec<u8>,
    /// Bytes held back because they may begin a token.
    pending: Vec<u8>,
}

impl<W: Write> WithScriptSources<W> {
    /// Replaces the token by `sources` in what is written to `inner`.
    pub fn new(inner: W, sources: String) -> Self {
        WithScriptSources {
            inner,
            sources: sources.into_bytes(),
            pending: Vec::new(),
        }
    }

    /// Writes the bytes held back and hands `inner` back.
    pub fn finish(mut self) -> io::Result<W> {
        self.inner.write_all(&self.pending)?;
        Ok(self.inner)
    }
}

impl<W: Write> Write for WithScriptSources<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let token = SCRIPT_HASHES_TOKEN.as_bytes();
        self.pending.extend_from_slice(buf);
        loop {
            match memmem::find(&self.pending, token) {
                Some(i) => {
                    self.inner.write_all(&self.pending[..i])?;
                    self.inner.write_all(&self.sources)?;
                    self.pending.drain(..i + token.len());
                }
                None => {
                    let cut = self.pending.len().saturating_sub(token.len() - 1);
                    self.inner.write_all(&self.pending[..cut])?;
                    self.pending.drain(..cut);
                    return Ok(buf.len());
                }
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
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
    use proptest::prelude::*;

    use super::*;

    /// The page written in `cuts`-sized pieces through both writers.
    fn streamed(page: &str, cuts: &[usize]) -> String {
        let pieces = || {
            let mut rest = page.as_bytes();
            let mut out = Vec::new();
            for &n in cuts.iter().cycle().take(page.len() + 1) {
                if rest.is_empty() {
                    break;
                }
                let (piece, tail) = rest.split_at(n.clamp(1, rest.len()));
                out.push(piece);
                rest = tail;
            }
            if !rest.is_empty() {
                out.push(rest);
            }
            out
        };
        let mut scripts = ScriptSources::default();
        for piece in pieces() {
            scripts.write_all(piece).unwrap();
        }
        let mut out = WithScriptSources::new(Vec::new(), scripts.sources());
        for piece in pieces() {
            out.write_all(piece).unwrap();
        }
        String::from_utf8(out.finish().unwrap()).unwrap()
    }

    fn allow_inline_scripts(page: &str) -> String {
        streamed(page, &[page.len().max(1)])
    }

    /// The same on the whole page at once, the straightforward way.
    fn whole_page(page: &str) -> String {
        if !page.contains(SCRIPT_HASHES_TOKEN) {
            return page.to_owned();
        }
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
        let sources = if hashes.is_empty() {
            "'none'".to_owned()
        } else {
            hashes.join(" ")
        };
        page.replace(SCRIPT_HASHES_TOKEN, &sources)
    }

    proptest! {
        #[test]
        fn pieces_of_any_size_give_the_whole_page_result(
            parts in prop::collection::vec(
                prop::sample::select(vec![
                    "<script>", "</script>", "<scr", "ipt>", "</scr", "<", ">", "a", "\n",
                    "x=1;", SCRIPT_HASHES_TOKEN, "'srmatrix-", "script-hashes'", "'", "é",
                ]),
                0..40,
            ),
            cuts in prop::collection::vec(1usize..30, 1..8),
        ) {
            let page: String = parts.concat();
            prop_assert_eq!(streamed(&page, &cuts), whole_page(&page));
        }
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
