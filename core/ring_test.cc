#include "core/ring.h"

#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "core/buffer_ring.h"
#include "gtest/gtest.h"

namespace ringlet {
namespace {

class Recorder : public RingClient {
 public:
  void OnCompletion(const Completion& completion) override { seen.push_back(completion); }
  std::vector<Completion> seen;
};

std::unique_ptr<Ring> MakeRing() {
  auto ring = Ring::Create(Ring::Options{.sq_entries = 8, .cq_entries = 64});
  EXPECT_TRUE(ring.ok()) << ring.status();
  return std::move(*ring);
}

void RunUntil(Ring& ring, const std::function<bool()>& done) {
  absl::Time give_up = absl::Now() + absl::Seconds(5);
  while (!done() && absl::Now() < give_up) {
    ASSERT_TRUE(ring.SubmitAndWait(true, absl::Now() + absl::Milliseconds(50)).ok());
    ring.DispatchCompletions();
  }
  ASSERT_TRUE(done());
}

TEST(RingTest, DeliversCompletionsToTheirOwner) {
  auto ring = MakeRing();
  Recorder a, b;
  io_uring_prep_nop(ring->Prepare(&a, 7));
  io_uring_prep_nop(ring->Prepare(&b, 9));
  EXPECT_EQ(ring->ops_in_flight(), 2u);
  RunUntil(*ring, [&] { return a.seen.size() == 1 && b.seen.size() == 1; });
  EXPECT_EQ(a.seen[0].op, 7u);
  EXPECT_EQ(b.seen[0].op, 9u);
  EXPECT_EQ(ring->ops_in_flight(), 0u);
}

TEST(RingTest, MoreSubmissionsThanTheQueueHolds) {
  auto ring = MakeRing();
  Recorder r;
  for (int i = 0; i < 100; ++i) io_uring_prep_nop(ring->Prepare(&r, i));
  RunUntil(*ring, [&] { return r.seen.size() == 100; });
}

TEST(RingTest, TimeoutFiresAndCancelWorks) {
  auto ring = MakeRing();
  Recorder r;
  __kernel_timespec short_ts{0, 1000000};   // 1 ms
  __kernel_timespec long_ts{60, 0};         // 60 s
  io_uring_prep_timeout(ring->Prepare(&r, 1), &short_ts, 0, 0);
  OpToken long_token;
  io_uring_prep_timeout(ring->Prepare(&r, 2, &long_token), &long_ts, 0, 0);
  RunUntil(*ring, [&] { return r.seen.size() == 1; });
  EXPECT_EQ(r.seen[0].op, 1u);
  EXPECT_EQ(r.seen[0].result, -ETIME);
  ring->CancelOp(long_token);
  RunUntil(*ring, [&] { return r.seen.size() == 2; });
  EXPECT_EQ(r.seen[1].op, 2u);
  EXPECT_EQ(r.seen[1].result, -ECANCELED);
  EXPECT_EQ(ring->ops_in_flight(), 0u);
}

TEST(RingTest, WaitHonoursDeadline) {
  auto ring = MakeRing();
  absl::Time start = absl::Now();
  ASSERT_TRUE(ring->SubmitAndWait(true, start + absl::Milliseconds(20)).ok());
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(15));
}

TEST(RingTest, MultishotRecvIntoProvidedBuffers) {
  auto ring = MakeRing();
  auto buffers = BufferRing::Create(ring.get(), 3, 4, 64);
  ASSERT_TRUE(buffers.ok()) << buffers.status();
  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  Recorder r;
  io_uring_sqe* sqe = ring->Prepare(&r, 5);
  io_uring_prep_recv_multishot(sqe, fds[0], nullptr, 0, 0);
  sqe->flags |= IOSQE_BUFFER_SELECT;
  sqe->buf_group = 3;
  std::string total;
  for (int i = 0; i < 10; ++i) {
    std::string piece = "piece" + std::to_string(i);
    ASSERT_EQ(write(fds[1], piece.data(), piece.size()), static_cast<ssize_t>(piece.size()));
    size_t before = r.seen.size();
    RunUntil(*ring, [&] { return r.seen.size() > before; });
    for (size_t j = before; j < r.seen.size(); ++j) {
      const Completion& c = r.seen[j];
      ASSERT_GT(c.result, 0);
      ASSERT_TRUE(c.has_buffer());
      ASSERT_TRUE(c.more());
      uint8_t* bytes = (*buffers)->Take(c.buffer_id());
      total.append(reinterpret_cast<char*>(bytes), c.result);
      (*buffers)->Recycle(c.buffer_id());
    }
  }
  EXPECT_EQ(total, "piece0piece1piece2piece3piece4piece5piece6piece7piece8piece9");
  EXPECT_EQ((*buffers)->lent(), 0u);
  close(fds[1]);
  size_t before = r.seen.size();
  RunUntil(*ring, [&] { return r.seen.size() > before; });
  EXPECT_EQ(r.seen.back().result, 0);  // end of stream ends the multishot
  EXPECT_FALSE(r.seen.back().more());
  EXPECT_EQ(ring->ops_in_flight(), 0u);
  close(fds[0]);
}

TEST(RingTest, StaleCompletionIsCaught) {
  auto ring = MakeRing();
  Recorder r;
  // A completion whose user_data names a slot that was never handed out is
  // counted as stale instead of being delivered.
  io_uring_sqe* sqe = ring->PrepareUntracked();
  io_uring_prep_nop(sqe);
  io_uring_sqe_set_data64(sqe, (uint64_t{3} << 32) | 42);
  io_uring_prep_nop(ring->Prepare(&r, 1));
  RunUntil(*ring, [&] { return r.seen.size() == 1; });
  EXPECT_EQ(ring->stale_completions(), 1u);
}

TEST(BufferRingTest, RejectsBadSizes) {
  auto ring = MakeRing();
  EXPECT_FALSE(BufferRing::Create(ring.get(), 1, 3, 4096).ok());
  EXPECT_FALSE(BufferRing::Create(ring.get(), 1, 0, 4096).ok());
  EXPECT_FALSE(BufferRing::Create(ring.get(), 1, 4, 8).ok());
}

}  // namespace
}  // namespace ringlet
