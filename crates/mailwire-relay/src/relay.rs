//! Mail out: the task that takes due messages from the queue and hands them on.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt as _;
use hickory_resolver::TokioResolver;
use mailwire_server::{Client, Delivery, ShutdownSignal, Transaction};
use mailwire_smtp::client::{self, MessageFailure, RecipientDsn, Timeouts, TlsPolicy};
use mailwire_smtp::{
    AddressLiteral, Capability, Domain, ForwardPath, Host, MailParameters, Mailbox, Notify,
    RcptParameters, Reply, ReversePath,
};
use mailwire_tokio::rustls::RootCertStore;
use mailwire_tokio::smtp::{SmtpClient, SmtpError};
use mailwire_tokio::{MaybeTlsStream, Tls};
use tokio::net::TcpStream;

use crate::dsn::{Failed, Report};
use crate::entry::{Entry, Recipient, Status, one_line};
use crate::queue::Queue;
use crate::route::{NoRoute, Route, SMTP_PORT, resolve_mx};

/// How the [`Relay`] hands mail on.
///
/// ```
/// use mailwire_relay::{Config, Route};
/// use mailwire_smtp::Domain;
///
/// let mut config = Config::new(Domain::new("mx.example.org").unwrap());
/// // Two servers for example.net: the second when the first cannot take the mail now.
/// let servers = ["127.0.0.1:2526", "127.0.0.1:2527"];
/// let servers: Vec<Route> = servers.iter().map(|s| s.parse().unwrap()).collect();
/// config.routes.insert("example.net".into(), servers);
/// config.local_domains.push("example.org".into());
/// assert_eq!(config.lifetime.as_secs(), 5 * 24 * 3600);
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    /// This host's name: in EHLO, in reports.
    pub hostname: Domain,
    /// Static routes by domain (lower case): mail for these goes to the routes' servers,
    /// whatever DNS says, tried in order as MX records are.
    pub routes: HashMap<String, Vec<Route>>,
    /// Look up MX records (and A / AAAA) for domains without a static route; without it,
    /// such mail waits and then fails. On by default.
    pub dns: bool,
    /// STARTTLS towards servers found in DNS: opportunistic by default.
    pub tls: TlsPolicy,
    /// The domains this host delivers to itself (lower case). Queued recipients in one of
    /// them (and `<Postmaster>`) are handed to the local [`Delivery`] instead of a server
    /// found by route or DNS, its result for each retried, failed or delivered as a
    /// remote server's reply would be; a report for a sender in one of them is handed to
    /// it too, one for anyone else is queued.
    pub local_domains: Vec<String>,
    /// How long a message may wait for a recipient before it fails: 5 days.
    pub lifetime: Duration,
    /// The wait after the first temporary failure, doubled after each further one: 5
    /// minutes.
    pub retry_base: Duration,
    /// The longest wait between attempts: 4 hours.
    pub retry_max: Duration,
    /// How long a message waits before a recipient that asked for NOTIFY=DELAY is told
    /// it is delayed: 4 hours; `None` never tells.
    pub delay_warning: Option<Duration>,
    /// How long to wait for the server at each step (RFC 5321 §4.5.3.2).
    pub timeouts: Timeouts,
    /// How long a TCP connection may take: 60 seconds.
    pub connect_timeout: Duration,
    /// How many messages are tried at once: 8. A server that answers slowly holds up
    /// only its own messages.
    pub max_parallel: usize,
    /// The roots a server's certificate is checked against; `None` (the default) trusts
    /// the webpki roots and the platform's store (`mailwire_tokio::Tls::platform`, which
    /// honours `SSL_CERT_FILE`).
    pub tls_roots: Option<RootCertStore>,
    /// How many messages one connection carries before it is closed and another opened:
    /// 100. Messages due for the same server in one pass go over one connection, with
    /// RSET between them.
    pub max_messages_per_connection: usize,
    /// How often the running relay looks for changes another process made to the queue
    /// directory (see [`Queue::inspect`]): 5 seconds.
    pub rescan_interval: Duration,
}

impl Config {
    /// Defaults, for a host named `hostname`.
    pub fn new(hostname: Domain) -> Self {
        Self {
            hostname,
            routes: HashMap::new(),
            dns: true,
            tls: TlsPolicy::Opportunistic,
            local_domains: Vec::new(),
            lifetime: Duration::from_secs(5 * 24 * 3600),
            retry_base: Duration::from_secs(300),
            retry_max: Duration::from_secs(4 * 3600),
            delay_warning: Some(Duration::from_secs(4 * 3600)),
            timeouts: Timeouts::default(),
            connect_timeout: Duration::from_secs(60),
            max_parallel: 8,
            tls_roots: None,
            max_messages_per_connection: 100,
            rescan_interval: Duration::from_secs(5),
        }
    }

    /// The wait before the next attempt after `attempts` attempts.
    fn backoff(&self, attempts: u32) -> u64 {
        let doublings = attempts.saturating_sub(1).min(20);
        let wait = self.retry_base.saturating_mul(1 << doublings);
        wait.min(self.retry_max).as_secs().max(1)
    }
}

/// The delivery task: takes due messages from the [`Queue`], groups their recipients by
/// domain, finds each domain's server (a static route or DNS), sends with
/// [`SmtpClient`], and records each recipient's result. Temporary failures are retried
/// with backoff until [`Config::lifetime`]; permanent failures and expiry send a failure
/// report (RFC 3464) to the sender, never to the null sender, unless its NOTIFY says not
/// to.
///
/// `local` delivers to this host's own mailboxes: queued recipients of
/// [`Config::local_domains`] and the reports for senders there. Its result for each
/// recipient (from [`Transaction::commit`], or a refusal at MAIL, RCPT or DATA) counts as
/// a remote server's reply does: `2xx` delivered, `4xx` retried with backoff, `5xx`
/// failed with a report. An application that queues its local mail (so that a delivery
/// answering per recipient, such as LMTP, loses none of it when the client was given one
/// `250`) passes a `local` that delivers and never queues, or each retry queues again.
#[derive(Debug)]
pub struct Relay<L> {
    queue: Queue,
    config: Config,
    local: Arc<L>,
    resolver: OnceLock<Result<TokioResolver, String>>,
    /// The messages being tried now: a second `deliver_due` running at the same time
    /// leaves them alone rather than sending them twice.
    busy: Mutex<HashSet<String>>,
}

/// What became of one recipient in one attempt.
#[derive(Debug, Clone)]
enum Outcome {
    Delivered {
        /// The server that took it; `None` for the local delivery.
        remote: Option<String>,
        /// The server offers no DSN: NOTIFY=SUCCESS stops here and is answered here.
        relayed: bool,
    },
    Failed {
        remote: Option<String>,
        status: String,
        diagnostic: Option<String>,
        reason: String,
        permanent: bool,
    },
}

impl Outcome {
    fn from_reply(remote: &str, reply: &Reply, relayed: bool) -> Self {
        if reply.code().is_success() {
            return Self::Delivered {
                remote: Some(remote.to_owned()),
                relayed,
            };
        }
        let text = one_line(&reply.to_string());
        let class = reply.code().class();
        let status = match reply.enhanced() {
            Some(e) => e.to_string(),
            None => format!("{class}.0.0"),
        };
        Self::Failed {
            remote: Some(remote.to_owned()),
            status,
            diagnostic: Some(text.clone()),
            reason: text,
            permanent: class == 5,
        }
    }

    /// The local delivery's answer for one recipient.
    fn from_local(result: Result<(), &Reply>) -> Self {
        let Err(reply) = result else {
            return Self::Delivered {
                remote: None,
                relayed: false,
            };
        };
        match Self::from_reply("", reply, false) {
            Self::Failed {
                status,
                diagnostic,
                reason,
                permanent,
                ..
            } => Self::Failed {
                remote: None,
                status,
                diagnostic,
                reason,
                permanent,
            },
            delivered => delivered,
        }
    }

    fn local(status: &str, reason: String, permanent: bool) -> Self {
        Self::Failed {
            remote: None,
            status: status.to_owned(),
            diagnostic: None,
            reason,
            permanent,
        }
    }
}

impl<L: Delivery> Relay<L> {
    /// A relay emptying `queue` as `config` says; reports to local senders go to `local`.
    pub fn new(queue: Queue, config: Config, local: Arc<L>) -> Self {
        Self {
            queue,
            config,
            local,
            resolver: OnceLock::new(),
            busy: Mutex::default(),
        }
    }

    /// The queue.
    pub fn queue(&self) -> &Queue {
        &self.queue
    }

    /// Delivers until `shutdown`: each message when it is due, at once when one is queued
    /// or flushed, and within [`Config::rescan_interval`] when another process flushed
    /// or deleted one. An attempt under way when shutdown comes is finished first.
    pub async fn run(&self, shutdown: ShutdownSignal) {
        let rescan = self.config.rescan_interval.max(Duration::from_millis(10));
        loop {
            self.deliver_due().await;
            let now = self.queue.clock().now();
            let wait = self
                .queue
                .next_due()
                .map_or(3600, |t| t.saturating_sub(now).max(1));
            tokio::select! {
                () = shutdown.requested() => return,
                () = self.queue.woken() => {}
                () = tokio::time::sleep(Duration::from_secs(wait).min(rescan)) => {}
            }
            if let Err(error) = self.queue.rescan().await {
                tracing::error!(%error, "cannot read the queue directory again");
            }
        }
    }

    /// Makes one attempt for every recipient due now, [`Config::max_parallel`] messages
    /// at a time, and returns how many messages were tried.
    pub async fn deliver_due(&self) -> usize {
        let now = self.queue.clock().now();
        let due: Vec<Entry> = {
            let mut busy = self.busy();
            let due = self.queue.due(now).into_iter();
            due.filter(|e| busy.insert(e.id.clone())).collect()
        };
        let count = due.len();
        let connections = &Connections::default();
        futures_util::stream::iter(due)
            .for_each_concurrent(self.config.max_parallel.max(1), |entry| async move {
                let id = entry.id.clone();
                self.attempt(connections, entry, now).await;
                self.busy().remove(&id);
            })
            .await;
        connections.close().await;
        count
    }

    fn busy(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        // Nothing panics while the set is locked; a poisoned set is still right.
        self.busy.lock().unwrap_or_else(PoisonError::into_inner)
    }

    async fn attempt(&self, connections: &Connections, mut entry: Entry, now: u64) {
        let mut by_domain: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (i, r) in entry.recipients.iter().enumerate() {
            if r.status == Status::Pending && r.next_attempt <= now {
                by_domain.entry(domain_of(&r.path)).or_default().push(i);
            }
        }
        // Each domain's results are on disk before the next domain is tried: a crash
        // then repeats as little as possible.
        for (domain, indices) in by_domain {
            let outcomes = if self.is_local_domain(&domain) {
                self.deliver_here(&entry, &indices).await
            } else {
                self.send_to_domain(connections, &domain, &entry, &indices)
                    .await
            };
            let mut failed = Vec::new();
            for (&i, outcome) in indices.iter().zip(outcomes) {
                let r = &mut entry.recipients[i];
                r.attempts += 1;
                if let Some(f) = self.record(&entry.id, entry.arrival, r, outcome, now) {
                    failed.push(f);
                }
            }
            // The report goes before the state that says it is due is recorded: a crash
            // between the two repeats the report rather than losing it.
            if !failed.is_empty() {
                self.report(&entry, &failed, now).await;
            }
            if let Err(error) = self.queue.update(entry.clone()).await {
                tracing::error!(id = %entry.id, %error, "cannot record the delivery state");
            }
        }
    }

    /// Applies one outcome to a recipient; the report entry if it failed for good and
    /// wants a report.
    fn record(
        &self,
        id: &str,
        arrival: u64,
        r: &mut Recipient,
        outcome: Outcome,
        now: u64,
    ) -> Option<Failed> {
        match outcome {
            Outcome::Delivered { remote, relayed } => {
                let to = remote.as_deref().unwrap_or("local delivery");
                tracing::info!(%id, recipient = %r.path, remote = %to, attempts = r.attempts, "delivered");
                let local = remote.is_none();
                r.status = Status::Delivered;
                r.remote = remote.or(r.remote.take());
                // NOTIFY=SUCCESS is answered where it stops: at the local delivery, which
                // is final (RFC 3461 §6.2.1), and at a server without DSN, which takes
                // over no NOTIFY (§6.2.2); a server with DSN answers it itself.
                let (action, reason) = if local {
                    ("delivered", "delivered to the mailbox")
                } else if relayed {
                    (
                        "relayed",
                        "relayed to a server that sends no delivery notifications",
                    )
                } else {
                    return None;
                };
                r.notify.is_some_and(|n| n.success).then(|| Failed {
                    recipient: r.clone(),
                    action,
                    retry_until: None,
                    status: "2.0.0".to_owned(),
                    diagnostic: None,
                    reason: reason.to_owned(),
                    last_attempt: now,
                })
            }
            Outcome::Failed {
                remote,
                status,
                diagnostic,
                reason,
                permanent,
            } => {
                r.remote = remote.or(r.remote.take());
                r.last_error = Some(reason.clone());
                let expired =
                    !permanent && now >= arrival.saturating_add(self.config.lifetime.as_secs());
                if !permanent && !expired {
                    r.next_attempt = now.saturating_add(self.config.backoff(r.attempts));
                    tracing::info!(%id, recipient = %r.path, %reason, attempts = r.attempts, next_attempt = r.next_attempt, "deferred");
                    // NOTIFY=DELAY, asked for explicitly, is answered once, after
                    // `delay_warning`.
                    let warn = self
                        .config
                        .delay_warning
                        .is_some_and(|after| now >= arrival.saturating_add(after.as_secs()));
                    if warn && !r.delay_reported && r.notify.is_some_and(|n| n.delay) {
                        r.delay_reported = true;
                        return Some(Failed {
                            recipient: r.clone(),
                            action: "delayed",
                            retry_until: Some(
                                arrival.saturating_add(self.config.lifetime.as_secs()),
                            ),
                            status,
                            diagnostic,
                            reason,
                            last_attempt: now,
                        });
                    }
                    return None;
                }
                r.status = Status::Failed;
                let (status, reason) = if expired {
                    (
                        "4.4.7".to_owned(),
                        format!("delivery time expired; last error: {reason}"),
                    )
                } else {
                    (status, reason)
                };
                tracing::info!(%id, recipient = %r.path, %reason, attempts = r.attempts, "failed");
                r.wants_failure_report().then(|| Failed {
                    recipient: r.clone(),
                    action: "failed",
                    retry_until: None,
                    status,
                    diagnostic,
                    reason,
                    last_attempt: now,
                })
            }
        }
    }

    /// The recipients at `indices`, all at `domain`, to the first of the domain's
    /// servers that takes the message: a server that cannot be reached, or that answers
    /// the greeting, EHLO or MAIL with a temporary failure, passes the message on to the
    /// next (RFC 5321 §5.1, §4.5.4.1) before the recipients are deferred.
    async fn send_to_domain(
        &self,
        connections: &Connections,
        domain: &str,
        entry: &Entry,
        indices: &[usize],
    ) -> Vec<Outcome> {
        let all = |outcome: Outcome| vec![outcome; indices.len()];
        let routes = match self.routes(domain).await {
            Ok(routes) => routes,
            Err(NoRoute::Permanent(status, reason)) => {
                tracing::info!(id = %entry.id, %domain, result = %reason, "delivery attempt");
                return all(Outcome::local(status, reason, true));
            }
            Err(NoRoute::Temporary(status, reason)) => {
                tracing::info!(id = %entry.id, %domain, result = %reason, "delivery attempt");
                return all(Outcome::local(status, reason, false));
            }
        };
        let mut last = all(Outcome::local(
            "4.4.1",
            format!("no server for {domain}"),
            false,
        ));
        for route in routes {
            let name = format!("{}:{}", route.host, route.port);
            let slot = connections.slot(&route);
            let mut slot = slot.lock().await;
            let reused = match std::mem::take(&mut *slot) {
                Slot::Down(reason) => {
                    // Found unreachable earlier in this pass: not asked again.
                    tracing::info!(id = %entry.id, %domain, host = %name, result = %reason, "delivery attempt");
                    last = all(Outcome::local("4.4.1", reason.clone(), false));
                    *slot = Slot::Down(reason);
                    continue;
                }
                Slot::Open { mut smtp, sent } if sent < self.max_per_connection() => {
                    // RSET also finds a connection the server closed since its last
                    // message; another is opened then.
                    smtp.reset().await.is_ok().then_some((smtp, sent))
                }
                Slot::Open { smtp, .. } => {
                    // The message count reached: the next message opens another.
                    let _ = smtp.quit().await;
                    None
                }
                Slot::Empty => None,
            };
            let (mut smtp, sent) = match reused {
                Some(reused) => reused,
                None => match self.open(&route, &entry.id).await {
                    Ok(smtp) => (smtp, 0),
                    Err(reason) => {
                        tracing::info!(id = %entry.id, %domain, host = %name, result = %reason, "delivery attempt");
                        last = all(Outcome::local("4.4.1", reason.clone(), false));
                        *slot = Slot::Down(reason);
                        continue;
                    }
                },
            };
            let sent_now = self.send(&mut smtp, &route.host, entry, indices).await;
            tracing::info!(id = %entry.id, %domain, host = %name, result = %sent_now.summary, "delivery attempt");
            if sent_now.usable {
                *slot = Slot::Open {
                    smtp,
                    sent: sent + 1,
                };
            }
            if !sent_now.next_server {
                return sent_now.outcomes;
            }
            last = sent_now.outcomes;
        }
        last
    }

    fn max_per_connection(&self) -> usize {
        self.config.max_messages_per_connection.max(1)
    }

    async fn routes(&self, domain: &str) -> Result<Vec<Route>, NoRoute> {
        if domain.is_empty() {
            return Err(NoRoute::Permanent(
                "5.1.3",
                "no domain to deliver to".to_owned(),
            ));
        }
        if let Some(routes) = self.config.routes.get(domain)
            && !routes.is_empty()
        {
            return Ok(routes.clone());
        }
        if let Some(address) = domain.strip_prefix('[').and_then(|d| d.strip_suffix(']')) {
            let address = address.strip_prefix("IPv6:").unwrap_or(address);
            return Ok(vec![Route {
                tls: self.config.tls,
                ..Route::new(address, SMTP_PORT)
            }]);
        }
        if !self.config.dns {
            return Err(NoRoute::Temporary("4.4.4", format!("no route to {domain}")));
        }
        let resolver = self.resolver.get_or_init(|| {
            TokioResolver::builder_tokio()
                .and_then(|b| b.build())
                .map_err(|e| e.to_string())
        });
        match resolver {
            Ok(resolver) => resolve_mx(resolver, domain, self.config.tls).await,
            Err(e) => Err(NoRoute::Temporary("4.4.3", format!("no DNS resolver: {e}"))),
        }
    }

    /// A connection to `route`'s server, ready for mail: each of the host's addresses in
    /// turn until one answers the greeting and EHLO; why none did, if none did.
    async fn open(&self, route: &Route, id: &str) -> Result<Box<SmtpClient<TcpStream>>, String> {
        let name = format!("{}:{}", route.host, route.port);
        let lookup = tokio::net::lookup_host((route.host.as_str(), route.port));
        let addresses: Vec<SocketAddr> =
            match tokio::time::timeout(self.config.connect_timeout, lookup).await {
                Ok(Ok(addresses)) => addresses.collect(),
                Ok(Err(error)) => return Err(format!("cannot resolve {name}: {error}")),
                Err(_) => return Err(format!("cannot resolve {name}: timed out")),
            };
        let mut last = format!("cannot resolve {name}: no address");
        for address in addresses {
            let error = match self.connect(route, address).await {
                Ok(smtp) => return Ok(Box::new(smtp)),
                Err(error) if route.tls == TlsPolicy::Opportunistic && tls_failed(&error) => {
                    // Opportunistic TLS may fall back to plaintext (RFC 7435 §1.3): a
                    // server whose certificate cannot be checked still gets its mail.
                    tracing::info!(%id, server = %name, %address, %error, "STARTTLS failed, trying without TLS");
                    let plain = Route {
                        tls: TlsPolicy::Never,
                        ..route.clone()
                    };
                    match self.connect(&plain, address).await {
                        Ok(smtp) => return Ok(Box::new(smtp)),
                        Err(error) => error,
                    }
                }
                Err(error) => error,
            };
            tracing::info!(%id, server = %name, %address, %error, "cannot connect");
            last = if address.ip().to_string() == route.host {
                format!("cannot deliver through {name}: {error}")
            } else {
                format!("cannot deliver through {name} ({address}): {error}")
            };
        }
        Err(last)
    }

    async fn connect(
        &self,
        route: &Route,
        address: SocketAddr,
    ) -> Result<SmtpClient<TcpStream>, SmtpError> {
        let connect = TcpStream::connect(address);
        let tcp = tokio::time::timeout(self.config.connect_timeout, connect)
            .await
            .map_err(|_| {
                SmtpError::Connect(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "connecting timed out",
                ))
            })?
            .map_err(SmtpError::Connect)?;
        let tls = match route.tls {
            TlsPolicy::Never => Tls::None,
            // A name no certificate could carry leaves only plaintext, which an
            // opportunistic route accepts and a required one refuses.
            _ => match &self.config.tls_roots {
                Some(roots) => Tls::client_with_roots(&route.host, roots.clone()),
                None => Tls::platform(&route.host),
            }
            .unwrap_or(Tls::None),
        };
        let mut config = client::Config::new(Host::from(self.config.hostname.clone()));
        config.tls = route.tls;
        config.timeouts = self.config.timeouts;
        SmtpClient::start(MaybeTlsStream::Plain(tcp), config, tls).await
    }

    /// One transaction over `smtp` for the recipients at `indices`.
    async fn send(
        &self,
        smtp: &mut SmtpClient<TcpStream>,
        remote: &str,
        entry: &Entry,
        indices: &[usize],
    ) -> Sent {
        let all = |outcome: Outcome| vec![outcome; indices.len()];
        let recipients = indices.iter().map(|&i| &entry.recipients[i]);
        let mut envelope = client::Envelope::new(
            entry.from.clone(),
            recipients.clone().map(|r| r.path.clone()).collect(),
        );
        envelope.body = entry.body;
        envelope.utf8_headers = entry.smtputf8;
        envelope.dsn.ret = entry.ret;
        envelope.dsn.envid.clone_from(&entry.envid);
        envelope.dsn.recipients = recipients
            .map(|r| RecipientDsn::new(r.notify, r.orcpt.clone()))
            .collect();
        let path = self.queue.content_path(&entry.id);
        let file = match tokio::fs::File::open(&path).await {
            Ok(file) => file,
            Err(error) => {
                tracing::error!(id = %entry.id, %error, "cannot read the queued message");
                let reason = format!("cannot read the queued message: {error}");
                return Sent {
                    summary: reason.clone(),
                    outcomes: all(Outcome::local("4.3.0", reason, false)),
                    usable: true,
                    next_server: false,
                };
            }
        };
        envelope.size = file.metadata().await.ok().map(|m| m.len());
        let relayed = !smtp.capabilities().is_some_and(|c| c.has(&Capability::Dsn));
        let result = smtp.send_raw(envelope, file).await;
        let usable = result
            .as_ref()
            .map_or_else(SmtpError::connection_usable, |_| true);
        let mut next_server = false;
        let summary = match &result {
            Ok(results) => {
                let accepted = results.iter().filter(|r| r.reply.code().is_success());
                format!(
                    "{} of {} recipient(s) accepted",
                    accepted.count(),
                    results.len()
                )
            }
            Err(SmtpError::Message(MessageFailure::MailRejected { reply })) => {
                next_server = reply.code().class() == 4;
                format!("MAIL refused: {}", one_line(&reply.to_string()))
            }
            Err(error) => error.to_string(),
        };
        let outcomes = match result {
            Ok(results) => results
                .iter()
                .map(|r| Outcome::from_reply(remote, &r.reply, relayed))
                .collect(),
            Err(SmtpError::Message(MessageFailure::MailRejected { reply })) => {
                all(Outcome::from_reply(remote, &reply, relayed))
            }
            Err(SmtpError::Message(failure)) => {
                let status = match failure {
                    MessageFailure::TooBig { .. } => "5.3.4",
                    MessageFailure::Utf8Unsupported => "5.6.7",
                    MessageFailure::RequireTlsUnsupported => "5.7.30",
                    _ => "5.6.3",
                };
                all(Outcome::Failed {
                    remote: Some(remote.to_owned()),
                    status: status.to_owned(),
                    diagnostic: None,
                    reason: format!("{remote} cannot take the message: {failure}"),
                    permanent: true,
                })
            }
            Err(error) => all(Outcome::Failed {
                remote: Some(remote.to_owned()),
                status: "4.4.2".to_owned(),
                diagnostic: None,
                reason: format!("{remote}: {error}"),
                permanent: false,
            }),
        };
        Sent {
            outcomes,
            summary,
            usable,
            next_server,
        }
    }

    /// Sends the report on `failed` (failed or relayed recipients) to the sender of
    /// `entry`.
    async fn report(&self, entry: &Entry, failed: &[Failed], now: u64) {
        let Some(sender) = entry.from.mailbox() else {
            return;
        };
        let content = match tokio::fs::read(self.queue.content_path(&entry.id)).await {
            Ok(content) => content,
            Err(error) => {
                tracing::error!(id = %entry.id, %error, "cannot read the message to report on");
                Vec::new()
            }
        };
        let id = self.queue.new_id();
        let report = Report {
            hostname: self.config.hostname.as_str(),
            id: &id,
            now,
            entry,
            failed,
        };
        let message = report.to_message(&content);
        tracing::info!(id = %entry.id, report = %id, to = %sender, "delivery status notification");
        if self.is_local(sender) {
            match self.deliver_locally(sender, message.clone()).await {
                Ok(()) => return,
                // Queued instead, and retried from there as any local recipient is.
                Err(error) => {
                    tracing::info!(id = %entry.id, %error, "failure report not delivered now, queued");
                }
            }
        }
        let mut rcpt = Recipient::new(ForwardPath::Mailbox(sender.clone()), None, None, now);
        rcpt.notify = Some(Notify::NEVER);
        let dsn = Entry {
            id,
            from: ReversePath::Null,
            arrival: now,
            body: entry.body,
            smtputf8: entry.smtputf8,
            ret: None,
            envid: None,
            recipients: vec![rcpt],
        };
        if let Err(error) = self.queue.enqueue(dsn, message).await {
            tracing::error!(id = %entry.id, %error, "failure report not delivered");
        }
    }

    fn is_local(&self, mailbox: &Mailbox) -> bool {
        match mailbox.host() {
            Host::Domain(d) => self.is_local_domain(d.as_str()),
            _ => false,
        }
    }

    /// Whether recipients at `domain` (as [`domain_of`] gives it: empty for
    /// `<Postmaster>`) are this host's own.
    fn is_local_domain(&self, domain: &str) -> bool {
        domain.is_empty()
            || self
                .config
                .local_domains
                .iter()
                .any(|l| l.eq_ignore_ascii_case(domain))
    }

    /// The recipients at `indices`, all this host's own, through one transaction of the
    /// local delivery: an outcome for each, in order.
    async fn deliver_here(&self, entry: &Entry, indices: &[usize]) -> Vec<Outcome> {
        let all = |outcome: Outcome| vec![outcome; indices.len()];
        let client = Client::new(
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            self.config.hostname.as_str(),
        );
        let mut params = MailParameters::default();
        params.body = Some(entry.body);
        params.smtputf8 = entry.smtputf8;
        params.ret = entry.ret;
        params.envid.clone_from(&entry.envid);
        let mut t = match self.local.mail(&client, &entry.from, &params).await {
            Ok(t) => t,
            Err(reply) => return all(Outcome::from_local(Err(&reply))),
        };
        // Each recipient's outcome, `None` while its answer is the commit's.
        let mut outcomes: Vec<Option<Outcome>> = Vec::with_capacity(indices.len());
        for &i in indices {
            let r = &entry.recipients[i];
            let mut params = RcptParameters::default();
            params.notify = r.notify;
            params.orcpt.clone_from(&r.orcpt);
            let refused = t.rcpt(&r.path, &params).await.err();
            outcomes.push(refused.map(|reply| Outcome::from_local(Err(&reply))));
        }
        if outcomes.iter().all(Option::is_some) {
            return outcomes.into_iter().flatten().collect();
        }
        let results = match self.local_data(&mut t, &entry.id).await {
            Ok(()) => t.commit().await,
            Err(failed) => {
                let accepted = outcomes.iter().filter(|o| o.is_none()).count();
                vec![Err(failed); accepted]
            }
        };
        let mut results = results.into_iter();
        outcomes
            .into_iter()
            .map(|outcome| {
                outcome.unwrap_or_else(|| match results.next() {
                    Some(result) => Outcome::from_local(result.as_ref().map(|_| ())),
                    None => Outcome::local("4.3.0", "no result for this recipient".into(), false),
                })
            })
            .collect()
    }

    /// The queued message's content, in pieces, to `t`; the reply that stopped it, if
    /// one did (a `451` for a content file that cannot be read).
    async fn local_data(&self, t: &mut L::Transaction, id: &str) -> Result<(), Reply> {
        use tokio::io::AsyncReadExt as _;
        let unreadable = |error: std::io::Error| {
            tracing::error!(%id, %error, "cannot read the queued message");
            Reply::new(451, "4.3.0 cannot read the queued message").expect("a valid reply")
        };
        let mut file = tokio::fs::File::open(self.queue.content_path(id))
            .await
            .map_err(unreadable)?;
        loop {
            let mut chunk = bytes::BytesMut::with_capacity(64 * 1024);
            if file.read_buf(&mut chunk).await.map_err(unreadable)? == 0 {
                return Ok(());
            }
            t.data(chunk.freeze()).await?;
        }
    }

    async fn deliver_locally(&self, to: &Mailbox, message: Vec<u8>) -> Result<(), String> {
        let client = Client::new(
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            self.config.hostname.as_str(),
        );
        let mut t = self
            .local
            .mail(&client, &ReversePath::Null, &MailParameters::default())
            .await
            .map_err(|r| r.to_string())?;
        t.rcpt(
            &ForwardPath::Mailbox(to.clone()),
            &RcptParameters::default(),
        )
        .await
        .map_err(|r| r.to_string())?;
        t.data(Bytes::from(message))
            .await
            .map_err(|r| r.to_string())?;
        match t.commit().await.into_iter().next() {
            Some(Ok(())) => Ok(()),
            Some(Err(reply)) => Err(reply.to_string()),
            None => Err("no result".to_owned()),
        }
    }
}

/// What one transaction came to.
struct Sent {
    /// Each recipient's, in order.
    outcomes: Vec<Outcome>,
    /// In a few words, for the log.
    summary: String,
    /// The connection can take the next message.
    usable: bool,
    /// Refused for now before any recipient (a 4xx to MAIL): the next server may take it.
    next_server: bool,
}

/// The connections of one pass over the queue, one a server: messages for the same
/// server take turns on one connection; a server found unreachable is not asked again
/// in the same pass.
#[derive(Default)]
struct Connections {
    slots: Mutex<HashMap<ServerKey, Arc<tokio::sync::Mutex<Slot>>>>,
}

/// A server by host (lower case) and port, and whether TLS is required towards it.
type ServerKey = (String, u16, bool);

#[derive(Default)]
enum Slot {
    /// Nothing open yet.
    #[default]
    Empty,
    /// Open, idle between messages; `sent` messages went over it.
    Open {
        smtp: Box<SmtpClient<TcpStream>>,
        sent: usize,
    },
    /// Could not be reached: why.
    Down(String),
}

impl Connections {
    fn slot(&self, route: &Route) -> Arc<tokio::sync::Mutex<Slot>> {
        let key = (
            route.host.to_ascii_lowercase(),
            route.port,
            route.tls == TlsPolicy::Required,
        );
        let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(slots.entry(key).or_default())
    }

    /// Says QUIT on every open connection.
    async fn close(&self) {
        let slots: Vec<_> = {
            let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
            slots.drain().map(|(_, slot)| slot).collect()
        };
        for slot in slots {
            if let Slot::Open { smtp, .. } = std::mem::take(&mut *slot.lock().await) {
                // Every message on it is settled; a failing QUIT changes nothing.
                let _ = smtp.quit().await;
            }
        }
    }
}

/// Whether connecting failed in the TLS handshake.
fn tls_failed(error: &SmtpError) -> bool {
    matches!(
        error,
        SmtpError::Connection(
            mailwire_tokio::Error::Handshake(_) | mailwire_tokio::Error::HandshakeTimeout(_)
        )
    )
}

/// The domain part of a recipient, lower case; an address literal in brackets.
fn domain_of(path: &ForwardPath) -> String {
    match path.mailbox().map(Mailbox::host) {
        Some(Host::Domain(d)) => d.as_str().to_ascii_lowercase(),
        Some(Host::Literal(AddressLiteral::Ipv4(ip))) => format!("[{ip}]"),
        Some(Host::Literal(AddressLiteral::Ipv6(ip))) => format!("[{ip}]"),
        Some(host) => host.to_string(),
        None => String::new(),
    }
}
