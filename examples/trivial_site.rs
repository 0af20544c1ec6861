//! The trivial site of `docs/performance.md`'s load-tester measurements: every `GET
//! /{route}/{page}` is answered at once with a small page carrying the marker of version 0, so
//! what is measured is the load tester (or `wrk`, side by side), not the site.
//!
//! `cargo run --release --example trivial_site [ADDR]` (default 127.0.0.1:3000, loopback only);
//! Ctrl-C stops it.

use std::convert::Infallible;
use std::net::SocketAddr;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

async fn page(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = request.uri().path().trim_start_matches('/');
    let (route, page) = path.split_once('/').unwrap_or((path, "0"));
    let body = format!(
        "<!doctype html><html><head><meta name=\"isrsim\" content=\"isrsim:{route}:{page}:0\">\
         </head><body>Page {page} of {route}.</body></html>"
    );
    let mut response = Response::new(Full::new(Bytes::from(body)));
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/html"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("s-maxage=31536000"));
    headers.insert("x-nextjs-cache", HeaderValue::from_static("HIT"));
    Ok(response)
}

#[tokio::main]
async fn main() {
    let addr: SocketAddr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:3000".to_string())
        .parse()
        .expect("an address such as 127.0.0.1:3000");
    assert!(
        addr.ip().is_loopback(),
        "the trivial site listens on loopback only"
    );
    let listener = TcpListener::bind(addr).await.expect("the address is free");
    eprintln!("trivial site on http://{addr}; Ctrl-C stops it");
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => return,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                tokio::spawn(async move {
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service_fn(page))
                        .await;
                });
            }
        }
    }
}
