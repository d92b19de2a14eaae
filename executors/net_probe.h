// net_probe: single tries of wait-for's network checks: does "host:port" accept a TCP
// connection, what status does an http:// URL answer a GET with. Plain sockets (no TLS: an
// https:// URL is refused with a message saying so). Each probe blocks for at most its
// `give_up` time (name resolution excepted: getaddrinfo has no timeout) and returns within
// ~100 ms of a stop request. Pure functions; thread-safe.
#pragma once

#include <stop_token>
#include <string>
#include <string_view>

#include "executor.h"
#include "result.h"

namespace ordo {

struct HostPort {
  std::string host;  // without the brackets of "[::1]"
  std::string port;
};

// "localhost:5432", "[::1]:5432" -> host and port.
Result<HostPort> parse_host_port(std::string_view text);

struct HttpUrl {
  HostPort at;       // port "80" when the URL has none
  std::string path;  // "/..." with the query, "/" when empty
};

// "http://host[:port][/path]"; https:// and anything else is an error naming the problem.
Result<HttpUrl> parse_http_url(std::string_view url);

struct Probe {
  bool up = false;
  std::string detail;  // "connected", "HTTP 302", "Connection refused", "HTTP 502", ...
};

// Connects to every address `at` resolves to until one accepts.
Probe probe_tcp(const HostPort& at, Clock::time_point give_up, const std::stop_token& stop);

// GET url (HTTP/1.0, Connection: close); up when the status is below 500.
Probe probe_http(const HttpUrl& url, Clock::time_point give_up, const std::stop_token& stop);

}  // namespace ordo
