//! The HTTP client of the load tester: one kept-alive HTTP/1.1 connection per user worker, and
//! one-off requests for webhooks and purges. hyper 1 does the protocol; this module only keeps
//! connections open, bounds every exchange in time and size, and says when a request really
//! left, for the open-loop accounting of `users`.

use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Empty, Full, Limited};
use hyper::body::Bytes;
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::{HOST, HeaderMap, HeaderValue, USER_AGENT};
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use super::site::Endpoint;

/// The largest body read; a larger page is an error rather than unbounded memory.
const LARGEST_BODY: usize = 16 << 20;

const AGENT: &str = concat!("isrsim/", env!("CARGO_PKG_VERSION"));

/// An answer, read whole.
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// Why a request got no answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// No connection could be made.
    Connect,
    /// The exchange broke, or the body was too large.
    Broken,
    /// No whole answer within `--timeout`.
    TimedOut,
}

/// One connection to a server, opened on first use and again after it breaks.
pub struct Connection {
    endpoint: Endpoint,
    sender: Option<SendRequest<Empty<Bytes>>>,
}

impl Connection {
    pub fn new(endpoint: Endpoint) -> Connection {
        Connection {
            endpoint,
            sender: None,
        }
    }

    /// Sends `GET path` and reads the answer, all within `timeout`. `sent` is set to the
    /// instant the request left (after any connecting). A failed or timed-out exchange closes
    /// the connection.
    pub async fn get(
        &mut self,
        path: &str,
        timeout: Duration,
        sent: &mut Option<Instant>,
    ) -> Result<Answer, Failure> {
        let full = format!("{}{path}", self.endpoint.prefix);
        let request = request(
            Method::GET,
            &self.endpoint.authority,
            &full,
            &[],
            Empty::new(),
        );
        let exchange = async {
            let sender = self.ready().await?;
            *sent = Some(Instant::now());
            let response = sender
                .send_request(request)
                .await
                .map_err(|_| Failure::Broken)?;
            read(response).await
        };
        match tokio::time::timeout(timeout, exchange).await {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(failure)) => {
                self.sender = None;
                Err(failure)
            }
            Err(_) => {
                self.sender = None;
                Err(Failure::TimedOut)
            }
        }
    }

    /// The open connection, ready for a request; opened if there is none.
    async fn ready(&mut self) -> Result<&mut SendRequest<Empty<Bytes>>, Failure> {
        if let Some(sender) = &mut self.sender
            && sender.ready().await.is_err()
        {
            self.sender = None;
        }
        if self.sender.is_none() {
            self.sender = Some(connect(&self.endpoint.authority).await?);
        }
        self.sender.as_mut().ok_or(Failure::Connect)
    }
}

async fn connect<B>(authority: &str) -> Result<SendRequest<B>, Failure>
where
    B: hyper::body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let stream = TcpStream::connect(authority)
        .await
        .map_err(|_| Failure::Connect)?;
    let _ = stream.set_nodelay(true);
    let (sender, connection) = http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|_| Failure::Connect)?;
    // The connection's own task ends when the sender is dropped or the peer closes.
    tokio::spawn(connection);
    Ok(sender)
}

/// A request with `headers` after isrsim's own (`Host`, `User-Agent`): a header of the same name
/// replaces isrsim's.
fn request<B>(
    method: Method,
    authority: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: B,
) -> Request<B> {
    let mut request = Request::new(body);
    *request.method_mut() = method;
    *request.uri_mut() = path
        .parse()
        .unwrap_or_else(|_| hyper::Uri::from_static("/"));
    let map = request.headers_mut();
    if let Ok(host) = HeaderValue::from_str(authority) {
        map.insert(HOST, host);
    }
    map.insert(USER_AGENT, HeaderValue::from_static(AGENT));
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) = (
            hyper::header::HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            map.insert(name, value);
        }
    }
    request
}

async fn read(response: hyper::Response<hyper::body::Incoming>) -> Result<Answer, Failure> {
    let (parts, body) = response.into_parts();
    let body = Limited::new(body, LARGEST_BODY)
        .collect()
        .await
        .map_err(|_| Failure::Broken)?
        .to_bytes();
    Ok(Answer {
        status: parts.status,
        headers: parts.headers,
        body,
    })
}

/// One request on a connection of its own (a webhook, a purge), with `body` (none when empty),
/// within `timeout`: its status, or why there was none. `url` must already be checked
/// (`site::absolute`).
pub async fn send_once(
    method: Method,
    endpoint: &Endpoint,
    path: &str,
    (headers, body): (&[(&str, &str)], String),
    timeout: Duration,
) -> Result<StatusCode, Failure> {
    let exchange = async {
        let mut sender = connect(&endpoint.authority).await?;
        sender.ready().await.map_err(|_| Failure::Broken)?;
        let body = Full::new(Bytes::from(body));
        let request = request(method, &endpoint.authority, path, headers, body);
        let response = sender
            .send_request(request)
            .await
            .map_err(|_| Failure::Broken)?;
        Ok(read(response).await?.status)
    };
    tokio::time::timeout(timeout, exchange)
        .await
        .unwrap_or(Err(Failure::TimedOut))
}
