#include "net/connection.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "core/shard.h"
#include "gtest/gtest.h"
#include "net/connection_table.h"
#include "net/connector.h"
#include "net/listener.h"
#include "net/test_util.h"

namespace ringlet {
namespace {

using ::ringlet::testing::ConnectBlocking;
using ::ringlet::testing::ReadAtMost;
using ::ringlet::testing::WaitForClose;
using ::ringlet::testing::WriteAll;

constexpr uint32_t kMoveKind = 1;

// Echoes every byte; deletes itself when the connection goes away.
class EchoHandler : public ConnectionHandler {
 public:
  explicit EchoHandler(std::atomic<uint64_t>* echoed = nullptr) : echoed_(echoed) {}
  void OnReceive(Connection& connection, std::string_view bytes) override {
    if (echoed_ != nullptr) echoed_->fetch_add(bytes.size());
    EXPECT_TRUE(connection.Send(bytes).ok());
  }
  void OnClosed(Connection&, const absl::Status&) override { delete this; }
  void OnHandedOver(Connection&) override { delete this; }

 private:
  std::atomic<uint64_t>* echoed_;
};

// Echoes, and after `threshold` bytes moves the connection to shard 1.
class MovingEchoHandler : public EchoHandler {
 public:
  explicit MovingEchoHandler(uint64_t threshold) : threshold_(threshold) {}
  void OnReceive(Connection& connection, std::string_view bytes) override {
    EchoHandler::OnReceive(connection, bytes);
    seen_ += bytes.size();
    if (seen_ >= threshold_ && connection.open()) {
      connection.Handover(ShardId(1), kMoveKind, nullptr);
    }
  }

 private:
  uint64_t threshold_;
  uint64_t seen_ = 0;
};

struct ServerConfig {
  uint32_t shards = 1;
  ConnectionTableLimits limits;
  std::string listen = "127.0.0.1:0";
  std::function<ConnectionHandler*()> make_handler = [] { return new EchoHandler(); };
};

// Runs a ShardGroup whose shard 0 listens on 127.0.0.1 (port chosen by the
// kernel) and whose every shard adopts hand-overs with an echo handler.
class TestServer {
 public:
  explicit TestServer(ServerConfig config) : config_(std::move(config)) {
    ShardGroup::Options options;
    options.shard_count = config_.shards;
    options.mailbox_depth = 256;
    options.shard.ring = Ring::Options{.sq_entries = 256, .cq_entries = 4096};
    options.shard.recv_buffer_count = 64;
    options.shard.recv_buffer_bytes = 2048;
    options.shard.pin_to_core = false;
    options.shard.shutdown_timeout = absl::Seconds(3);
    group_ = std::make_unique<ShardGroup>(options);
    absl::Status status = group_->Start([this](Shard& shard) -> absl::Status {
      auto* table = static_cast<ConnectionTable*>(
          shard.AddService(std::make_unique<ConnectionTable>(&shard, config_.limits)));
      table->SetAdopter(kMoveKind, [this, s = &shard](Connection& connection,
                                                      std::unique_ptr<MailPayload>) {
        adopted_on_.store(s->id().value());
        connection.set_handler(new EchoHandler(&echoed_after_move_));
        connection.Start();
      });
      if (shard.id() != ShardId(0)) return absl::OkStatus();
      ListenerOptions listen;
      listen.address = *SocketAddress::Parse(config_.listen);
      auto listener = Listener::Create(&shard, table, listen, [this](Connection& connection) {
        connection.set_handler(config_.make_handler());
        connection.Start();
      });
      if (!listener.ok()) return listener.status();
      address_ = (*listener)->local_address();
      shard.AddService(std::move(*listener));
      return absl::OkStatus();
    });
    EXPECT_TRUE(status.ok()) << status;
  }
  ~TestServer() { Stop(); }

  void Stop() {
    group_->RequestStop();
    group_->Join();
  }

  const SocketAddress& address() const { return address_; }
  ShardGroup& group() { return *group_; }
  std::atomic<uint64_t> echoed_after_move_{0};
  std::atomic<int> adopted_on_{-1};

 private:
  ServerConfig config_;
  std::unique_ptr<ShardGroup> group_;
  SocketAddress address_;
};

TEST(ConnectionTest, EchoesOnManyConnections) {
  TestServer server({});
  constexpr int kConnections = 500;
  std::vector<int> fds;
  for (int i = 0; i < kConnections; ++i) {
    auto fd = ConnectBlocking(server.address());
    ASSERT_TRUE(fd.ok()) << fd.status();
    fds.push_back(*fd);
  }
  for (int i = 0; i < kConnections; ++i) {
    ASSERT_TRUE(WriteAll(fds[i], "message " + std::to_string(i)).ok());
  }
  for (int i = 0; i < kConnections; ++i) {
    std::string expected = "message " + std::to_string(i);
    EXPECT_EQ(ReadAtMost(fds[i], expected.size(), absl::Seconds(5)), expected);
    close(fds[i]);
  }
}

TEST(ConnectionTest, LargeTransferUsesManyBuffersAndKeepsOrder) {
  TestServer server({});
  auto fd = ConnectBlocking(server.address());
  ASSERT_TRUE(fd.ok());
  std::string data(4 << 20, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>('a' + (i * 7) % 26);
  std::thread writer([&] { ASSERT_TRUE(WriteAll(*fd, data).ok()); });
  std::string echoed = ReadAtMost(*fd, data.size(), absl::Seconds(20));
  writer.join();
  EXPECT_EQ(echoed.size(), data.size());
  EXPECT_TRUE(echoed == data);
  close(*fd);
}

TEST(ConnectionTest, PeerCloseIsNoticed) {
  std::atomic<int> closed{0};
  class Recorder : public EchoHandler {
   public:
    explicit Recorder(std::atomic<int>* closed) : closed_(closed) {}
    void OnClosed(Connection& c, const absl::Status& reason) override {
      if (reason.ok()) closed_->fetch_add(1);
      EchoHandler::OnClosed(c, reason);
    }
    std::atomic<int>* closed_;
  };
  ServerConfig config;
  config.make_handler = [&] { return new Recorder(&closed); };
  TestServer server(config);
  for (int i = 0; i < 10; ++i) {
    auto fd = ConnectBlocking(server.address());
    ASSERT_TRUE(fd.ok());
    close(*fd);
  }
  absl::Time give_up = absl::Now() + absl::Seconds(5);
  while (closed.load() < 10 && absl::Now() < give_up) absl::SleepFor(absl::Milliseconds(5));
  EXPECT_EQ(closed.load(), 10);
}

TEST(ConnectionTest, IdleConnectionIsClosed) {
  ServerConfig config;
  config.limits.connection.idle_timeout = absl::Milliseconds(100);
  TestServer server(config);
  auto fd = ConnectBlocking(server.address());
  ASSERT_TRUE(fd.ok());
  absl::Time start = absl::Now();
  EXPECT_TRUE(WaitForClose(*fd, absl::Seconds(5)));
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(80));
  close(*fd);
}

TEST(ConnectionTest, PerAddressLimitRefusesTheNextConnection) {
  ServerConfig config;
  config.limits.connections_per_address_max = 2;
  TestServer server(config);
  auto a = ConnectBlocking(server.address());
  auto b = ConnectBlocking(server.address());
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE(WriteAll(*a, "x").ok());
  ASSERT_TRUE(WriteAll(*b, "y").ok());
  EXPECT_EQ(ReadAtMost(*a, 1, absl::Seconds(5)), "x");
  EXPECT_EQ(ReadAtMost(*b, 1, absl::Seconds(5)), "y");
  auto c = ConnectBlocking(server.address());
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(WaitForClose(*c, absl::Seconds(5)));
  // Another source address is not affected.
  auto d = ConnectBlocking(server.address(), "127.0.0.2");
  ASSERT_TRUE(d.ok());
  ASSERT_TRUE(WriteAll(*d, "z").ok());
  EXPECT_EQ(ReadAtMost(*d, 1, absl::Seconds(5)), "z");
  for (int fd : {*a, *b, *c, *d}) close(fd);
}

// The reader stops reading at the first byte and resumes 100 ms later;
// everything sent meanwhile still arrives, once, in order.
TEST(ConnectionTest, PauseAndResumeReadingLosesNothing) {
  class Pausing : public EchoHandler {
    void OnReceive(Connection& connection, std::string_view bytes) override {
      EchoHandler::OnReceive(connection, bytes);
      if (!paused_once_) {
        paused_once_ = true;
        connection.PauseReading();
        Connection* c = &connection;
        connection.shard().timers().Add(connection.shard().now() + absl::Milliseconds(100),
                                        [c] { c->ResumeReading(); });
      }
    }
    bool paused_once_ = false;
  };
  ServerConfig config;
  config.make_handler = [] { return new Pausing(); };
  TestServer server(config);
  auto fd = ConnectBlocking(server.address());
  ASSERT_TRUE(fd.ok());
  std::string data;
  for (int i = 0; i < 20000; ++i) data += std::to_string(i) + ",";
  ASSERT_TRUE(WriteAll(*fd, data).ok());
  EXPECT_EQ(ReadAtMost(*fd, data.size(), absl::Seconds(10)), data);
  close(*fd);
}

// A client streams numbered bytes without pause while the server moves its
// connection from shard 0 to shard 1 in the middle; the echo comes back
// complete and in order, and the tail was echoed by shard 1.
TEST(ConnectionTest, HandoverUnderTrafficLosesAndDuplicatesNothing) {
  ServerConfig config;
  config.shards = 2;
  config.make_handler = [] { return new MovingEchoHandler(300000); };
  TestServer server(config);
  auto fd = ConnectBlocking(server.address());
  ASSERT_TRUE(fd.ok());
  std::string data;
  for (int i = 0; data.size() < (2 << 20); ++i) data += std::to_string(i) + " ";
  std::thread writer([&] {
    for (size_t offset = 0; offset < data.size(); offset += 1000) {
      ASSERT_TRUE(WriteAll(*fd, std::string_view(data).substr(offset, 1000)).ok());
    }
  });
  std::string echoed = ReadAtMost(*fd, data.size(), absl::Seconds(20));
  writer.join();
  EXPECT_EQ(echoed.size(), data.size());
  EXPECT_TRUE(echoed == data);
  EXPECT_EQ(server.adopted_on_.load(), 1);
  EXPECT_GT(server.echoed_after_move_.load(), 0u);
  close(*fd);
}

// A handler owned by its hand-over state, as a c2s session on its way to
// its home shard is. It closes its own connection right after asking for
// the hand-over (as a shutdown or a stream error can): the state, and the
// handler with it, must be freed once, after the call returns, and the
// handler never called again.
class HandoverThenCloseHandler : public ConnectionHandler {
 public:
  struct Owner final : public MailPayload {
    std::unique_ptr<HandoverThenCloseHandler> handler;
  };
  explicit HandoverThenCloseHandler(std::atomic<int>* destroyed) : destroyed_(destroyed) {}
  ~HandoverThenCloseHandler() override { destroyed_->fetch_add(1); }
  void OnReceive(Connection& connection, std::string_view) override {
    auto owner = std::make_unique<Owner>();
    owner->handler.reset(this);
    connection.Handover(ShardId(1), kMoveKind, std::move(owner));
    connection.Close(CloseMode::kOrderly);
    called_after_close_ = true;  // still alive here: freed after the turn
  }
  void OnClosed(Connection&, const absl::Status&) override { ADD_FAILURE() << "OnClosed"; }
  void OnHandedOver(Connection&) override { ADD_FAILURE() << "OnHandedOver"; }

 private:
  std::atomic<int>* destroyed_;
  bool called_after_close_ = false;
};

TEST(ConnectionTest, CloseDuringHandoverFreesTheOwnerOnceAndCallsNoOne) {
  static std::atomic<int> destroyed{0};
  destroyed = 0;
  ServerConfig config;
  config.shards = 2;
  config.make_handler = [] { return new HandoverThenCloseHandler(&destroyed); };
  TestServer server(config);
  auto fd = ConnectBlocking(server.address());
  ASSERT_TRUE(fd.ok());
  ASSERT_TRUE(WriteAll(*fd, "x").ok());
  EXPECT_TRUE(WaitForClose(*fd, absl::Seconds(5)));
  close(*fd);
  server.Stop();
  EXPECT_EQ(destroyed.load(), 1);
  EXPECT_EQ(server.adopted_on_.load(), -1);
}

// Counts NotifyWhenSent outcomes; sends `bytes` on the first receive.
class NotifyingHandler : public ConnectionHandler {
 public:
  NotifyingHandler(std::string bytes, std::atomic<int>* sent, std::atomic<int>* failed)
      : bytes_(std::move(bytes)), sent_(sent), failed_(failed) {}
  void OnReceive(Connection& connection, std::string_view) override {
    if (done_) return;
    done_ = true;
    for (size_t offset = 0; offset < bytes_.size(); offset += 65536) {
      EXPECT_TRUE(connection.Send(std::string(bytes_.substr(offset, 65536))).ok());
    }
    connection.NotifyWhenSent([this](bool ok) { (ok ? sent_ : failed_)->fetch_add(1); });
  }
  void OnClosed(Connection&, const absl::Status&) override { delete this; }

 private:
  std::string bytes_;
  std::atomic<int>* sent_;
  std::atomic<int>* failed_;
  bool done_ = false;
};

// NotifyWhenSent reports true only once all bytes before it were written,
// and false when the connection goes first.
TEST(ConnectionTest, NotifyWhenSentWaitsForTheBytesOrTheClose) {
  static std::atomic<int> sent{0}, failed{0};
  ServerConfig config;
  config.limits.connection.send_queue_bytes_max = 64 << 20;
  std::string payload(32 << 20, 'x');
  config.make_handler = [&] { return new NotifyingHandler(payload, &sent, &failed); };
  TestServer server(config);
  // A reader that takes everything: the callback says "sent".
  auto fd = ConnectBlocking(server.address());
  ASSERT_TRUE(fd.ok());
  ASSERT_TRUE(WriteAll(*fd, "go").ok());
  EXPECT_EQ(ReadAtMost(*fd, payload.size(), absl::Seconds(10)).size(), payload.size());
  for (int i = 0; i < 100 && sent.load() == 0; ++i) absl::SleepFor(absl::Milliseconds(10));
  EXPECT_EQ(sent.load(), 1);
  EXPECT_EQ(failed.load(), 0);
  close(*fd);
  // A reader that takes nothing and goes away: 32 MiB cannot all be
  // written into the socket buffers, so the callback says "not sent".
  auto quiet = ConnectBlocking(server.address());
  ASSERT_TRUE(quiet.ok());
  ASSERT_TRUE(WriteAll(*quiet, "go").ok());
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_EQ(sent.load(), 1);
  struct linger abort_on_close = {1, 0};
  setsockopt(*quiet, SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof(abort_on_close));
  close(*quiet);
  for (int i = 0; i < 300 && failed.load() == 0; ++i) absl::SleepFor(absl::Milliseconds(10));
  EXPECT_EQ(failed.load(), 1);
  EXPECT_EQ(sent.load(), 1);
}

TEST(ConnectionTest, StopClosesOpenConnectionsAndReturns) {
  TestServer server({});
  std::vector<int> fds;
  for (int i = 0; i < 50; ++i) {
    auto fd = ConnectBlocking(server.address());
    ASSERT_TRUE(fd.ok());
    fds.push_back(*fd);
  }
  ASSERT_TRUE(WriteAll(fds[0], "ping").ok());
  EXPECT_EQ(ReadAtMost(fds[0], 4, absl::Seconds(5)), "ping");
  absl::Time start = absl::Now();
  server.Stop();
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
  for (int fd : fds) {
    EXPECT_TRUE(WaitForClose(fd, absl::Seconds(1)));
    close(fd);
  }
}

TEST(ConnectorTest, ConnectsAndReportsFailures) {
  TestServer server({});
  // A second group acts as the client side.
  ShardGroup::Options options;
  options.shard.pin_to_core = false;
  options.shard.recv_buffer_count = 16;
  ShardGroup client(options);
  std::atomic<int> state{0};  // 1 once the echo came back
  std::atomic<int> refused{0};  // 1 once the second connect was refused
  std::string echoed;
  SocketAddress target = server.address();
  class Collector : public ConnectionHandler {
   public:
    Collector(std::string* out, std::atomic<int>* state) : out_(out), state_(state) {}
    void OnReceive(Connection& c, std::string_view bytes) override {
      out_->append(bytes);
      if (*out_ == "hello") {
        state_->store(1);
        c.Close(CloseMode::kOrderly);
      }
    }
    void OnClosed(Connection&, const absl::Status&) override { delete this; }
    std::string* out_;
    std::atomic<int>* state_;
  };
  ASSERT_TRUE(client
                  .Start([&](Shard& shard) {
                    auto* table = static_cast<ConnectionTable*>(shard.AddService(
                        std::make_unique<ConnectionTable>(&shard, ConnectionTableLimits{})));
                    auto* connector = static_cast<Connector*>(
                        shard.AddService(std::make_unique<Connector>(&shard, table)));
                    ConnectOptions to;
                    to.to = target;
                    to.from = *SocketAddress::Parse("127.0.0.3:0");
                    connector->Connect(to, [&, connector](absl::StatusOr<Connection*> c) {
                      ASSERT_TRUE(c.ok()) << c.status();
                      (*c)->set_handler(new Collector(&echoed, &state));
                      (*c)->Start();
                      ASSERT_TRUE((*c)->Send(std::string_view("hello")).ok());
                      // Then a port nobody listens on (bound and closed).
                      ConnectOptions nowhere;
                      nowhere.to = *SocketAddress::Parse("127.0.0.1:1");
                      connector->Connect(nowhere, [&](absl::StatusOr<Connection*> r) {
                        EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
                        refused.store(1);
                      });
                    });
                    return absl::OkStatus();
                  })
                  .ok());
  absl::Time give_up = absl::Now() + absl::Seconds(5);
  while ((state.load() != 1 || refused.load() != 1) && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_EQ(state.load(), 1);
  EXPECT_EQ(refused.load(), 1);
  client.RequestStop();
  client.Join();
}

TEST(ListenerTest, UnixSocketReplacesStaleFileIsPrivateAndIsRemoved) {
  // $TEST_TMPDIR is longer than a socket path may be (107 bytes): reach it
  // through a short symbolic link.
  const std::string link = "/tmp/ringlet-net-test-" + std::to_string(getpid());
  unlink(link.c_str());
  ASSERT_EQ(symlink(getenv("TEST_TMPDIR"), link.c_str()), 0);
  const std::string path = link + "/echo.sock";
  auto address = SocketAddress::Parse("unix:" + path);
  ASSERT_TRUE(address.ok()) << address.status();
  // A stale socket file: bound, never listening, closed without unlink.
  int stale = socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_EQ(bind(stale, address->sockaddr_ptr(), address->length()), 0);
  close(stale);
  {
    ServerConfig config;
    config.listen = "unix:" + path;
    TestServer server(config);
    EXPECT_EQ(server.address().ToString(), "unix:" + path);
    struct stat info;
    ASSERT_EQ(stat(path.c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0600u);
    auto fd = ConnectBlocking(*address);
    ASSERT_TRUE(fd.ok()) << fd.status();
    ASSERT_TRUE(WriteAll(*fd, "over unix").ok());
    EXPECT_EQ(ReadAtMost(*fd, 9, absl::Seconds(5)), "over unix");
    close(*fd);

    // A live socket is never taken over.
    ShardGroup::Options options;
    options.shard.pin_to_core = false;
    options.shard.recv_buffer_count = 8;
    ShardGroup other(options);
    absl::Status status = other.Start([&](Shard& shard) -> absl::Status {
      auto* table = static_cast<ConnectionTable*>(
          shard.AddService(std::make_unique<ConnectionTable>(&shard, ConnectionTableLimits())));
      ListenerOptions listen;
      listen.address = *address;
      auto listener = Listener::Create(&shard, table, listen, [](Connection&) {});
      if (!listener.ok()) return listener.status();
      shard.AddService(std::move(*listener));
      return absl::OkStatus();
    });
    EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
    other.RequestStop();
    other.Join();
    EXPECT_EQ(stat(path.c_str(), &info), 0) << "the live socket file must stay";
  }
  struct stat info;
  EXPECT_NE(stat(path.c_str(), &info), 0) << "the socket file is removed at stop";
  unlink(link.c_str());
}

}  // namespace
}  // namespace ringlet
