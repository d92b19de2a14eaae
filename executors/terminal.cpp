#include "terminal.h"

#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <mutex>

namespace ordo {
namespace {

constexpr auto kSlice = std::chrono::milliseconds(100);  // how often stop is checked

std::timed_mutex& terminal_mutex() {
  static std::timed_mutex m;
  return m;
}

void write_all(int fd, std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    text.remove_prefix(static_cast<size_t>(n));
  }
}

std::string normalized(std::string line) {
  std::erase_if(line, [](char c) { return c == '\r'; });
  const size_t b = line.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  line = line.substr(b, line.find_last_not_of(" \t") - b + 1);
  for (char& c : line) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return line;
}

bool over(const std::optional<Clock::time_point>& deadline) {
  return deadline && Clock::now() >= *deadline;
}

}  // namespace

Answer ask_yes_no(int fd, const std::string& prompt, std::optional<bool> default_yes,
                  std::optional<Clock::time_point> deadline, const std::stop_token& stop) {
  std::unique_lock lock(terminal_mutex(), std::defer_lock);
  while (!lock.try_lock_for(kSlice)) {
    if (stop.stop_requested()) return Answer::Cancelled;
    if (over(deadline)) return Answer::Timeout;
  }
  ::tcflush(fd, TCIFLUSH);  // typed-ahead input must not answer the question (no-op if no tty)
  const std::string choices = !default_yes ? "[y/n]" : *default_yes ? "[Y/n]" : "[y/N]";
  const std::string question = prompt + " " + choices + " ";
  write_all(fd, "\n" + question);
  std::string pending;
  for (;;) {
    for (size_t nl; (nl = pending.find('\n')) != std::string::npos;) {
      const std::string line = normalized(pending.substr(0, nl));
      pending.erase(0, nl + 1);
      if (line == "y" || line == "yes") return Answer::Yes;
      if (line == "n" || line == "no") return Answer::No;
      if (line.empty() && default_yes) return *default_yes ? Answer::Yes : Answer::No;
      write_all(fd, "Please answer yes or no. " + question);
    }
    if (stop.stop_requested()) {
      write_all(fd, "\n");
      return Answer::Cancelled;
    }
    auto wait = kSlice;
    if (deadline) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - Clock::now());
      if (left <= std::chrono::milliseconds(0)) {
        write_all(fd, "\n");
        return Answer::Timeout;
      }
      wait = std::min(wait, left);
    }
    pollfd p{fd, POLLIN, 0};
    const int n = ::poll(&p, 1, static_cast<int>(wait.count()));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Answer::Closed;
    if (n == 0) continue;
    if (p.revents & POLLIN) {
      char buf[256];
      const ssize_t got = ::read(fd, buf, sizeof buf);
      if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (got <= 0) return Answer::Closed;
      pending.append(buf, static_cast<size_t>(got));
      continue;
    }
    if (p.revents & (POLLHUP | POLLERR | POLLNVAL)) return Answer::Closed;
  }
}

}  // namespace ordo
