// epoll_relay: the loopback relay (bench/relay/README.md) written the
// conventional way, as the baseline relay_server is measured against.
//
// One worker thread per core, each pinned, each with its own SO_REUSEPORT
// listening socket and its own epoll instance (level-triggered, nonblocking
// sockets, TCP_NODELAY). Pairing works like relay_server: a pair lives on
// worker `pair_id % workers`; a connection whose hello arrives on another
// worker is moved there once (removed from this epoll set, passed through the
// target's locked inbox with an eventfd kick, added to the target's set), so
// relaying itself never crosses threads and takes no lock.
//
// Relaying: one read() of up to kReadBytes per readiness event, then one
// write() of those bytes straight to the partner's socket. Bytes the partner's
// socket does not take are kept in its output buffer and flushed on EPOLLOUT;
// while a partner has buffered output, the reader is not read (its EPOLLIN is
// switched off), so memory stays bounded by one read per connection.

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "bench/relay/relay_protocol.h"
#include "bench/relay/server_util.h"
#include "bench/xmpp/load_stats.h"
#include "net/address.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:15302",
          "address to listen on (port 0: the kernel picks one, see --port_file)");
ABSL_FLAG(uint32_t, threads, 0, "worker threads (one per core); 0 = one per core");
ABSL_FLAG(absl::Duration, duration, absl::ZeroDuration(),
          "stop after this long; 0 = run until SIGINT or SIGTERM");
ABSL_FLAG(std::string, port_file, "", "if set, the listening port is written to this file");

namespace ringlet::relay {
namespace {

constexpr size_t kReadBytes = 64 * 1024;
constexpr int kEventsPerWait = 512;
constexpr size_t kPendingBytesMax = 64 * 1024;

// One client connection on a worker.
struct Conn {
  int fd = -1;
  Conn* partner = nullptr;
  Hello hello;
  char hello_bytes[kHelloBytes];
  size_t hello_size = 0;
  bool joined = false;
  bool reading = true;       // EPOLLIN is on
  bool want_write = false;   // EPOLLOUT is on
  std::string out;           // bytes the socket has not taken yet
  std::string pending;       // received before the partner joined
};

// A connection moving to its pair's home worker.
struct Arrival {
  int fd;
  Hello hello;
  std::string early_bytes;
};

class Worker {
 public:
  Worker(uint32_t index, std::vector<std::unique_ptr<Worker>>* workers)
      : index_(index), workers_(workers) {}

  ~Worker() {
    for (Conn* conn : all_) {
      if (conn->fd >= 0) close(conn->fd);
      delete conn;
    }
    if (listen_fd_ >= 0) close(listen_fd_);
    if (event_fd_ >= 0) close(event_fd_);
    if (epoll_fd_ >= 0) close(epoll_fd_);
  }

  absl::Status Open(const SocketAddress& address) {
    epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
    event_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    listen_fd_ = socket(address.family(), SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (epoll_fd_ < 0 || event_fd_ < 0 || listen_fd_ < 0) {
      return absl::InternalError(absl::StrFormat("worker set-up: %s", strerror(errno)));
    }
    int one = 1;
    setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
    if (bind(listen_fd_, address.sockaddr_ptr(), address.length()) != 0 ||
        listen(listen_fd_, 4096) != 0) {
      return absl::FailedPreconditionError(
          absl::StrFormat("listen on %s: %s", address.ToString(), strerror(errno)));
    }
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.ptr = &listen_fd_;
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_fd_, &event);
    event.data.ptr = &event_fd_;
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, event_fd_, &event);
    return absl::OkStatus();
  }

  // Runs the event loop until `stop` is set.
  void Run(const std::atomic<bool>& stop) {
    unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(index_ % cores, &set);
    pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
    buffer_ = std::make_unique<char[]>(kReadBytes);
    epoll_event events[kEventsPerWait];
    while (!stop.load(std::memory_order_relaxed)) {
      int count = epoll_wait(epoll_fd_, events, kEventsPerWait, 100);
      for (int i = 0; i < count; ++i) {
        void* tag = events[i].data.ptr;
        if (tag == &listen_fd_) {
          AcceptAll();
        } else if (tag == &event_fd_) {
          TakeArrivals();
        } else {
          auto* conn = static_cast<Conn*>(tag);
          if (conn->fd < 0) continue;  // closed earlier in this batch
          uint32_t ready = events[i].events;
          if ((ready & EPOLLOUT) != 0) FlushOut(conn);
          if ((ready & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0 && conn->fd >= 0) {
            if (conn->reading) {
              ReadFrom(conn);
            } else if ((ready & (EPOLLHUP | EPOLLERR)) != 0) {
              Close(conn);  // not reading, but the socket is dead
            }
          }
        }
      }
      // Connections closed in this batch may still have been named by a
      // later event of it: free them only now.
      for (Conn* conn : closed_) {
        all_.erase(conn);
        delete conn;
      }
      closed_.clear();
    }
  }

  // Any thread: queues a connection for this worker.
  void Deliver(Arrival arrival) {
    {
      std::lock_guard<std::mutex> lock(inbox_mutex_);
      inbox_.push_back(std::move(arrival));
    }
    uint64_t one = 1;
    ssize_t n = write(event_fd_, &one, sizeof(one));
    (void)n;
  }

  uint64_t relayed_bytes() const { return relayed_bytes_; }
  uint64_t arrivals() const { return arrivals_; }

 private:
  void AcceptAll() {
    while (true) {
      int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) return;  // EAGAIN, or out of descriptors: retried next event
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      Add(fd);
    }
  }

  Conn* Add(int fd) {
    Conn* conn = new Conn();
    conn->fd = fd;
    all_.insert(conn);
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.ptr = conn;
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event);
    return conn;
  }

  void UpdateInterest(Conn* conn) {
    epoll_event event{};
    event.events = (conn->reading ? EPOLLIN : 0u) | (conn->want_write ? EPOLLOUT : 0u);
    event.data.ptr = conn;
    epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, conn->fd, &event);
  }

  void TakeArrivals() {
    uint64_t value;
    ssize_t n = read(event_fd_, &value, sizeof(value));
    (void)n;
    std::vector<Arrival> arrivals;
    {
      std::lock_guard<std::mutex> lock(inbox_mutex_);
      arrivals.swap(inbox_);
    }
    for (Arrival& arrival : arrivals) {
      ++arrivals_;
      Conn* conn = Add(arrival.fd);
      conn->hello = arrival.hello;
      conn->hello_size = kHelloBytes;
      Join(conn, arrival.early_bytes);
    }
  }

  void ReadFrom(Conn* conn) {
    ssize_t n = read(conn->fd, buffer_.get(), kReadBytes);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
      Close(conn);
      return;
    }
    if (n < 0) return;
    std::string_view bytes(buffer_.get(), static_cast<size_t>(n));
    if (conn->hello_size < kHelloBytes) {
      size_t take = std::min(bytes.size(), kHelloBytes - conn->hello_size);
      std::memcpy(conn->hello_bytes + conn->hello_size, bytes.data(), take);
      conn->hello_size += take;
      bytes.remove_prefix(take);
      if (conn->hello_size < kHelloBytes) return;
      conn->hello = DecodeHello(conn->hello_bytes);
      uint32_t home = conn->hello.pair_id % static_cast<uint32_t>(workers_->size());
      if (home != index_) {
        // Move the socket to its pair's worker; this Conn is forgotten here.
        epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, conn->fd, nullptr);
        Arrival arrival{conn->fd, conn->hello, std::string(bytes)};
        conn->fd = -1;
        closed_.push_back(conn);
        (*workers_)[home]->Deliver(std::move(arrival));
        return;
      }
      Join(conn, bytes);
      return;
    }
    Forward(conn, bytes);
  }

  void Join(Conn* conn, std::string_view early_bytes) {
    if (conn->hello.side > 1) {
      Close(conn);
      return;
    }
    Conn*& place = pairs_[conn->hello.pair_id].sides[conn->hello.side];
    if (place != nullptr) {
      Close(conn);
      return;
    }
    place = conn;
    conn->joined = true;
    conn->pending.append(early_bytes);
    Slot& slot = pairs_[conn->hello.pair_id];
    if (slot.sides[0] == nullptr || slot.sides[1] == nullptr) return;
    Conn* a = slot.sides[0];
    Conn* b = slot.sides[1];
    a->partner = b;
    b->partner = a;
    const char ready = kReadyByte;
    WriteTo(a, std::string_view(&ready, 1));
    if (b->fd >= 0) WriteTo(b, std::string_view(&ready, 1));
    for (Conn* side : {a, b}) {
      if (side->fd >= 0 && side->partner != nullptr && !side->pending.empty()) {
        std::string pending;
        pending.swap(side->pending);
        Forward(side, pending);
      }
    }
  }

  void Forward(Conn* conn, std::string_view bytes) {
    if (conn->partner == nullptr) {
      if (conn->pending.size() + bytes.size() > kPendingBytesMax) {
        Close(conn);
        return;
      }
      conn->pending.append(bytes);
      return;
    }
    relayed_bytes_ += bytes.size();
    Conn* partner = conn->partner;
    WriteTo(partner, bytes);
    // Back-pressure: stop reading while the partner has a backlog.
    if (partner->fd >= 0 && !partner->out.empty() && conn->fd >= 0 && conn->reading) {
      conn->reading = false;
      UpdateInterest(conn);
    }
  }

  // Writes `bytes` to `conn`'s socket, keeping what it does not take.
  void WriteTo(Conn* conn, std::string_view bytes) {
    if (conn->fd < 0) return;
    if (conn->out.empty()) {
      ssize_t n = write(conn->fd, bytes.data(), bytes.size());
      if (n < 0) {
        if (errno != EAGAIN && errno != EINTR) {
          Close(conn);
          return;
        }
        n = 0;
      }
      bytes.remove_prefix(static_cast<size_t>(n));
      if (bytes.empty()) return;
    }
    conn->out.append(bytes);
    if (!conn->want_write) {
      conn->want_write = true;
      UpdateInterest(conn);
    }
  }

  void FlushOut(Conn* conn) {
    if (conn->out.empty()) return;
    ssize_t n = write(conn->fd, conn->out.data(), conn->out.size());
    if (n < 0) {
      if (errno != EAGAIN && errno != EINTR) Close(conn);
      return;
    }
    conn->out.erase(0, static_cast<size_t>(n));
    if (!conn->out.empty()) return;
    conn->want_write = false;
    UpdateInterest(conn);
    // The backlog is gone: the partner may read again.
    Conn* partner = conn->partner;
    if (partner != nullptr && partner->fd >= 0 && !partner->reading) {
      partner->reading = true;
      UpdateInterest(partner);
    }
  }

  // Closes `conn` and its partner (a relay pair lives and dies together).
  void Close(Conn* conn) {
    if (conn->fd < 0) return;
    epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, conn->fd, nullptr);
    close(conn->fd);
    conn->fd = -1;
    closed_.push_back(conn);
    if (conn->joined) {
      auto it = pairs_.find(conn->hello.pair_id);
      if (it != pairs_.end()) {
        for (Conn*& side : it->second.sides) {
          if (side == conn) side = nullptr;
        }
        if (it->second.sides[0] == nullptr && it->second.sides[1] == nullptr) pairs_.erase(it);
      }
    }
    Conn* partner = conn->partner;
    conn->partner = nullptr;
    if (partner != nullptr) {
      partner->partner = nullptr;
      Close(partner);
    }
  }

  struct Slot {
    Conn* sides[2] = {nullptr, nullptr};
  };

  const uint32_t index_;
  std::vector<std::unique_ptr<Worker>>* const workers_;
  int epoll_fd_ = -1;
  int event_fd_ = -1;
  int listen_fd_ = -1;
  std::unique_ptr<char[]> buffer_;
  absl::flat_hash_set<Conn*> all_;
  std::vector<Conn*> closed_;
  absl::flat_hash_map<uint32_t, Slot> pairs_;
  std::mutex inbox_mutex_;
  std::vector<Arrival> inbox_;
  uint64_t relayed_bytes_ = 0;
  uint64_t arrivals_ = 0;
};

int Main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  auto reservation = PortReservation::Parse(absl::GetFlag(FLAGS_listen));
  if (!reservation.ok()) {
    std::fprintf(stderr, "--listen: %s\n", reservation.status().ToString().c_str());
    return 2;
  }
  uint32_t threads = absl::GetFlag(FLAGS_threads);
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::unique_ptr<Worker>> workers;
  for (uint32_t i = 0; i < threads; ++i) {
    workers.push_back(std::make_unique<Worker>(i, &workers));
    absl::Status status = workers.back()->Open(reservation->address());
    if (!status.ok()) {
      std::fprintf(stderr, "%s\n", status.ToString().c_str());
      return 1;
    }
  }
  BlockStopSignals();
  std::atomic<bool> stop{false};
  std::vector<std::thread> running;
  for (auto& worker : workers) running.emplace_back([&stop, w = worker.get()] { w->Run(stop); });
  absl::Status status = AnnounceAddress(reservation->address(), absl::GetFlag(FLAGS_port_file));
  if (!status.ok()) std::fprintf(stderr, "%s\n", status.ToString().c_str());
  if (status.ok()) WaitForStopSignal(absl::GetFlag(FLAGS_duration));
  stop.store(true);
  for (std::thread& thread : running) thread.join();
  uint64_t relayed_bytes = 0;
  uint64_t arrivals = 0;
  for (const auto& worker : workers) {
    relayed_bytes += worker->relayed_bytes();
    arrivals += worker->arrivals();
  }
  std::printf("epoll_relay: threads=%u relayed_bytes=%llu moved=%llu cpu_seconds=%.2f\n", threads,
              static_cast<unsigned long long>(relayed_bytes),
              static_cast<unsigned long long>(arrivals), bench::SelfCpuSeconds());
  return status.ok() ? 0 : 1;
}

}  // namespace
}  // namespace ringlet::relay

int main(int argc, char** argv) { return ringlet::relay::Main(argc, argv); }
