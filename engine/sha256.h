// SHA-256 (FIPS 180-4), small and dependency-free: the plan digest in the journal and the step
// fingerprints that `ordo resume` compares. Not for passwords or MACs beyond that use.
// Sha256 is a plain value (one per thread); sha256_hex() is a pure function, thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace ordo {

class Sha256 {
 public:
  Sha256();
  void update(std::string_view data);
  // The digest of everything updated so far. REQUIRES: called once; update() not after it.
  std::array<uint8_t, 32> finish();
  // finish() as 64 lower-case hex digits.
  std::string finish_hex();

 private:
  void block(const uint8_t* p);

  std::array<uint32_t, 8> h_;
  std::array<uint8_t, 64> buf_{};
  size_t buf_len_ = 0;
  uint64_t total_ = 0;  // bytes
};

// The hex digest of `data`.
std::string sha256_hex(std::string_view data);

}  // namespace ordo
