#include <signal.h>

#include <cstdlib>  // defines __GLIBC__ on glibc

#include "app.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

int main(int argc, char** argv) {
#if defined(__GLIBC__)
  // A fixed mmap threshold (the default, 128 KiB). Left dynamic, glibc raises it to the size of
  // the largest mmapped block freed so far — the plan's text, 8 MB for 100k steps — and from
  // then on serves every smaller large block (a graph's scratch vectors, the step ids of the
  // run-started event) from the heap, where it stays resident after it is freed.
  mallopt(M_MMAP_THRESHOLD, 128 * 1024);
#endif
  // SIGCHLD blocked in every thread (they inherit this mask; each step's child starts with an
  // empty one). ordo watches its children through pidfds and never uses the signal. Left
  // unblocked, each child's exit that arrives while the launching thread has every signal
  // blocked (in vfork) is routed to another of ordo's threads and wakes it for nothing.
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  pthread_sigmask(SIG_BLOCK, &chld, nullptr);
  return ordo::cli::ordo_main(argc, argv);
}
