#include "net_probe.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

namespace ordo {
namespace {

constexpr auto kSlice = std::chrono::milliseconds(100);

std::string errno_text(int err) {
  return std::system_category().message(err);
}

// A socket closed on destruction.
class Socket {
 public:
  explicit Socket(int fd) : fd_(fd) {}
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  int fd() const { return fd_; }

 private:
  int fd_;
};

// Polls fd for `events` in slices until ready, give_up, or stop: >0 ready, 0 timed out, <0 stop.
int wait_ready(int fd, short events, Clock::time_point give_up, const std::stop_token& stop) {
  for (;;) {
    if (stop.stop_requested()) return -1;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(give_up - Clock::now());
    if (left <= std::chrono::milliseconds(0)) return 0;
    pollfd p{fd, events, 0};
    const int n = ::poll(&p, 1, static_cast<int>(std::min(left, kSlice).count()));
    if (n > 0) return 1;
    if (n < 0 && errno != EINTR) return 1;  // let the caller's next call report the error
  }
}

// A connected non-blocking socket to `at`, or -1 with `why` set.
int connect_to(const HostPort& at, Clock::time_point give_up, const std::stop_token& stop,
               std::string& why) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* list = nullptr;
  if (int rc = ::getaddrinfo(at.host.c_str(), at.port.c_str(), &hints, &list); rc != 0) {
    why = "cannot resolve " + at.host + ": " + ::gai_strerror(rc);
    return -1;
  }
  why = "no address";
  int connected = -1;
  for (addrinfo* a = list; a && connected < 0; a = a->ai_next) {
    const int fd =
        ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      why = errno_text(errno);
      continue;
    }
    int err = ::connect(fd, a->ai_addr, a->ai_addrlen) == 0 ? 0 : errno;
    if (err == EINPROGRESS) {
      const int ready = wait_ready(fd, POLLOUT, give_up, stop);
      socklen_t len = sizeof err;
      if (ready > 0)
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      else
        err = ready == 0 ? ETIMEDOUT : ECANCELED;
    }
    if (err == 0) {
      connected = fd;
    } else {
      why = errno_text(err);
      ::close(fd);
      if (err == ECANCELED) break;
    }
  }
  ::freeaddrinfo(list);
  return connected;
}

}  // namespace

Result<HostPort> parse_host_port(std::string_view text) {
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == text.size())
    return make_error("\"" + std::string(text) + "\" is not host:port");
  std::string host(text.substr(0, colon));
  const std::string port(text.substr(colon + 1));
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (port.find_first_not_of("0123456789") != std::string::npos)
    return make_error("\"" + std::string(text) + "\": the port must be a number");
  return HostPort{host, port};
}

Result<HttpUrl> parse_http_url(std::string_view url) {
  if (url.starts_with("https://"))
    return make_error(
        "https is not supported by wait-for (ordo speaks no TLS): wait for the "
        "port instead (port = \"host:443\"), or give an http:// URL");
  if (!url.starts_with("http://"))
    return make_error("\"" + std::string(url) + "\" is not an http:// URL");
  std::string_view rest = url.substr(7);
  const size_t slash = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, slash);
  HttpUrl u;
  u.path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (u.path.starts_with("?")) u.path = "/" + u.path;
  if (const size_t at = authority.rfind('@'); at != std::string_view::npos)
    authority = authority.substr(at + 1);  // credentials are not sent
  if (authority.empty()) return make_error("\"" + std::string(url) + "\" names no host");
  const size_t bracket = authority.rfind(']');
  const size_t colon = authority.rfind(':');
  if (colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket)) {
    auto hp = parse_host_port(authority);
    if (!hp.ok()) return hp.error();
    u.at = hp.value();
  } else {
    std::string host(authority);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
      host = host.substr(1, host.size() - 2);
    u.at = HostPort{host, "80"};
  }
  return u;
}

Probe probe_tcp(const HostPort& at, Clock::time_point give_up, const std::stop_token& stop) {
  std::string why;
  const int fd = connect_to(at, give_up, stop, why);
  if (fd < 0) return {false, why};
  ::close(fd);
  return {true, "connected"};
}

Probe probe_http(const HttpUrl& url, Clock::time_point give_up, const std::stop_token& stop) {
  std::string why;
  Socket sock(connect_to(url.at, give_up, stop, why));
  if (sock.fd() < 0) return {false, why};
  const bool v6 = url.at.host.find(':') != std::string::npos;
  const std::string host = v6 ? "[" + url.at.host + "]" : url.at.host;
  std::string request = "GET " + url.path + " HTTP/1.0\r\nHost: " + host +
                        (url.at.port == "80" ? "" : ":" + url.at.port) +
                        "\r\nUser-Agent: ordo-wait-for\r\nAccept: */*\r\nConnection: close\r\n\r\n";
  std::string_view out = request;
  while (!out.empty()) {
    if (wait_ready(sock.fd(), POLLOUT, give_up, stop) <= 0) return {false, "no answer in time"};
    const ssize_t n = ::send(sock.fd(), out.data(), out.size(), MSG_NOSIGNAL);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n < 0) return {false, errno_text(errno)};
    out.remove_prefix(static_cast<size_t>(n));
  }
  std::string head;
  while (head.find('\n') == std::string::npos && head.size() < 4096) {
    if (wait_ready(sock.fd(), POLLIN, give_up, stop) <= 0) return {false, "no answer in time"};
    char buf[1024];
    const ssize_t n = ::recv(sock.fd(), buf, sizeof buf, 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n < 0) return {false, errno_text(errno)};
    if (n == 0) break;
    head.append(buf, static_cast<size_t>(n));
  }
  // "HTTP/1.1 302 Found"
  if (!head.starts_with("HTTP/") || head.find(' ') == std::string::npos)
    return {false, head.empty() ? "the connection closed without an answer" : "not an HTTP answer"};
  const size_t sp = head.find(' ');
  const int status = std::atoi(head.c_str() + sp + 1);
  if (status < 100 || status > 999) return {false, "not an HTTP answer"};
  return {status < 500, "HTTP " + std::to_string(status)};
}

}  // namespace ordo
