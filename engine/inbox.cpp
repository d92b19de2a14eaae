#include "inbox.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>

namespace ordo {

Inbox::~Inbox() {
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

void Inbox::post(Message m) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    q_.push_back(std::move(m));
    if (polling_) wake_locked();
  }
  cv_.notify_one();
}

void Inbox::wake_locked() {
  if (woken_ || wake_fd_ < 0) return;
  woken_ = true;
  const uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof one);
}

void Inbox::wake() {
  std::lock_guard<std::mutex> lock(mu_);
  if (polling_) wake_locked();
}

int Inbox::begin_poll() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!q_.empty()) return -1;
  if (wake_fd_ < 0) wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) return -1;  // no descriptor: the caller polls without sleeping
  polling_ = true;
  return wake_fd_;
}

void Inbox::end_poll() {
  std::lock_guard<std::mutex> lock(mu_);
  polling_ = false;
  if (woken_) {
    uint64_t v;
    while (::read(wake_fd_, &v, sizeof v) > 0) {
    }
    woken_ = false;
  }
}

std::deque<Message> Inbox::take() {
  std::lock_guard<std::mutex> lock(mu_);
  std::deque<Message> out;
  out.swap(q_);
  return out;
}

void Inbox::wait(RunClock& clock, std::optional<Clock::time_point> until) {
  std::unique_lock<std::mutex> lock(mu_);
  if (!q_.empty()) return;
  clock.wait(cv_, lock, until);
}

void connect_launch(Launch& l, const std::shared_ptr<Inbox>& inbox, bool watcher, int fired_so_far,
                    int max_fires) {
  const int lid = l.id;
  std::shared_ptr<Inbox> box = inbox;
  l.ctx.output = [box, lid](OutputStream stream, std::string_view line) {
    Message m;
    m.kind = Message::Kind::Output;
    m.launch = lid;
    m.stream = stream;
    m.text = std::string(line);
    box->post(std::move(m));
  };
  l.ctx.warn = [box, lid](std::string_view text) {
    Message m;
    m.kind = Message::Kind::Warn;
    m.launch = lid;
    m.text = std::string(text);
    box->post(std::move(m));
  };
  if (watcher) {
    auto count = std::make_shared<std::atomic<int>>(fired_so_far);
    l.ctx.fire = [box, lid, count, max_fires](const ValueTable& details) {
      int n = count->fetch_add(1) + 1;
      if (n > max_fires) return false;
      Message m;
      m.kind = Message::Kind::Fire;
      m.launch = lid;
      m.details = details;
      box->post(std::move(m));
      return n < max_fires;
    };
  }
  l.done = [box, lid](Outcome o) {
    Message m;
    m.kind = Message::Kind::Done;
    m.launch = lid;
    m.outcome = std::move(o);
    box->post(std::move(m));
  };
}

}  // namespace ordo
