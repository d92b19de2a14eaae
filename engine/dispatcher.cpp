#include "dispatcher.h"

#include <exception>
#include <utility>

namespace ordo {

ThreadDispatcher::~ThreadDispatcher() {
  std::map<int, std::thread> left;
  {
    std::lock_guard<std::mutex> lock(mu_);
    left.swap(threads_);
  }
  for (auto& [id, t] : left)
    if (t.joinable()) t.join();
}

void ThreadDispatcher::launch(Launch launch) {
  int id = launch.id;
  std::thread t([l = std::move(launch)]() mutable {
    Outcome outcome;
    try {
      outcome = l.executor->run(l.ctx);
    } catch (const std::exception& e) {
      outcome = Outcome::failed(std::string("internal error: ") + e.what());
    } catch (...) {
      outcome = Outcome::failed("internal error: unknown exception");
    }
    l.done(std::move(outcome));
  });
  std::lock_guard<std::mutex> lock(mu_);
  threads_.emplace(id, std::move(t));
}

void ThreadDispatcher::reap(int launch_id) {
  std::thread t;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = threads_.find(launch_id);
    if (it == threads_.end()) return;
    t = std::move(it->second);
    threads_.erase(it);
  }
  if (t.joinable()) t.join();
}

}  // namespace ordo
