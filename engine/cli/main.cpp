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
  return ordo::cli::ordo_main(argc, argv);
}
