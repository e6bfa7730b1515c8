//! The HTTP JSON API of `mensura-indexer` (`GET` only): the history the node's state does
//! not keep. One request per connection, as the indexer's answers are few and large.

use crate::{Error, Result};
use serde_json::Value;
use std::{
	io::{Read, Write},
	net::{TcpStream, ToSocketAddrs},
	time::Duration,
};

/// An indexer at `http://host:port`.
pub struct Indexer {
	url: String,
	host: String,
	port: u16,
}

impl Indexer {
	/// The indexer at `url` (`http://host:port`, e.g. `http://127.0.0.1:9955`).
	pub fn new(url: &str) -> Result<Indexer> {
		let bad = || {
			Error::usage(format!(
				"{url}: not an indexer URL; expected http://host:port (e.g. http://127.0.0.1:9955)"
			))
		};
		let authority = url.strip_prefix("http://").ok_or_else(bad)?.split('/').next();
		let (host, port) = authority.and_then(|a| a.rsplit_once(':')).ok_or_else(bad)?;
		let port = port.parse().map_err(|_| bad())?;
		if host.is_empty() {
			return Err(bad());
		}
		Ok(Indexer { url: url.trim_end_matches('/').to_string(), host: host.into(), port })
	}

	/// `GET path`: the status code and the JSON body.
	pub fn get_json(&self, path: &str) -> Result<(u16, Value)> {
		let unreachable = |reason: String| {
			Error::node(format!(
				"cannot reach a Mensura indexer at {} ({reason}); start one with \
				 `scripts/dev-node`, or point --indexer (or MENSURA_INDEXER) at a running one",
				self.url
			))
		};
		let address = (self.host.as_str(), self.port)
			.to_socket_addrs()
			.map_err(|e| unreachable(e.to_string()))?
			.next()
			.ok_or_else(|| unreachable("the host name has no address".into()))?;
		let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(5))
			.map_err(|e| unreachable(e.to_string()))?;
		stream.set_read_timeout(Some(Duration::from_secs(60))).ok();
		let mut answer = Vec::new();
		write!(
			stream,
			"GET {path} HTTP/1.1\r\nHost: {}:{}\r\nAccept: application/json\r\n\
			 Connection: close\r\n\r\n",
			self.host, self.port
		)
		.and_then(|()| stream.read_to_end(&mut answer))
		.map_err(|e| Error::node(format!("{} answered GET {path} badly: {e}", self.url)))?;
		let (status, body) = parse_response(&answer).ok_or_else(|| {
			Error::node(format!("{} answered GET {path} with bad HTTP", self.url))
		})?;
		let value = serde_json::from_slice(&body).map_err(|e| {
			Error::node(format!("{} answered GET {path} with invalid JSON ({e})", self.url))
		})?;
		Ok((status, value))
	}
}

/// The status code and the body of a whole HTTP/1.1 response (plain or chunked).
fn parse_response(answer: &[u8]) -> Option<(u16, Vec<u8>)> {
	let split = answer.windows(4).position(|w| w == b"\r\n\r\n")?;
	let head = std::str::from_utf8(&answer[..split]).ok()?;
	let mut body = &answer[split + 4..];
	let status = head.lines().next()?.split_whitespace().nth(1)?.parse().ok()?;
	let chunked = head.lines().any(|line| {
		let line = line.to_ascii_lowercase();
		line.starts_with("transfer-encoding:") && line.contains("chunked")
	});
	if !chunked {
		return Some((status, body.to_vec()));
	}
	let mut out = Vec::new();
	loop {
		let end = body.windows(2).position(|w| w == b"\r\n")?;
		let size =
			usize::from_str_radix(std::str::from_utf8(&body[..end]).ok()?.trim(), 16).ok()?;
		body = &body[end + 2..];
		if size == 0 {
			return Some((status, out));
		}
		out.extend_from_slice(body.get(..size)?);
		body = body.get(size + 2..)?;
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn plain_and_chunked_answers_are_read_whole() {
		let plain = b"HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\n{\"a\":1}";
		assert_eq!(parse_response(plain), Some((200, b"{\"a\":1}".to_vec())));
		let chunked =
			b"HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n{\"a\r\n4\r\n\":1}\r\n0\r\n\r\n";
		assert_eq!(parse_response(chunked), Some((404, b"{\"a\":1}".to_vec())));
		assert_eq!(parse_response(b"HTTP/1.1 200 OK\r\n"), None);
		assert!(Indexer::new("ws://127.0.0.1:9955").is_err());
		assert!(Indexer::new("http://:9955").is_err());
	}
}
