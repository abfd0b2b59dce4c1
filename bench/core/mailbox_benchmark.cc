// Mailbox benchmarks (docs/architecture.md, "The mailbox").
//
// BM_MailboxBatched / BM_MailboxUnbatched: raw throughput of one
// (producer, consumer) pair of MailboxPorts, each on its own thread (the
// benchmark thread produces, a second thread consumes), without shards or
// rings around them. "Batched" stages a whole batch (as one loop turn would)
// and publishes it with one Flush(); "unbatched" flushes after every
// message. The argument is the batch size (messages per iteration).
//
// BM_MailboxWakeLatency/msg_ring and /eventfd: two real shards bounce one
// message back and forth; each shard has nothing else to do, so it is asleep
// in io_uring_enter whenever the message reaches it and every hop pays a
// wake-up. Each iteration starts a fresh ShardGroup, times kRoundTrips round
// trips (after kWarmupRoundTrips) on the shards' own clocks, and reports the
// time per round trip with manual timing. `wake_fraction` counts how many
// hops really sent a wake-up (1.0 = every hop found its receiver asleep).
// This is the measurement that picks ShardOptions::wake_mode's default.

#include <pthread.h>
#include <sched.h>
#include <time.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>

#include "absl/time/clock.h"
#include "benchmark/benchmark.h"
#include "core/check.h"
#include "core/log.h"
#include "core/mailbox.h"
#include "core/shard.h"

namespace ringlet {
namespace {

constexpr uint32_t kMailboxDepth = 4096;

// Shards log their start and stop at info level; keep the tables readable.
const bool kQuietLogs = [] {
  SetLogLevel(LogLevel::kWarning);
  return true;
}();

// Pins the calling thread to `core` (modulo the cores present) so that the
// two ends of a pair never share a core while the other one is idle.
void PinToCore(unsigned core) {
  unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(core % cores, &set);
  pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

// An owned payload moving through the ring (allocated by the producer,
// freed by the consumer): the shape of a routed stanza.
struct BytesPayload final : public MailPayload {
  char bytes[100];
};

// Producer on the benchmark thread, consumer on its own thread. Flushes
// after every `flush_every` messages of a `batch`-message iteration; with
// `owned_payload`, each message carries a heap-allocated BytesPayload.
void RunPair(benchmark::State& state, int64_t batch, int64_t flush_every,
             bool owned_payload = false) {
  Mailbox mailbox(2, kMailboxDepth);
  const ShardId producer_id(0);
  const ShardId consumer_id(1);
  // Nobody sleeps here, so no wake-up is ever needed.
  MailboxPort producer(&mailbox, producer_id, [](ShardId) {});
  MailboxPort consumer(&mailbox, consumer_id, [](ShardId) {});

  std::atomic<bool> producer_done{false};
  std::atomic<uint64_t> produced_total{0};
  uint64_t consumed = 0;
  uint64_t checksum = 0;
  std::thread consumer_thread([&] {
    PinToCore(1);
    while (true) {
      size_t handled = consumer.Drain([&](ShardId, MailMessage& message) {
        checksum += message.value;
        benchmark::DoNotOptimize(message.payload.get());
        ++consumed;
      });
      if (handled == 0 && producer_done.load(std::memory_order_acquire) &&
          consumed == produced_total.load(std::memory_order_relaxed)) {
        break;
      }
    }
  });

  PinToCore(0);
  uint64_t produced = 0;
  for (auto _ : state) {
    // A full ring parks messages in the overflow list; publish them before
    // adding more so the list stays short (what back-pressure would do).
    while (producer.Congested(consumer_id)) producer.Flush();
    for (int64_t i = 0; i < batch; ++i) {
      std::unique_ptr<MailPayload> payload;
      if (owned_payload) payload = std::make_unique<BytesPayload>();
      producer.Post(consumer_id, MailMessage{1, produced++, std::move(payload)});
      if ((i + 1) % flush_every == 0) producer.Flush();
    }
  }
  while (producer.Congested(consumer_id)) producer.Flush();
  producer.Flush();
  produced_total.store(produced, std::memory_order_relaxed);
  producer_done.store(true, std::memory_order_release);
  consumer_thread.join();
  CHECK(consumed == produced);
  CHECK(checksum == produced * (produced - 1) / 2 || produced == 0);
  state.SetItemsProcessed(static_cast<int64_t>(produced));
}

void BM_MailboxBatched(benchmark::State& state) {
  RunPair(state, state.range(0), state.range(0));
}
BENCHMARK(BM_MailboxBatched)->Arg(64)->Arg(256)->UseRealTime();

void BM_MailboxUnbatched(benchmark::State& state) { RunPair(state, state.range(0), 1); }
BENCHMARK(BM_MailboxUnbatched)->Arg(64)->Arg(256)->UseRealTime();

void BM_MailboxBatchedOwnedPayload(benchmark::State& state) {
  RunPair(state, state.range(0), state.range(0), /*owned_payload=*/true);
}
BENCHMARK(BM_MailboxBatchedOwnedPayload)->Arg(256)->UseRealTime();

constexpr uint32_t kPing = 1;
constexpr uint64_t kWarmupRoundTrips = 50;
constexpr uint64_t kRoundTrips = 2000;

int64_t MonotonicNanoseconds() {
  timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return int64_t{now.tv_sec} * 1000000000 + now.tv_nsec;
}

// One ping-pong run between shard 0 and shard 1. Message values count
// round trips; shard 1 returns each value unchanged.
struct PingPongRun {
  std::atomic<int64_t> start_ns{0};
  std::atomic<int64_t> end_ns{0};
  std::atomic<bool> done{false};
  // Wake-ups sent by each shard, sampled at the start and end of the timed part.
  std::atomic<uint64_t> wakeups_at_start[2];
  std::atomic<uint64_t> wakeups_now[2];
};

void BM_MailboxWakeLatency(benchmark::State& state, WakeMode mode) {
  double total_seconds = 0;
  double wake_hops = 0;
  uint64_t timed_round_trips = 0;
  for (auto _ : state) {
    ShardGroup::Options options;
    options.shard_count = 2;
    options.mailbox_depth = 64;
    options.shard.ring = Ring::Options{.sq_entries = 64, .cq_entries = 256};
    options.shard.recv_buffer_count = 16;
    options.shard.recv_buffer_bytes = 1024;
    options.shard.wake_mode = mode;
    options.shard.pin_to_core = true;
    ShardGroup group(options);
    PingPongRun run;
    for (int i = 0; i < 2; ++i) {
      run.wakeups_at_start[i] = 0;
      run.wakeups_now[i] = 0;
    }
    absl::Status status = group.Start([&run](Shard& shard) {
      shard.SetMessageHandler(kPing, [&run, s = &shard](ShardId from, MailMessage& message) {
        const uint32_t self = s->id().value();
        const uint64_t round_trip = message.value;
        run.wakeups_now[self].store(s->mailbox().wakeups_sent(), std::memory_order_relaxed);
        if (self == 1) {
          if (round_trip == kWarmupRoundTrips) {
            run.wakeups_at_start[1].store(s->mailbox().wakeups_sent(), std::memory_order_relaxed);
          }
          s->mailbox().Post(from, MailMessage{kPing, round_trip, nullptr});
          return;
        }
        if (round_trip == kWarmupRoundTrips) {
          run.start_ns.store(MonotonicNanoseconds(), std::memory_order_relaxed);
          run.wakeups_at_start[0].store(s->mailbox().wakeups_sent(), std::memory_order_relaxed);
        }
        if (round_trip == kWarmupRoundTrips + kRoundTrips) {
          run.end_ns.store(MonotonicNanoseconds(), std::memory_order_relaxed);
          run.done.store(true, std::memory_order_release);
          return;
        }
        s->mailbox().Post(from, MailMessage{kPing, round_trip + 1, nullptr});
      });
      if (shard.id() == ShardId(0)) shard.mailbox().Post(ShardId(1), MailMessage{kPing, 1, nullptr});
      return absl::OkStatus();
    });
    CHECK_MSG(status.ok(), "shard group failed to start");
    absl::Time give_up = absl::Now() + absl::Seconds(30);
    while (!run.done.load(std::memory_order_acquire) && absl::Now() < give_up) {
      absl::SleepFor(absl::Milliseconds(1));
    }
    CHECK_MSG(run.done.load(), "ping-pong did not finish in 30 s");
    group.RequestStop();
    group.Join();
    double seconds = (run.end_ns.load() - run.start_ns.load()) * 1e-9;
    state.SetIterationTime(seconds);
    total_seconds += seconds;
    timed_round_trips += kRoundTrips;
    for (int i = 0; i < 2; ++i) {
      wake_hops += static_cast<double>(run.wakeups_now[i].load() - run.wakeups_at_start[i].load());
    }
  }
  state.counters["round_trip_ns"] = total_seconds * 1e9 / static_cast<double>(timed_round_trips);
  state.counters["hop_ns"] = total_seconds * 1e9 / static_cast<double>(2 * timed_round_trips);
  state.counters["wake_fraction"] = wake_hops / static_cast<double>(2 * timed_round_trips);
  state.SetItemsProcessed(static_cast<int64_t>(timed_round_trips));
}
BENCHMARK_CAPTURE(BM_MailboxWakeLatency, msg_ring, WakeMode::kMsgRing)
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_MailboxWakeLatency, eventfd, WakeMode::kEventfd)
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace ringlet
