#pragma once

// The loopback relay's wire protocol, shared by relay_server, epoll_relay and
// relay_client (bench/relay/README.md).
//
// 1. A client connects and sends an 8-byte hello: its pair id and its side
//    (0 or 1), each a little-endian uint32.
// 2. Once both sides of the pair have joined, the server sends each of them
//    one byte, kReadyByte.
// 3. From then on every byte a client sends is forwarded, unchanged and in
//    order, to the other side of its pair. The server does not frame the
//    stream; the client sends fixed-size messages whose first 8 bytes are the
//    send time (CLOCK_MONOTONIC nanoseconds, little-endian), so that the
//    receiver (same host, same clock) measures the one-way latency.

#include <time.h>

#include <cstdint>
#include <cstring>

namespace ringlet::relay {

inline constexpr size_t kHelloBytes = 8;
inline constexpr char kReadyByte = 'R';
inline constexpr size_t kTimestampBytes = 8;

struct Hello {
  uint32_t pair_id = 0;
  uint32_t side = 0;
};

// Writes `hello` into `out` (kHelloBytes bytes).
inline void EncodeHello(const Hello& hello, char* out) {
  std::memcpy(out, &hello.pair_id, 4);  // x86-64 is little-endian
  std::memcpy(out + 4, &hello.side, 4);
}

// Reads a hello from `in` (kHelloBytes bytes).
inline Hello DecodeHello(const char* in) {
  Hello hello;
  std::memcpy(&hello.pair_id, in, 4);
  std::memcpy(&hello.side, in + 4, 4);
  return hello;
}

// Returns CLOCK_MONOTONIC in nanoseconds (a vDSO call, no syscall).
inline int64_t MonotonicNanoseconds() {
  timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return int64_t{now.tv_sec} * 1000000000 + now.tv_nsec;
}

}  // namespace ringlet::relay
