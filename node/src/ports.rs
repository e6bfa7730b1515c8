//! Refuses to start a node whose ports are taken.
//!
//! Left to itself the node does not fail on a taken port: the RPC server quietly moves to
//! a random port, a Prometheus endpoint that cannot bind is dropped with a log line, and
//! the network keeps trying. A user who asked for port 9944 then finds another node, or
//! no node, there. Each configured port is therefore bound once before the node starts,
//! and a taken one is a one-line error naming the flag that changes it.

use sc_network::multiaddr::Protocol;
use sc_service::Configuration;
use std::{
	io::ErrorKind,
	net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener},
};

/// One port the node is about to listen on.
struct Port {
	address: SocketAddr,
	flag: &'static str,
	/// An address the node only tries (the IPv6 RPC endpoint): only "in use" is fatal.
	optional: bool,
}

fn ports(config: &Configuration) -> Vec<Port> {
	let mut ports = Vec::new();
	match &config.rpc.addr {
		Some(endpoints) => ports.extend(endpoints.iter().map(|endpoint| Port {
			address: endpoint.listen_addr,
			flag: "--rpc-port",
			optional: endpoint.is_optional,
		})),
		None => ports.push(Port {
			address: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), config.rpc.port),
			flag: "--rpc-port",
			optional: false,
		}),
	}
	if let Some(prometheus) = &config.prometheus_config {
		ports.push(Port { address: prometheus.port, flag: "--prometheus-port", optional: false });
	}
	for listen in &config.network.listen_addresses {
		let mut ip = None;
		let mut port = None;
		for protocol in listen.iter() {
			match protocol {
				Protocol::Ip4(a) => ip = Some(IpAddr::V4(a)),
				Protocol::Ip6(a) => ip = Some(IpAddr::V6(a)),
				Protocol::Tcp(p) => port = Some(p),
				_ => {}
			}
		}
		if let (Some(ip), Some(port)) = (ip, port) {
			ports.push(Port {
				address: SocketAddr::new(ip, port),
				flag: "--port",
				optional: ip.is_ipv6(),
			});
		}
	}
	ports
}

/// Binds every configured port once; the first one that is in use is an error.
pub fn ensure_free(config: &Configuration) -> Result<(), String> {
	for Port { address, flag, optional } in ports(config) {
		if address.port() == 0 {
			continue;
		}
		match TcpListener::bind(address) {
			Ok(_) => {}
			Err(e) if e.kind() == ErrorKind::AddrInUse => {
				return Err(format!(
					"port {} ({address}) is already in use, probably by another node: stop it, \
					 or choose another port with {flag}",
					address.port()
				))
			}
			Err(_) if optional => {}
			Err(e) => {
				return Err(format!("cannot listen on {address} ({e}); change it with {flag}"))
			}
		}
	}
	Ok(())
}
