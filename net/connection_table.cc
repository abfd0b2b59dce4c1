#include "net/connection_table.h"

#include <unistd.h>

#include <utility>

#include "absl/strings/str_format.h"
#include "core/check.h"
#include "core/log.h"

namespace ringlet {
namespace {

// What travels through the mailbox when a connection changes shards.
struct HandoverPayload final : public MailPayload {
  ~HandoverPayload() override {
    if (fd >= 0) close(fd);  // never adopted (shutdown mid-flight)
  }
  int fd = -1;
  ConnId id;
  SocketAddress peer;
  uint32_t kind = 0;
  std::unique_ptr<MailPayload> owner_state;
  std::string carry;
  std::deque<std::string> send_queue;
  size_t send_front_offset = 0;
  size_t queued_bytes = 0;
  bool reading_paused = false;
};

}  // namespace

ConnectionTable::ConnectionTable(Shard* shard, const ConnectionTableLimits& limits)
    : shard_(shard), limits_(limits) {
  shard_->SetMessageHandler(kMailHandover,
                            [this](ShardId, MailMessage& message) { OnHandoverMessage(message); });
}

// Reached with connections only past the shutdown timeout: their ring
// operations die with the ring, which the shard destroys after us.
ConnectionTable::~ConnectionTable() = default;

Connection* ConnectionTable::Insert(ConnId id, int fd, const SocketAddress& peer) {
  auto connection = std::unique_ptr<Connection>(
      new Connection(this, shard_, id, fd, peer, limits_.connection));
  Connection* raw = connection.get();
  Counted& entry = connections_[id.value()];
  entry.connection = std::move(connection);
  entry.address_key = peer.HostString();
  ++per_address_[entry.address_key];
  return raw;
}

absl::StatusOr<Connection*> ConnectionTable::Admit(int fd, const SocketAddress& peer) {
  std::string key = peer.HostString();
  std::string refusal;
  if (shard_->stopping()) {
    refusal = "shard is stopping";
  } else if (connections_.size() >= limits_.connections_max) {
    refusal = absl::StrFormat("connections_max (%u) reached on this shard",
                              static_cast<unsigned>(limits_.connections_max));
  } else if (auto it = per_address_.find(key);
             it != per_address_.end() && it->second >= limits_.connections_per_address_max) {
    refusal = absl::StrFormat("connections_per_address_max (%u) reached for %s",
                              static_cast<unsigned>(limits_.connections_per_address_max), key);
  }
  if (!refusal.empty()) {
    ++refused_;
    close(fd);
    LOG_DEBUG("refused connection from %s: %s", peer.ToString(), refusal);
    return absl::ResourceExhaustedError(refusal);
  }
  return Insert(ConnId::Make(shard_->id().value(), next_counter_++), fd, peer);
}

std::unique_ptr<Connection::SendBlock> ConnectionTable::TakeSendBlock() {
  if (free_send_blocks_.empty()) return std::make_unique<Connection::SendBlock>();
  std::unique_ptr<Connection::SendBlock> block = std::move(free_send_blocks_.back());
  free_send_blocks_.pop_back();
  return block;
}

void ConnectionTable::ReturnSendBlock(std::unique_ptr<Connection::SendBlock> block) {
  if (block != nullptr && free_send_blocks_.size() < kSendBlocksKept) {
    free_send_blocks_.push_back(std::move(block));
  }
}

void ConnectionTable::SetAdopter(uint32_t kind, Adopter adopter) {
  adopters_[kind] = std::move(adopter);
}

void ConnectionTable::Stop() {
  std::vector<Connection*> open;
  for (auto& [id, entry] : connections_) open.push_back(entry.connection.get());
  for (Connection* connection : open) {
    if (!connection->open()) continue;
    if (shutdown_hook_) {
      shutdown_hook_(*connection);
    } else {
      connection->Close(CloseMode::kOrderly, absl::CancelledError("server shutting down"));
    }
  }
}

void ConnectionTable::Retire(Connection* connection) {
  auto it = connections_.find(connection->id().value());
  CHECK(it != connections_.end());
  auto address = per_address_.find(it->second.address_key);
  if (address != per_address_.end() && --address->second == 0) per_address_.erase(address);
  // The connection may still be in this turn's work list: free it after.
  shard_->RunAfterTurnWork([connection = std::move(it->second.connection)]() mutable {
    connection.reset();
  });
  connections_.erase(it);
}

void ConnectionTable::Depart(Connection* connection) {
  auto payload = std::make_unique<HandoverPayload>();
  payload->fd = connection->fd_;
  payload->id = connection->id_;
  payload->peer = connection->peer_;
  payload->kind = connection->handover_kind_;
  payload->owner_state = std::move(connection->handover_state_);
  payload->carry = std::move(connection->carry_);
  payload->send_queue = std::move(connection->send_queue_);
  payload->send_front_offset = connection->send_front_offset_;
  payload->queued_bytes = connection->queued_bytes_;
  payload->reading_paused = connection->reading_paused_;
  connection->fd_ = -1;  // now owned by the payload
  ShardId to = connection->handover_to_;
  ++handovers_out_;
  if (connection->handler_ != nullptr) connection->handler_->OnHandedOver(*connection);
  connection->handler_ = nullptr;
  Retire(connection);
  shard_->mailbox().Post(to, MailMessage{kMailHandover, 0, std::move(payload)});
}

void ConnectionTable::OnHandoverMessage(MailMessage& message) {
  auto* payload = static_cast<HandoverPayload*>(message.payload.get());
  auto adopter = adopters_.find(payload->kind);
  if (adopter == adopters_.end()) {
    LOG_ERROR("conn %x: hand-over of kind %u has no adopter on this shard; closing",
              payload->id.value(), payload->kind);
    return;  // the payload's destructor closes the fd
  }
  Connection* connection = Insert(payload->id, payload->fd, payload->peer);
  payload->fd = -1;
  connection->carry_ = std::move(payload->carry);
  connection->send_queue_ = std::move(payload->send_queue);
  connection->send_front_offset_ = payload->send_front_offset;
  connection->queued_bytes_ = payload->queued_bytes;
  connection->reading_paused_ = payload->reading_paused;
  ++handovers_in_;
  adopter->second(*connection, std::move(payload->owner_state));
}

}  // namespace ringlet
