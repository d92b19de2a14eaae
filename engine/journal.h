// JournalSink: the run's journal, <state>/<plan>/runs/<run-id>/journal.jsonl — the single truth
// of a run, read back by `ordo resume`, `ordo status` and `ordo report`. The records are the
// events stream's (events-format.md), one JSON object per line; the journal additions (plan
// digest, fingerprints, `run_resumed`, `run_abandoned`) are documented in journal-format.md.
//
// Group commit: on_event() only buffers; flush() (end of a scheduler turn) hands the turn's
// records to the kernel with one write(2), so a killed ordo loses at most the turn it was in;
// sync() makes what was written durable with one fdatasync(2), only when something was written
// since the last one. The scheduler decides when to call sync() (scheduler.h, "Durability").
// Preallocation (opt-in, ORDO_JOURNAL_PREALLOC=1: it showed no gain on the shared test machine,
// tests/bench/README.md): the file is grown in zero-filled chunks (kChunk, written and synced ahead
// of the records), and records overwrite the zeros. An fdatasync of a record then flushes data
// only: the file's size does not change, so there is no metadata to commit (on ext4 that is a
// jbd2 commit, which also carries every other file's pending metadata — the step logs'). The
// destructor cuts the zero tail off; a killed ordo leaves it, and readers ignore trailing NUL
// bytes (run_record.h; repair_journal_tail cuts them). By default: plain O_APPEND appends.
// The file is mode 0600 and opened O_CLOEXEC. A write or sync error is reported once on stderr
// and kept in error(); the run goes on (its steps matter more than its record).
// Owned by the command that runs the scheduler; called on the scheduler thread only (EventSink
// contract); not thread-safe.
#pragma once

#include <memory>
#include <string>

#include "event.h"
#include "result.h"

namespace ordo {

class JournalSink final : public EventSink {
 public:
  // Creates a new journal (error if the file exists) and syncs the directory entries of the
  // file and of its run directory, so the run can be found after a power loss.
  static Result<std::unique_ptr<JournalSink>> create(const std::string& path);
  // Opens an existing journal to append to it (a resumed run). A last line cut off mid-write
  // (no newline) is removed first, so the next record starts on a line of its own.
  static Result<std::unique_ptr<JournalSink>> append(const std::string& path);

  JournalSink(const JournalSink&) = delete;
  JournalSink& operator=(const JournalSink&) = delete;
  ~JournalSink() override;  // writes what is buffered, cuts the zero tail, closes; no sync

  static constexpr long kChunk = 1 << 20;  // preallocation step (bytes)

  void on_event(const Event& event) override;
  void flush() override;
  void sync() override;

  int syncs() const { return syncs_; }           // fdatasync calls on the journal
  double sync_ms() const { return sync_ms_; }    // time spent in them
  double write_ms() const { return write_ms_; }  // time spent in write(2)
  // fsyncs of directories at create(), and fdatasyncs of preallocated chunks (not in syncs())
  int setup_syncs() const { return setup_syncs_; }
  long records() const { return records_; }
  bool torn_tail_removed() const { return torn_removed_; }  // append(): a torn line was cut
  const std::string& path() const { return path_; }
  const std::string& error() const { return error_; }  // the first I/O error, "" if none

 private:
  JournalSink(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  void fail(const std::string& what);
  // Opens the file's preallocated region at `end` (the end of its records). Syncs the zeros.
  Status start_at(long end);
  // Zero-fills up to at least `upto` (whole chunks); syncs it when `sync`.
  Status reserve(long upto, bool sync);

  int fd_ = -1;
  bool prealloc_ = true;
  long end_ = 0;       // where the next record goes
  long reserved_ = 0;  // the file's size: end_ plus the zero tail
  std::string path_;
  std::string buf_;     // records not yet written
  bool dirty_ = false;  // written since the last sync
  int syncs_ = 0;
  double sync_ms_ = 0;
  double write_ms_ = 0;
  int setup_syncs_ = 0;
  long records_ = 0;
  bool torn_removed_ = false;
  std::string error_;
};

// Cuts a last line that has no newline (a crash mid-write) off the file, and syncs it; also the
// zero tail of a preallocated journal whose ordo was killed. Returns true if a record was cut
// (something other than NUL bytes).
Result<bool> repair_journal_tail(const std::string& path);

// Appends one record (JSON text, no newline) to a journal as a line of its own, and syncs it.
// Used for `run_abandoned`, written by `ordo run --fresh` into the run it abandons.
Status append_journal_record(const std::string& path, const std::string& json);

// Writes all of `data` to `fd` (handles short writes and EINTR).
Status write_all(int fd, std::string_view data);

// fsync(2) of a directory, so an entry just created in it survives a power loss.
Status sync_dir(const std::string& dir);

}  // namespace ordo
