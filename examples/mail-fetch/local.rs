//! Where mail-fetch puts messages: a Maildir or an mboxrd file, with LF line ends as
//! local mail tools expect, written piece by piece as each message arrives.

use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::{SystemTime, UNIX_EPOCH};

use indicatif::ProgressBar;
use tokio::io::{AsyncWrite, AsyncWriteExt as _};

const FROM: &[u8] = b"From ";

/// Where a line of the message is, for the mboxrd quoting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Prefix {
    /// At the start of a line.
    Start,
    /// After one or more `>` at the start of a line.
    Quotes,
    /// After this many bytes of `From ` (held back), following any `>`.
    From(usize),
    /// Anywhere else.
    Body,
}

/// Turns a message's CRLF line ends into LF and, for an mbox, quotes the mboxrd way
/// (a line matching `>*From ` gets one more `>`), in chunks split anywhere.
///
/// Adding the `>` before the run of `>` or after it gives the same bytes, so the run
/// passes through as it comes and only `From ` itself (five bytes) is ever held back.
#[derive(Debug)]
pub(crate) struct LocalLines {
    mboxrd: bool,
    cr: bool,
    prefix: Prefix,
    last: Option<u8>,
}

impl LocalLines {
    pub(crate) fn new(mboxrd: bool) -> Self {
        Self {
            mboxrd,
            cr: false,
            prefix: Prefix::Start,
            last: None,
        }
    }

    /// Converts the next piece of the message into `out`.
    pub(crate) fn push(&mut self, chunk: &[u8], out: &mut Vec<u8>) {
        for &b in chunk {
            if std::mem::take(&mut self.cr) {
                if b == b'\n' {
                    self.put(b'\n', out);
                    continue;
                }
                self.put(b'\r', out);
            }
            if b == b'\r' {
                self.cr = true;
            } else {
                self.put(b, out);
            }
        }
    }

    /// Writes out what was held back; for an mbox, ends the last line and adds the blank
    /// line that separates messages.
    pub(crate) fn finish(&mut self, out: &mut Vec<u8>) {
        if std::mem::take(&mut self.cr) {
            self.put(b'\r', out);
        }
        if let Prefix::From(n) = self.prefix {
            self.emit(&FROM[..n], out);
            self.prefix = Prefix::Body;
        }
        if self.mboxrd {
            if self.last.is_some_and(|b| b != b'\n') {
                self.emit(b"\n", out);
            }
            self.emit(b"\n", out);
        }
    }

    fn put(&mut self, b: u8, out: &mut Vec<u8>) {
        if !self.mboxrd {
            return self.emit(&[b], out);
        }
        match self.prefix {
            Prefix::Start | Prefix::Quotes if b == b'>' => {
                self.prefix = Prefix::Quotes;
                self.emit(&[b], out);
            }
            Prefix::Start | Prefix::Quotes if b == FROM[0] => self.prefix = Prefix::From(1),
            Prefix::From(n) if b == FROM[n] => {
                if n + 1 == FROM.len() {
                    self.emit(b">From ", out);
                    self.prefix = Prefix::Body;
                } else {
                    self.prefix = Prefix::From(n + 1);
                }
            }
            Prefix::From(n) => {
                self.emit(&FROM[..n], out);
                self.prefix = Prefix::Body;
                self.put(b, out);
            }
            _ => {
                self.emit(&[b], out);
                self.prefix = if b == b'\n' {
                    Prefix::Start
                } else {
                    Prefix::Body
                };
            }
        }
    }

    fn emit(&mut self, bytes: &[u8], out: &mut Vec<u8>) {
        out.extend_from_slice(bytes);
        if let Some(&b) = bytes.last() {
            self.last = Some(b);
        }
    }
}

/// An `AsyncWrite` that passes a message through [`LocalLines`] to a file, and counts
/// what it is given on a progress bar.
#[derive(Debug)]
pub(crate) struct Local<W> {
    inner: W,
    lines: LocalLines,
    pending: Vec<u8>,
    written: usize,
    progress: ProgressBar,
}

impl<W: AsyncWrite + Unpin> Local<W> {
    pub(crate) fn new(inner: W, mboxrd: bool, progress: ProgressBar) -> Self {
        Self {
            inner,
            lines: LocalLines::new(mboxrd),
            pending: Vec::new(),
            written: 0,
            progress,
        }
    }

    /// Converts a whole message held in memory (what the IMAP client hands over).
    pub(crate) async fn write_message(&mut self, message: &[u8]) -> io::Result<()> {
        self.write_all(message).await?;
        self.flush().await
    }

    /// Writes what [`LocalLines::finish`] adds, and returns the file.
    pub(crate) async fn finish(mut self) -> io::Result<W> {
        self.flush().await?;
        let mut tail = Vec::new();
        self.lines.finish(&mut tail);
        self.inner.write_all(&tail).await?;
        self.inner.flush().await?;
        Ok(self.inner)
    }

    fn drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.written < self.pending.len() {
            let n =
                ready!(Pin::new(&mut self.inner).poll_write(cx, &self.pending[self.written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.written += n;
        }
        self.pending.clear();
        self.written = 0;
        Poll::Ready(Ok(()))
    }
}

impl<W: AsyncWrite + Unpin> AsyncWrite for Local<W> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        ready!(self.drain(cx))?;
        let this = &mut *self;
        this.lines.push(buf, &mut this.pending);
        this.progress.inc(buf.len() as u64);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.drain(cx))?;
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.drain(cx))?;
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// A Maildir (`tmp`, `new`, `cur`): each message is written to `tmp` under a name no other
/// delivery uses, synced, then renamed into `new`, so a reader never sees half a message.
#[derive(Debug)]
pub(crate) struct Maildir {
    root: PathBuf,
    host: String,
    count: u32,
}

impl Maildir {
    /// Opens the Maildir at `root`, creating what is missing.
    pub(crate) fn open(root: &Path) -> io::Result<Self> {
        for sub in ["tmp", "new", "cur"] {
            std::fs::create_dir_all(root.join(sub))?;
        }
        let host = std::fs::read_to_string("/etc/hostname")
            .ok()
            .or_else(|| std::env::var("HOSTNAME").ok())
            .map(|h| h.trim().to_owned())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "localhost".to_owned());
        // The Maildir convention for the two characters a name cannot carry.
        let host = host.replace('/', "\\057").replace(':', "\\072");
        Ok(Self {
            root: root.to_owned(),
            host,
            count: 0,
        })
    }

    /// A new file in `tmp`: `time.MusecPpidQn.host`, unique to this process and call.
    pub(crate) async fn create(&mut self) -> io::Result<(String, tokio::fs::File)> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        self.count += 1;
        let name = format!(
            "{}.M{}P{}Q{}.{}",
            now.as_secs(),
            now.subsec_micros(),
            std::process::id(),
            self.count,
            self.host
        );
        let file = tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(self.root.join("tmp").join(&name))
            .await?;
        Ok((name, file))
    }

    /// Syncs the message and moves it from `tmp` to `new`.
    pub(crate) async fn deliver(&self, name: &str, file: tokio::fs::File) -> io::Result<()> {
        file.sync_all().await?;
        drop(file);
        tokio::fs::rename(
            self.root.join("tmp").join(name),
            self.root.join("new").join(name),
        )
        .await
    }

    /// Removes a message that could not be written whole.
    pub(crate) async fn discard(&self, name: &str) {
        // Nothing more can be done about a file that will not go; the next run retries.
        let _ = tokio::fs::remove_file(self.root.join("tmp").join(name)).await;
    }
}

/// An mboxrd file, appended to: a `From ` line, the quoted message, a blank line.
///
/// Another program must not write to it at the same time (no locking is done).
#[derive(Debug)]
pub(crate) struct Mbox {
    file: tokio::fs::File,
}

impl Mbox {
    pub(crate) async fn open(path: &Path) -> io::Result<Self> {
        let file = tokio::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(path)
            .await?;
        Ok(Self { file })
    }

    /// Starts a message; returns the length to go back to if it cannot be written whole.
    pub(crate) async fn begin(&mut self) -> io::Result<u64> {
        let start = self.file.metadata().await?.len();
        let line = format!("From MAILER-DAEMON {}\n", asctime(SystemTime::now()));
        self.file.write_all(line.as_bytes()).await?;
        Ok(start)
    }

    /// The file, to write the message into.
    pub(crate) fn file(&mut self) -> &mut tokio::fs::File {
        &mut self.file
    }

    /// Syncs a message written whole.
    pub(crate) async fn commit(&mut self) -> io::Result<()> {
        self.file.flush().await?;
        self.file.sync_data().await
    }

    /// Cuts off a message that could not be written whole.
    pub(crate) async fn roll_back(&mut self, start: u64) -> io::Result<()> {
        self.file.flush().await?;
        self.file.set_len(start).await
    }
}

/// `Mon Dec  7 19:48:01 2026` in UTC, as the `From ` line of an mbox has it.
fn asctime(time: SystemTime) -> String {
    let secs = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let days = secs / 86_400;
    let rest = secs % 86_400;
    let (year, month, day) = civil_from_days(days);
    const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{} {} {day:2} {:02}:{:02}:{:02} {year}",
        WEEKDAYS[usize::try_from(days % 7).unwrap_or(0)],
        MONTHS[usize::try_from(month - 1).unwrap_or(0)],
        rest / 3600,
        rest / 60 % 60,
        rest % 60
    )
}

/// The proleptic Gregorian date of a day counted from 1970-01-01.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    // Counted from 0000-03-01, so that the leap day ends each 400-year era's year.
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn convert(mboxrd: bool, input: &[u8], split: usize) -> Vec<u8> {
        let mut lines = LocalLines::new(mboxrd);
        let mut out = Vec::new();
        for chunk in input.chunks(split.max(1)) {
            lines.push(chunk, &mut out);
        }
        lines.finish(&mut out);
        out
    }

    const MESSAGE: &[u8] = b"From: a\r\nSubject: x\r\n\r\nFrom here\r\n>From there\r\n\
        >>From afar\r\nFrom\r\n>Fro\r\nFromage\r\nbare\rcr\r\n> From\r\nlast From line";

    #[test]
    fn mboxrd_quotes_from_lines_and_ends_with_a_blank_line_in_every_split() {
        let want: &[u8] = b"From: a\nSubject: x\n\n>From here\n>>From there\n\
            >>>From afar\nFrom\n>Fro\nFromage\nbare\rcr\n> From\nlast From line\n\n";
        for split in 1..=MESSAGE.len() {
            assert_eq!(convert(true, MESSAGE, split), want, "split {split}");
        }
    }

    #[test]
    fn maildir_gets_lf_line_ends_and_nothing_else() {
        let want: &[u8] = b"From: a\nSubject: x\n\nFrom here\n>From there\n\
            >>From afar\nFrom\n>Fro\nFromage\nbare\rcr\n> From\nlast From line";
        for split in 1..=MESSAGE.len() {
            assert_eq!(convert(false, MESSAGE, split), want, "split {split}");
        }
        assert_eq!(convert(false, b"a\r", 1), b"a\r");
        assert_eq!(convert(true, b"From", 2), b"From\n\n");
    }

    #[test]
    fn from_lines_carry_the_date_in_utc() {
        let at = |secs| asctime(UNIX_EPOCH + Duration::from_secs(secs));
        assert_eq!(at(0), "Thu Jan  1 00:00:00 1970");
        assert_eq!(at(951_782_400), "Tue Feb 29 00:00:00 2000");
        assert_eq!(at(1_796_672_881), "Mon Dec  7 19:48:01 2026");
    }
}
