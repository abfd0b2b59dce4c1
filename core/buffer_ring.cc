#include "core/buffer_ring.h"

#include <sys/mman.h>

#include <cstring>

#include "absl/strings/str_format.h"
#include "core/check.h"

namespace ringlet {

absl::StatusOr<std::unique_ptr<BufferRing>> BufferRing::Create(Ring* ring, uint16_t group_id,
                                                               uint32_t count,
                                                               uint32_t size_bytes) {
  if (count == 0 || count > 32768 || (count & (count - 1)) != 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("buffer ring count %u must be a power of two in [1, 32768]", count));
  }
  if (size_bytes < 64) {
    return absl::InvalidArgumentError(
        absl::StrFormat("buffer size %u is below 64 bytes", size_bytes));
  }
  std::unique_ptr<BufferRing> buffers(new BufferRing());
  buffers->ring_ = ring;
  buffers->group_id_ = group_id;
  buffers->count_ = count;
  buffers->size_bytes_ = size_bytes;
  // liburing 2.3 has no io_uring_setup_buf_ring: map the entries ourselves.
  buffers->entries_bytes_ = sizeof(io_uring_buf) * count;
  void* entries = mmap(nullptr, buffers->entries_bytes_, PROT_READ | PROT_WRITE,
                       MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
  if (entries == MAP_FAILED) {
    return absl::ResourceExhaustedError(absl::StrFormat("mmap of buffer ring: %s", strerror(errno)));
  }
  buffers->entries_ = static_cast<io_uring_buf_ring*>(entries);
  buffers->memory_bytes_ = static_cast<size_t>(size_bytes) * count;
  // The buffers themselves are mapped lazily by the kernel: pages untouched
  // by any receive cost no resident memory.
  void* memory = mmap(nullptr, buffers->memory_bytes_, PROT_READ | PROT_WRITE,
                      MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
  if (memory == MAP_FAILED) {
    return absl::ResourceExhaustedError(absl::StrFormat("mmap of receive buffers: %s", strerror(errno)));
  }
  buffers->memory_ = static_cast<uint8_t*>(memory);

  io_uring_buf_reg reg;
  std::memset(&reg, 0, sizeof(reg));
  reg.ring_addr = reinterpret_cast<uint64_t>(buffers->entries_);
  reg.ring_entries = count;
  reg.bgid = group_id;
  int rc = io_uring_register_buf_ring(ring->raw(), &reg, 0);
  if (rc < 0) {
    return absl::FailedPreconditionError(
        absl::StrFormat("io_uring_register_buf_ring: %s", strerror(-rc)));
  }
  buffers->registered_ = true;
  io_uring_buf_ring_init(buffers->entries_);
  int mask = io_uring_buf_ring_mask(count);
  for (uint32_t i = 0; i < count; ++i) {
    io_uring_buf_ring_add(buffers->entries_, buffers->memory_ + static_cast<size_t>(i) * size_bytes,
                          size_bytes, static_cast<uint16_t>(i), mask, static_cast<int>(i));
  }
  io_uring_buf_ring_advance(buffers->entries_, static_cast<int>(count));
  return buffers;
}

BufferRing::~BufferRing() {
  if (registered_) io_uring_unregister_buf_ring(ring_->raw(), group_id_);
  if (memory_ != nullptr) munmap(memory_, memory_bytes_);
  if (entries_ != nullptr) munmap(entries_, entries_bytes_);
}

uint8_t* BufferRing::Take(uint16_t buffer_id) {
  CHECK(buffer_id < count_);
  ++lent_;
  return memory_ + static_cast<size_t>(buffer_id) * size_bytes_;
}

void BufferRing::Recycle(uint16_t buffer_id) {
  CHECK(buffer_id < count_);
  DCHECK(lent_ > 0);
  --lent_;
  io_uring_buf_ring_add(entries_, memory_ + static_cast<size_t>(buffer_id) * size_bytes_,
                        size_bytes_, buffer_id, io_uring_buf_ring_mask(count_), 0);
  io_uring_buf_ring_advance(entries_, 1);
}

}  // namespace ringlet
