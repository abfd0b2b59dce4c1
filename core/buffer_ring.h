#pragma once

// BufferRing: a provided-buffer ring (IORING_REGISTER_PBUF_RING) from which
// the kernel picks a buffer for each multishot receive completion. An idle
// connection therefore holds no receive buffer: buffers belong to the shard
// and are lent to a connection only between a completion and Recycle().
//
// Shard-local: registered on, used with and unregistered from one shard's
// ring. Limits: `count` buffers (a power of two, at most 32768) of `size`
// bytes each; when all are lent out, multishot receives end with -ENOBUFS and
// their owners re-arm them at the end of the loop turn.

#include <cstddef>
#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "core/ring.h"

namespace ringlet {

class BufferRing {
 public:
  // Registers `count` buffers of `size_bytes` each as buffer group
  // `group_id` of `ring`.
  static absl::StatusOr<std::unique_ptr<BufferRing>> Create(Ring* ring, uint16_t group_id,
                                                            uint32_t count, uint32_t size_bytes);
  ~BufferRing();

  BufferRing(const BufferRing&) = delete;
  BufferRing& operator=(const BufferRing&) = delete;

  uint16_t group_id() const { return group_id_; }
  uint32_t size_bytes() const { return size_bytes_; }
  uint32_t count() const { return count_; }
  // Buffers currently lent out (received into and not yet recycled).
  uint32_t lent() const { return lent_; }

  // Returns the memory of buffer `buffer_id` (from Completion::buffer_id()),
  // and records that it is lent out. The bytes stay valid until Recycle().
  uint8_t* Take(uint16_t buffer_id);

  // Gives buffer `buffer_id` back to the kernel.
  void Recycle(uint16_t buffer_id);

 private:
  BufferRing() = default;

  Ring* ring_ = nullptr;
  io_uring_buf_ring* entries_ = nullptr;
  size_t entries_bytes_ = 0;
  uint8_t* memory_ = nullptr;
  size_t memory_bytes_ = 0;
  uint16_t group_id_ = 0;
  uint32_t count_ = 0;
  uint32_t size_bytes_ = 0;
  uint32_t lent_ = 0;
  bool registered_ = false;
};

}  // namespace ringlet
