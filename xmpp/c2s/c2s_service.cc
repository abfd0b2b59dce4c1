#include "xmpp/c2s/c2s_service.h"

#include "absl/strings/str_format.h"
#include "core/log.h"
#include "xmpp/c2s/c2s_session.h"
#include "xmpp/sasl/scram_primitives.h"

namespace ringlet::xmpp {

C2sService::C2sService(Shard* shard, ConnectionTable* table, Router* router,
                       storage::Storage* storage, const C2sConfig* config)
    : shard_(shard), table_(table), router_(router), storage_(storage), config_(config) {
  table_->SetAdopter(kHandoverKind, [this](Connection& connection,
                                           std::unique_ptr<MailPayload> state) {
    auto* handover = static_cast<C2sHandover*>(state.get());
    C2sSession* session = handover->session.release();
    session->Adopt(this, &connection);
  });
  table_->SetShutdownHook([](Connection& connection) {
    auto* session = dynamic_cast<C2sSession*>(connection.handler());
    if (session != nullptr) {
      session->Shutdown();
    } else {
      connection.Close(CloseMode::kOrderly);
    }
  });
}

C2sService::~C2sService() = default;

void C2sService::Accept(Connection& connection, bool direct_tls) {
  auto* session = new C2sSession(this, &connection);
  connection.set_handler(session);
  if (direct_tls && !session->StartTls()) {
    connection.Close(CloseMode::kAbort, absl::InternalError("TLS session creation failed"));
    return;
  }
  connection.Start();
}

std::string C2sService::RandomToken(size_t chars) {
  // From the system CSPRNG: stream ids and generated resources must not be
  // guessable (a guessed resource is enough to address a session).
  static constexpr char kHex[] = "0123456789abcdef";
  std::string bytes((chars + 1) / 2, '\0');
  sasl::SystemRandom().Fill(reinterpret_cast<uint8_t*>(bytes.data()), bytes.size());
  std::string token(chars, '0');
  for (size_t i = 0; i < chars; ++i) {
    uint8_t byte = static_cast<uint8_t>(bytes[i / 2]);
    token[i] = kHex[i % 2 == 0 ? byte >> 4 : byte & 0xf];
  }
  return token;
}

bool C2sService::AddressBlocked(const std::string& address) {
  auto it = failures_.find(address);
  if (it == failures_.end()) return false;
  if (shard_->now() - it->second.window_start > absl::Minutes(1)) {
    failures_.erase(it);
    return false;
  }
  return it->second.count >= config_->auth_failures_per_address_max;
}

void C2sService::RecordAuthFailure(const std::string& address) {
  ++login_failures_;
  Failures& failures = failures_[address];
  if (failures.count == 0 || shard_->now() - failures.window_start > absl::Minutes(1)) {
    failures.window_start = shard_->now();
    failures.count = 0;
  }
  ++failures.count;
  // Bound the table: forget the oldest windows when it grows large.
  if (failures_.size() > 100000) {
    absl::Time cutoff = shard_->now() - absl::Minutes(1);
    absl::erase_if(failures_, [cutoff](const auto& entry) {
      return entry.second.window_start < cutoff;
    });
  }
}

void C2sService::Stop() {}

}  // namespace ringlet::xmpp
