//! Small loopback network helpers for the TLS and proxy tests: a TCP relay that counts the
//! connections it carries, and an HTTP CONNECT proxy that counts tunnels and keeps every byte
//! it saw. Both are tokio tasks on `127.0.0.1` and only ever connect to loopback targets.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// The longest request head the proxy reads before refusing.
const MAX_HEAD: usize = 16 * 1024;

/// How long one relayed connection may live: every test finishes far sooner, and a stuck
/// peer cannot keep a task alive past it.
const CONNECTION_LIFETIME: Duration = Duration::from_secs(30);

/// What a relay or proxy saw; shared with its task.
#[derive(Default)]
struct Seen {
    connections: AtomicUsize,
    connects: AtomicUsize,
    refused: AtomicUsize,
    targets: Mutex<Vec<String>>,
    heads: Mutex<Vec<String>>,
    bytes: Mutex<Vec<u8>>,
}

impl Seen {
    fn keep(&self, bytes: &[u8]) {
        self.bytes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(bytes);
    }
}

/// A listener task on `127.0.0.1:0`, aborted when dropped.
pub struct Listening {
    addr: SocketAddr,
    seen: Arc<Seen>,
    task: JoinHandle<()>,
}

impl Drop for Listening {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Listening {
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, the proxy URL of this listener.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// How many TCP connections were accepted.
    pub fn connections(&self) -> usize {
        self.seen.connections.load(Ordering::SeqCst)
    }

    /// How many CONNECT tunnels were opened (proxy only).
    pub fn connects(&self) -> usize {
        self.seen.connects.load(Ordering::SeqCst)
    }

    /// How many requests the proxy refused (not CONNECT, or a non-loopback target).
    pub fn refused(&self) -> usize {
        self.seen.refused.load(Ordering::SeqCst)
    }

    /// The `host:port` of every CONNECT, in order.
    pub fn targets(&self) -> Vec<String> {
        self.seen
            .targets
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Every request head the proxy read (CONNECT or not), as text.
    pub fn heads(&self) -> Vec<String> {
        self.seen
            .heads
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Every byte read from either side, in arrival order per direction.
    pub fn bytes(&self) -> Vec<u8> {
        self.seen
            .bytes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// Whether `needle` occurs in `haystack`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// A relay that forwards every connection to `target` (a loopback address) and counts them.
pub async fn relay(target: SocketAddr) -> Listening {
    assert!(target.ip().is_loopback(), "relays only to loopback");
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("relay binds");
    let addr = listener.local_addr().expect("bound");
    let seen = Arc::new(Seen::default());
    let task = {
        let seen = Arc::clone(&seen);
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                // Counted before anything is read: once a client call has returned, the count
                // covers every connection it opened.
                seen.connections.fetch_add(1, Ordering::SeqCst);
                let seen = Arc::clone(&seen);
                tokio::spawn(async move {
                    if let Ok(server) = TcpStream::connect(target).await {
                        let _ =
                            tokio::time::timeout(CONNECTION_LIFETIME, pipe(client, server, &seen))
                                .await;
                    }
                });
            }
        })
    };
    Listening { addr, seen, task }
}

/// An HTTP proxy that opens CONNECT tunnels to loopback targets, answers anything else with
/// 405 (it never forwards a plain-http request), and keeps every byte it reads.
pub async fn connect_proxy() -> Listening {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("proxy binds");
    let addr = listener.local_addr().expect("bound");
    let seen = Arc::new(Seen::default());
    let task = {
        let seen = Arc::clone(&seen);
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                seen.connections.fetch_add(1, Ordering::SeqCst);
                let seen = Arc::clone(&seen);
                tokio::spawn(async move {
                    let _ = tokio::time::timeout(CONNECTION_LIFETIME, tunnel(client, &seen)).await;
                });
            }
        })
    };
    Listening { addr, seen, task }
}

/// Serves one proxy connection: reads the head, opens the tunnel, pipes.
async fn tunnel(mut client: TcpStream, seen: &Seen) {
    let mut head = Vec::new();
    let mut buffer = [0u8; 1024];
    let end = loop {
        let Ok(n) = client.read(&mut buffer).await else {
            return;
        };
        if n == 0 {
            return;
        }
        seen.keep(&buffer[..n]);
        head.extend_from_slice(&buffer[..n]);
        if let Some(end) = head.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
        if head.len() > MAX_HEAD {
            seen.refused.fetch_add(1, Ordering::SeqCst);
            return;
        }
    };
    let text = String::from_utf8_lossy(&head[..end]).into_owned();
    seen.heads
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(text.clone());
    let mut words = text.split_whitespace();
    let (Some("CONNECT"), Some(target)) = (words.next(), words.next()) else {
        seen.refused.fetch_add(1, Ordering::SeqCst);
        let _ = client
            .write_all(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            .await;
        return;
    };
    let target = target.to_owned();
    let loopback = target
        .rsplit_once(':')
        .is_some_and(|(host, _)| matches!(host, "127.0.0.1" | "localhost" | "[::1]"));
    if !loopback {
        seen.refused.fetch_add(1, Ordering::SeqCst);
        let _ = client
            .write_all(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            .await;
        return;
    }
    seen.connects.fetch_add(1, Ordering::SeqCst);
    seen.targets
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(target.clone());
    let Ok(mut server) = TcpStream::connect(target.as_str()).await else {
        let _ = client
            .write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            .await;
        return;
    };
    if client
        .write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")
        .await
        .is_err()
    {
        return;
    }
    // Bytes the client sent after the head belong to the tunnel.
    if end < head.len() && server.write_all(&head[end..]).await.is_err() {
        return;
    }
    pipe(client, server, seen).await;
}

/// Copies both ways until either side closes, keeping every byte read.
async fn pipe(client: TcpStream, server: TcpStream, seen: &Seen) {
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    tokio::join!(
        copy_keeping(client_read, server_write, seen),
        copy_keeping(server_read, client_write, seen),
    );
}

async fn copy_keeping(
    mut from: impl AsyncRead + Unpin,
    mut to: impl AsyncWrite + Unpin,
    seen: &Seen,
) {
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        match from.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                // Kept before it is forwarded: whatever reached the other side is recorded.
                seen.keep(&buffer[..n]);
                if to.write_all(&buffer[..n]).await.is_err() {
                    break;
                }
            }
        }
    }
    let _ = to.shutdown().await;
}

/// What [`misbehaving`] does with each connection.
#[derive(Clone, Copy, Debug)]
pub enum Misbehaviour {
    /// Reads whatever comes (the TLS ClientHello) and never answers, keeping the connection
    /// open until the listener is dropped.
    Silent,
    /// Reads the first bytes (the ClientHello), then closes the connection.
    HangUp,
}

/// A listener on `127.0.0.1:0` that accepts connections, counts them and misbehaves.
pub async fn misbehaving(behaviour: Misbehaviour) -> Listening {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("binds");
    let addr = listener.local_addr().expect("bound");
    let seen = Arc::new(Seen::default());
    let task = {
        let seen = Arc::clone(&seen);
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                seen.connections.fetch_add(1, Ordering::SeqCst);
                let seen = Arc::clone(&seen);
                tokio::spawn(async move {
                    let mut buffer = [0u8; 4096];
                    match behaviour {
                        Misbehaviour::HangUp => {
                            if let Ok(n) = stream.read(&mut buffer).await {
                                seen.keep(&buffer[..n]);
                            }
                        }
                        Misbehaviour::Silent => {
                            let _ = tokio::time::timeout(CONNECTION_LIFETIME, async {
                                while let Ok(n) = stream.read(&mut buffer).await {
                                    if n == 0 {
                                        break;
                                    }
                                    seen.keep(&buffer[..n]);
                                }
                            })
                            .await;
                        }
                    }
                });
            }
        })
    };
    Listening { addr, seen, task }
}
