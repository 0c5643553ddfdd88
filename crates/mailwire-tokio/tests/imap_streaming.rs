//! `ImapClient` against a scripted server that checks the exact bytes: a 50 MiB `BODY[]`
//! read as it arrives, never held whole; a 20 MiB APPEND sent as it is read, never held
//! whole; MULTIAPPEND with LITERAL+; `DONE` written as soon as an IDLE stream is dropped.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

use mailwire_imap::types::{Flag, Section};
use mailwire_tokio::connect::Security;
use mailwire_tokio::imap::{Config, ImapClient};
use mailwire_tokio::{MaybeTlsStream, Tls};
use tokio::io::{
    AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader, DuplexStream,
    ReadBuf,
};

/// A stream that counts the bytes the client reads from it and writes to it.
struct Counted {
    io: DuplexStream,
    read: Arc<AtomicU64>,
    written: Arc<AtomicU64>,
}

impl AsyncRead for Counted {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.io).poll_read(cx, buf);
        let n = buf.filled().len() - before;
        self.read.fetch_add(n as u64, Ordering::SeqCst);
        polled
    }
}

impl AsyncWrite for Counted {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.io).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = polled {
            self.written.fetch_add(n as u64, Ordering::SeqCst);
        }
        polled
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

type Server = BufReader<DuplexStream>;

/// A client over a pipe whose far end the test scripts, and the counts of bytes it
/// read and wrote.
async fn scripted(capabilities: &str) -> (ImapClient<Counted>, Server, Arc<AtomicU64>) {
    let (client, server, read, _) = scripted_counting(capabilities).await;
    (client, server, read)
}

async fn scripted_counting(
    capabilities: &str,
) -> (ImapClient<Counted>, Server, Arc<AtomicU64>, Arc<AtomicU64>) {
    let (near, far) = tokio::io::duplex(64 * 1024);
    let read = Arc::new(AtomicU64::new(0));
    let written = Arc::new(AtomicU64::new(0));
    let io = Counted {
        io: near,
        read: Arc::clone(&read),
        written: Arc::clone(&written),
    };
    let mut server = BufReader::new(far);
    let greeting = format!("* OK [CAPABILITY IMAP4rev1 {capabilities}] hi\r\n");
    server.write_all(greeting.as_bytes()).await.unwrap();
    let mut config = Config::default();
    config.security = Security::Plaintext;
    let client = ImapClient::begin(MaybeTlsStream::Plain(io), &config, Tls::None)
        .await
        .unwrap();
    (client, server, read, written)
}

/// Reads one line from the client and checks it.
async fn expect(server: &mut Server, line: &str) {
    let mut got = Vec::new();
    server.read_until(b'\n', &mut got).await.unwrap();
    assert_eq!(String::from_utf8_lossy(&got), line);
}

/// The byte at `offset` of the large test body: a pattern whose period (4093, a prime)
/// matches no buffer size, so a byte lost, doubled or moved shows.
fn pattern(offset: u64) -> u8 {
    b' ' + ((offset % 4093) * 7 % 95) as u8
}

/// Writes `len` bytes of the pattern in pieces of 64 KiB.
async fn write_pattern(server: &mut Server, len: u64) {
    let mut piece = Vec::with_capacity(64 * 1024);
    let mut offset = 0;
    while offset < len {
        piece.clear();
        let n = (len - offset).min(64 * 1024);
        piece.extend((offset..offset + n).map(pattern));
        server.write_all(&piece).await.unwrap();
        offset += n;
    }
}

const BIG: u32 = 50 * 1024 * 1024;

#[tokio::test]
async fn a_50_mib_body_streams_and_is_never_held_whole() {
    let (mut imap, mut server, read) = scripted("LITERAL+").await;
    let head = format!("* 1 FETCH (UID 5 BODY[] {{{BIG}}}\r\n");
    let before = read.load(Ordering::SeqCst) + head.len() as u64;
    let script = tokio::spawn(async move {
        expect(&mut server, "A1 UID FETCH 5:6 (UID BODY.PEEK[])\r\n").await;
        server.write_all(head.as_bytes()).await.unwrap();
        write_pattern(&mut server, u64::from(BIG)).await;
        server
            .write_all(
                b" FLAGS (\\Seen))\r\n* 2 FETCH (UID 6 BODY[] {5}\r\nsmall)\r\nA1 OK done\r\n",
            )
            .await
            .unwrap();
        server
    });
    let mut messages = imap
        .uid_fetch([5, 6], mailwire_tokio::imap::Items::body())
        .unwrap();
    let first = messages.next().await.unwrap().unwrap();
    assert_eq!((first.seq, first.uid), (1, Some(5)));
    assert_eq!(first.streaming, Some((Section::full(), BIG)));
    assert_eq!(first.body(), None);
    let mut delivered = 0u64;
    let mut peak = 0u64;
    let mut buf = vec![0; 8192];
    loop {
        let n = messages.body().read(&mut buf).await.unwrap();
        if n == 0 {
            break;
        }
        for (i, b) in buf[..n].iter().enumerate() {
            assert_eq!(
                *b,
                pattern(delivered + i as u64),
                "byte {}",
                delivered + i as u64
            );
        }
        delivered += n as u64;
        // What the client read off the connection and has not handed on.
        let held = read.load(Ordering::SeqCst) - before - delivered;
        peak = peak.max(held);
    }
    assert_eq!(delivered, u64::from(BIG));
    eprintln!("FETCH of {BIG} bytes: the client held {peak} bytes at most");
    assert!(peak <= 64 * 1024, "the client held {peak} bytes at most");
    // What came after the body, as a second part of the same message.
    let tail = messages.next().await.unwrap().unwrap();
    assert_eq!((tail.seq, tail.uid), (1, Some(5)));
    assert_eq!(tail.flags, Some(vec![Flag::Seen]));
    assert_eq!((tail.sections.len(), tail.streaming), (0, None));
    let second = messages.next().await.unwrap().unwrap();
    assert_eq!((second.seq, second.uid), (2, Some(6)));
    assert_eq!(second.body(), Some(&b"small"[..]));
    assert!(messages.next().await.is_none());
    drop(messages);
    let mut server = script.await.unwrap();
    let noop = tokio::spawn(async move {
        expect(&mut server, "A2 NOOP\r\n").await;
        server.write_all(b"A2 OK done\r\n").await.unwrap();
    });
    imap.noop().await.unwrap();
    noop.await.unwrap();
}

#[tokio::test]
async fn a_body_left_unread_is_skipped_and_one_asked_for_is_kept_whole() {
    let (mut imap, mut server, _) = scripted("LITERAL+").await;
    let size: u64 = 200_000;
    let script = tokio::spawn(async move {
        expect(&mut server, "A1 FETCH 1:3 (UID BODY.PEEK[])\r\n").await;
        for (seq, uid) in [(1, 10), (2, 11)] {
            let head = format!("* {seq} FETCH (UID {uid} BODY[] {{{size}}}\r\n");
            server.write_all(head.as_bytes()).await.unwrap();
            write_pattern(&mut server, size).await;
            server.write_all(b")\r\n").await.unwrap();
        }
        server
            .write_all(b"* 3 FETCH (UID 12 BODY[] {2}\r\nhi)\r\nA1 OK done\r\n")
            .await
            .unwrap();
    });
    let mut messages = imap
        .fetch("1:3", mailwire_tokio::imap::Items::body())
        .unwrap();
    // The first body is not read: asking for the next message reads and drops it.
    let first = messages.next().await.unwrap().unwrap();
    assert_eq!(first.uid, Some(10));
    assert_eq!(messages.body().remaining(), size);
    let mut second = messages.next().await.unwrap().unwrap();
    assert_eq!(second.uid, Some(11));
    messages.buffer_body(&mut second).await.unwrap();
    let expected: Vec<u8> = (0..size).map(pattern).collect();
    assert_eq!(second.body(), Some(&expected[..]));
    assert_eq!(second.streaming, None);
    let third = messages.next().await.unwrap().unwrap();
    assert_eq!((third.uid, third.body()), (Some(12), Some(&b"hi"[..])));
    assert!(messages.next().await.is_none());
    script.await.unwrap();
}

/// The pattern as a message to APPEND, made as it is read; it notes the most bytes it
/// had handed out that the client had not yet written to the connection.
struct PatternReader {
    offset: u64,
    len: u64,
    /// Bytes the client wrote before the message's first byte.
    before: u64,
    written: Arc<AtomicU64>,
    peak: Arc<AtomicU64>,
}

impl AsyncRead for PatternReader {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let n = (self.len - self.offset).min(buf.remaining() as u64);
        let start = self.offset;
        buf.put_slice(&(start..start + n).map(pattern).collect::<Vec<u8>>());
        self.offset += n;
        let sent = self.written.load(Ordering::SeqCst) - self.before;
        self.peak.fetch_max(self.offset - sent, Ordering::SeqCst);
        Poll::Ready(Ok(()))
    }
}

/// Reads `len` bytes of the pattern from the client.
async fn read_pattern(server: &mut Server, len: u64) {
    let mut buf = vec![0; 64 * 1024];
    let mut offset = 0;
    while offset < len {
        let n = usize::try_from(len - offset).map_or(buf.len(), |left| left.min(buf.len()));
        server.read_exact(&mut buf[..n]).await.unwrap();
        for (i, b) in buf[..n].iter().enumerate() {
            assert_eq!(*b, pattern(offset + i as u64), "byte {}", offset + i as u64);
        }
        offset += n as u64;
    }
}

#[tokio::test]
async fn a_20_mib_append_is_sent_as_it_is_read() {
    const SIZE: u32 = 20 * 1024 * 1024;
    let (mut imap, mut server, _, written) = scripted_counting("MULTIAPPEND").await;
    let line = format!("A1 APPEND INBOX (\\Seen) {{{SIZE}}}\r\n");
    let before = written.load(Ordering::SeqCst) + line.len() as u64;
    let script = tokio::spawn(async move {
        expect(&mut server, &line).await;
        server.write_all(b"+ go\r\n").await.unwrap();
        read_pattern(&mut server, u64::from(SIZE)).await;
        expect(&mut server, "\r\n").await;
        server
            .write_all(b"A1 OK [APPENDUID 7 42] appended\r\n")
            .await
            .unwrap();
    });
    let peak = Arc::new(AtomicU64::new(0));
    let content = PatternReader {
        offset: 0,
        len: u64::from(SIZE),
        before,
        written: Arc::clone(&written),
        peak: Arc::clone(&peak),
    };
    let uid = imap
        .append_from("INBOX", &[Flag::Seen], content, SIZE)
        .await
        .unwrap();
    script.await.unwrap();
    assert_eq!(uid, Some(42));
    assert_eq!(written.load(Ordering::SeqCst), before + u64::from(SIZE) + 2);
    let peak = peak.load(Ordering::SeqCst);
    eprintln!("APPEND of {SIZE} bytes: the client held {peak} bytes at most");
    assert!(peak <= 64 * 1024, "the client held {peak} bytes at most");
}

#[tokio::test]
async fn multiappend_with_literal_plus_sends_every_message_at_once() {
    let (mut imap, mut server, _) = scripted("LITERAL+ MULTIAPPEND").await;
    let script = tokio::spawn(async move {
        expect(&mut server, "A1 APPEND Drafts (\\Draft) {5+}\r\n").await;
        let sent = b"one\r\n {0+}\r\n {3+}\r\ntwo";
        let mut rest = vec![0; sent.len()];
        server.read_exact(&mut rest).await.unwrap();
        assert_eq!(&rest, sent);
        expect(&mut server, "\r\n").await;
        server
            .write_all(b"A1 OK [APPENDUID 7 5:7] appended\r\n")
            .await
            .unwrap();
    });
    let mut first = mailwire_tokio::imap::NewMessage::new(&b"one\r\n"[..], 5);
    first.flags = vec![Flag::Draft];
    let empty = mailwire_tokio::imap::NewMessage::new(&b""[..], 0);
    // Only the length counts: what follows is not sent.
    let last = mailwire_tokio::imap::NewMessage::new(&b"twoXX"[..], 3);
    let uids = imap
        .append_all_from("Drafts", vec![first, empty, last])
        .await
        .unwrap();
    script.await.unwrap();
    assert_eq!(uids, [5, 6, 7]);
}

#[tokio::test]
async fn a_message_shorter_than_its_length_fails() {
    let (mut imap, mut server, _) = scripted("LITERAL+").await;
    let script = tokio::spawn(async move {
        expect(&mut server, "A1 APPEND INBOX {10+}\r\n").await;
        server
    });
    let err = imap
        .append_from("INBOX", &[], &b"short"[..], 10)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, mailwire_tokio::imap::ImapError::Content(e) if e.kind() == io::ErrorKind::UnexpectedEof),
        "{err:?}"
    );
    script.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn dropping_the_idle_stream_sends_done_at_once() {
    use std::sync::Mutex;
    use std::time::Duration;

    let (mut imap, mut server, _) = scripted("IDLE").await;
    let log = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&log);
    let (line_two, second_line) = tokio::sync::oneshot::channel::<()>();
    let script = tokio::spawn(async move {
        let mut line = String::new();
        server.read_line(&mut line).await.unwrap();
        record.lock().unwrap().push(line.clone());
        server
            .write_all(b"+ idling\r\n* 4 EXISTS\r\n")
            .await
            .unwrap();
        line.clear();
        server.read_line(&mut line).await.unwrap();
        record.lock().unwrap().push(line.clone());
        let _ = line_two.send(());
        server.write_all(b"A1 OK idle done\r\n").await.unwrap();
        line.clear();
        server.read_line(&mut line).await.unwrap();
        record.lock().unwrap().push(line.clone());
        server.write_all(b"A2 OK noop done\r\n").await.unwrap();
    });
    let mut idle = imap.idle().await.unwrap();
    assert_eq!(
        idle.next().await.unwrap().unwrap(),
        mailwire_tokio::imap::Update::Exists(4)
    );
    drop(idle);
    // No command runs: the DONE must arrive by itself. Were it held back, the server
    // would wait for ever, and the paused clock would run the minute out.
    let arrived = tokio::time::timeout(Duration::from_secs(60), second_line).await;
    assert!(arrived.is_ok(), "no DONE: {:?}", log.lock().unwrap());
    assert_eq!(*log.lock().unwrap(), ["A1 IDLE\r\n", "DONE\r\n"]);
    imap.noop().await.unwrap();
    script.await.unwrap();
    assert_eq!(
        *log.lock().unwrap(),
        ["A1 IDLE\r\n", "DONE\r\n", "A2 NOOP\r\n"]
    );
}
