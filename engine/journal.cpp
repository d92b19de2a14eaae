#include "journal.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "events_json.h"

namespace ordo {
namespace {

std::string parent_dir(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string errno_text(const std::string& what) {
  return what + ": " + std::strerror(errno);
}

Status pwrite_all(int fd, std::string_view data, off_t at) {
  while (!data.empty()) {
    ssize_t n = ::pwrite(fd, data.data(), data.size(), at);
    if (n < 0) {
      if (errno == EINTR) continue;
      return make_error(std::strerror(errno));
    }
    data.remove_prefix(static_cast<size_t>(n));
    at += n;
  }
  return Ok{};
}

bool prealloc_wanted() {
  const char* v = std::getenv("ORDO_JOURNAL_PREALLOC");
  return v && std::string_view(v) == "1";
}

}  // namespace

Status write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return make_error(std::strerror(errno));
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Ok{};
}

Status sync_dir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return make_error(errno_text("cannot open " + dir));
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return make_error("cannot sync " + dir + ": " + std::strerror(err));
  return Ok{};
}

Result<std::unique_ptr<JournalSink>> JournalSink::create(const std::string& path) {
  const bool prealloc = prealloc_wanted();
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | (prealloc ? 0 : O_APPEND),
                  0600);
  if (fd < 0) return make_error(errno_text("cannot create the journal " + path));
  std::unique_ptr<JournalSink> j(new JournalSink(fd, path));
  j->prealloc_ = prealloc;
  TRY(j->start_at(0));
  const std::string run_dir = parent_dir(path);
  TRY(sync_dir(run_dir));
  TRY(sync_dir(parent_dir(run_dir)));
  j->setup_syncs_ += 2;
  return j;
}

Result<std::unique_ptr<JournalSink>> JournalSink::append(const std::string& path) {
  TRY_ASSIGN(bool cut, repair_journal_tail(path));
  const bool prealloc = prealloc_wanted();
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC | (prealloc ? 0 : O_APPEND));
  if (fd < 0) return make_error(errno_text("cannot open the journal " + path));
  std::unique_ptr<JournalSink> j(new JournalSink(fd, path));
  j->prealloc_ = prealloc;
  j->torn_removed_ = cut;
  struct stat st {};
  if (::fstat(fd, &st) != 0) return make_error(errno_text("cannot stat the journal " + path));
  TRY(j->start_at(static_cast<long>(st.st_size)));
  return j;
}

Status JournalSink::start_at(long end) {
  end_ = reserved_ = end;
  if (!prealloc_) return Ok{};
  return reserve(end + kChunk, true);
}

Status JournalSink::reserve(long upto, bool sync) {
  static const std::vector<char> zeros(static_cast<size_t>(kChunk), '\0');
  while (reserved_ < upto) {
    TRY(pwrite_all(fd_, std::string_view(zeros.data(), zeros.size()), reserved_));
    reserved_ += kChunk;
  }
  if (sync) {
    if (::fdatasync(fd_) != 0) return make_error(errno_text("fdatasync failed"));
    ++setup_syncs_;
  }
  return Ok{};
}

JournalSink::~JournalSink() {
  flush();
  if (fd_ < 0) return;
  if (prealloc_ && error_.empty() && reserved_ > end_) (void)!::ftruncate(fd_, end_);
  ::close(fd_);
}

void JournalSink::fail(const std::string& what) {
  if (!error_.empty()) return;
  error_ = what;
  std::fprintf(stderr, "ordo: warning: journal %s: %s (resume may not know what this run did)\n",
               path_.c_str(), what.c_str());
}

void JournalSink::on_event(const Event& event) {
  append_event_json(buf_, event);
  buf_ += '\n';
  ++records_;
}

void JournalSink::flush() {
  if (buf_.empty() || fd_ < 0) return;
  auto t0 = std::chrono::steady_clock::now();
  Status st = Ok{};
  if (!prealloc_) {
    st = write_all(fd_, buf_);
  } else {
    const long need = end_ + static_cast<long>(buf_.size());
    // Past the zeros: another chunk, unsynced (this turn's sync commits its size once).
    if (need > reserved_) st = reserve(need + kChunk, false);
    if (st.ok()) st = pwrite_all(fd_, buf_, end_);
    if (st.ok()) end_ = need;
  }
  write_ms_ +=
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  buf_.clear();
  if (!st.ok()) {
    fail("write failed: " + st.error().message);
    return;
  }
  dirty_ = true;
}

void JournalSink::sync() {
  flush();
  if (!dirty_ || fd_ < 0) return;
  dirty_ = false;
  ++syncs_;
  auto t0 = std::chrono::steady_clock::now();
  if (::fdatasync(fd_) != 0) fail(errno_text("fdatasync failed"));
  sync_ms_ +=
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

Result<bool> repair_journal_tail(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return make_error(errno_text("cannot open the journal " + path));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || st.st_size == 0) {
    ::close(fd);
    return false;
  }
  // Walk back from the end to the last newline, a block at a time, noting whether what lies
  // after it is more than the zero tail of a preallocated journal.
  off_t end = st.st_size, keep = 0;
  bool torn = false;
  char block[65536];
  for (off_t pos = end; pos > 0;) {
    off_t from =
        pos > static_cast<off_t>(sizeof block) ? pos - static_cast<off_t>(sizeof block) : 0;
    ssize_t n = ::pread(fd, block, static_cast<size_t>(pos - from), from);
    if (n <= 0) break;
    bool found = false;
    for (ssize_t i = n - 1; i >= 0; --i) {
      if (block[i] == '\n') {
        keep = from + i + 1;
        found = true;
        break;
      }
      if (block[i] != '\0') torn = true;
    }
    if (found) break;
    pos = from;
  }
  if (keep == end) {
    ::close(fd);
    return false;
  }
  bool ok = ::ftruncate(fd, keep) == 0 && ::fdatasync(fd) == 0;
  int err = errno;
  ::close(fd);
  if (!ok) return make_error("cannot repair the journal " + path + ": " + std::strerror(err));
  return torn;
}

Status append_journal_record(const std::string& path, const std::string& json) {
  TRY(repair_journal_tail(path));
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd < 0) return make_error(errno_text("cannot open the journal " + path));
  Status st = write_all(fd, json + "\n");
  bool synced = st.ok() && ::fdatasync(fd) == 0;
  int err = errno;
  ::close(fd);
  if (!st.ok()) return make_error("cannot write the journal " + path + ": " + st.error().message);
  if (!synced) return make_error("cannot sync the journal " + path + ": " + std::strerror(err));
  return Ok{};
}

}  // namespace ordo
