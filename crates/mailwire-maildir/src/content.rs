//! A message's content as it is sent: bare LF line ends become CRLF, so that what is sent
//! is as long as the size announced.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, ReadBuf};

/// How much of the file is read at a time.
const CHUNK: usize = 16 * 1024;

/// A message's content from an offset on, with CRLF line ends: every LF not preceded by
/// a CR is sent as CRLF, and the offset counts octets of that form.
#[derive(Debug)]
pub struct MessageContent<R = tokio::fs::File> {
    inner: R,
    /// Whether bare LFs need turning into CRLF (not when the file has none).
    convert: bool,
    /// Octets of the converted content still to leave out before the offset.
    skip: u64,
    after_cr: bool,
    raw: Box<[u8]>,
    out: Vec<u8>,
    sent: usize,
    done: bool,
}

impl<R: AsyncRead + Unpin> MessageContent<R> {
    /// Reads `inner` from its start, serving the converted content from `offset` on;
    /// with `convert` false, `inner` is served as it is (it is then expected to be
    /// positioned at the offset already).
    pub(crate) fn new(inner: R, offset: u64, convert: bool) -> Self {
        Self {
            inner,
            convert,
            skip: if convert { offset } else { 0 },
            after_cr: false,
            raw: vec![0; CHUNK].into_boxed_slice(),
            out: Vec::with_capacity(CHUNK + CHUNK / 8),
            sent: 0,
            done: false,
        }
    }

    fn refill(&mut self, read: &[u8]) {
        self.out.clear();
        self.sent = 0;
        if self.convert {
            for &byte in read {
                if byte == b'\n' && !self.after_cr {
                    self.out.push(b'\r');
                }
                self.out.push(byte);
                self.after_cr = byte == b'\r';
            }
        } else {
            self.out.extend_from_slice(read);
        }
        let skipped = usize::try_from(self.skip).map_or(self.out.len(), |s| s.min(self.out.len()));
        self.sent = skipped;
        self.skip -= u64::try_from(skipped).unwrap_or(0);
    }
}

impl<R: AsyncRead + Unpin> AsyncRead for MessageContent<R> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            if this.sent < this.out.len() {
                let n = (this.out.len() - this.sent).min(buf.remaining());
                buf.put_slice(&this.out[this.sent..this.sent + n]);
                this.sent += n;
                return Poll::Ready(Ok(()));
            }
            if this.done || buf.remaining() == 0 {
                return Poll::Ready(Ok(()));
            }
            let mut raw = std::mem::take(&mut this.raw);
            let mut read = ReadBuf::new(&mut raw);
            let polled = Pin::new(&mut this.inner).poll_read(cx, &mut read);
            let filled = read.filled().len();
            let result = match polled {
                Poll::Ready(Ok(())) if filled == 0 => {
                    this.done = true;
                    Ok(())
                }
                Poll::Ready(Ok(())) => {
                    this.refill(&raw[..filled]);
                    Ok(())
                }
                Poll::Ready(Err(e)) => Err(e),
                Poll::Pending => {
                    this.raw = raw;
                    return Poll::Pending;
                }
            };
            this.raw = raw;
            ready!(Poll::Ready(result))?;
        }
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::AsyncReadExt;

    use super::*;

    async fn read(content: &[u8], offset: u64, convert: bool) -> Vec<u8> {
        let mut reader = MessageContent::new(content, offset, convert);
        let mut out = Vec::new();
        reader.read_to_end(&mut out).await.unwrap();
        out
    }

    #[tokio::test]
    async fn bare_lf_becomes_crlf_and_the_offset_counts_crlf() {
        let raw = b"a\nb\r\nc\n";
        assert_eq!(read(raw, 0, true).await, b"a\r\nb\r\nc\r\n");
        assert_eq!(read(raw, 2, true).await, b"\nb\r\nc\r\n");
        assert_eq!(read(raw, 3, true).await, b"b\r\nc\r\n");
        assert_eq!(read(raw, 9, true).await, b"");
        assert_eq!(read(raw, 99, true).await, b"");
        assert_eq!(read(raw, 0, false).await, raw);
    }

    #[tokio::test]
    async fn chunk_boundaries_keep_crlf_pairs() {
        // A CR at the end of one read and its LF at the start of the next.
        let mut raw = vec![b'x'; CHUNK - 1];
        raw.extend_from_slice(b"\r\n\n");
        let out = read(&raw, 0, true).await;
        assert_eq!(out.len(), raw.len() + 1);
        assert!(out.ends_with(b"x\r\n\r\n"));
        let tail = read(&raw, u64::try_from(CHUNK).unwrap(), true).await;
        assert_eq!(tail, b"\n\r\n");
    }
}
