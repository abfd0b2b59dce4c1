#pragma once

// Router: one per shard. It knows the client sessions of the users homed on
// its shard, routes stanzas toward the home shard of their recipient (one
// mailbox hop at most), applies the delivery rules there, and does the
// presence work that needs the user's roster (broadcast, probes, directed
// presence bookkeeping, subscription handling) on the user's home shard.
//
// Its writes go through the shard's StorageService (writer(), committed at
// the end of the turn); replies that must wait for the write to be durable
// are queued with AfterCommit().
//
// Shard-local: created by ringletd on each shard, touched only there. A
// RoutedStanza crossing shards is a mailbox message owning its bytes.
//
// Limits: none of its own beyond the storage engine's (offline queue and
// roster sizes) and the mailbox depth; a congested target shard pauses the
// sending connection (see RouteFrom()).

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/functional/any_invocable.h"
#include "core/shard.h"
#include "storage/storage.h"
#include "storage/storage_service.h"
#include "xmpp/im/delivery.h"
#include "xmpp/im/stanza_error.h"
#include "xmpp/im/subscription.h"
#include "xmpp/jid/jid.h"
#include "xmpp/offline/offline_delivery.h"
#include "xmpp/router/local_session.h"
#include "xmpp/xml/namespaces.h"
#include "xmpp/xml/stanza.h"

namespace ringlet::xmpp {

enum class StanzaKind : uint8_t { kMessage, kPresence, kIq };

// A stanza on its way to its recipient's home shard. `bytes` is the whole
// stanza with 'from' (and 'to') as they must be delivered.
struct RoutedStanza final : public MailPayload {
  StanzaKind kind = StanzaKind::kMessage;
  std::string type;  // the 'type' attribute, "" if none
  std::string id;
  Jid from;
  Jid to;
  std::string bytes;
};

struct RouterConfig {
  std::vector<std::string> domains;  // served domains, canonical (lower case)
  // Directed-presence recipients remembered per session.
  uint32_t directed_presence_max = 1000;
  std::string server_version = "0.1";
};

class Router final : public ShardService {
 public:
  // Mailbox message types (protocols use 32 and up): a RoutedStanza; an
  // account that was deleted (AccountDeleted).
  static constexpr uint32_t kMailRoute = 32;
  static constexpr uint32_t kMailAccountDeleted = 33;

  Router(Shard* shard, RouterConfig config, storage::Storage* storage,
         storage::StorageService* store);
  ~Router() override;

  Shard& shard() { return *shard_; }
  const RouterConfig& config() const { return config_; }
  storage::Storage& storage() { return *storage_; }
  // The shard's writes; committed at the end of the turn.
  storage::StorageWriter& writer();
  // Reads that see the shard's uncommitted writes.
  storage::StorageReader& reader() { return store_->reader(); }
  // Runs `reply` once the writes made so far are durable (--sync), with the
  // error if they could not be made so.
  void AfterCommit(absl::AnyInvocable<void(const absl::Status&)> reply);

  bool IsLocalDomain(std::string_view domain) const;
  ShardId HomeOf(const Jid& jid) const;

  // Registers a session of a user homed on this shard. A session already
  // bound to the same full JID is kicked with `conflict` (RFC 6120 §7.7.2.2).
  void Bind(LocalSession* session);
  // Forgets a session (closed or leaving). Sends its unavailable presence
  // first if it was available.
  void Unbind(LocalSession* session);
  // The account `bare` was deleted (on any shard): its sessions, on its
  // home shard, are closed with <not-authorized/> (as RFC 6120 §4.9.3.12
  // has for credentials that no longer hold), and nothing more is
  // delivered to them. Call on any shard.
  void AccountDeleted(const std::string& bare);

  // The sessions of one user on this shard (empty if none).
  const std::vector<LocalSession*>& SessionsOf(const Jid& bare) const;
  size_t session_count() const { return session_count_; }

  // Routes a stanza sent by a session of this shard (from = its full JID).
  void RouteFrom(LocalSession& sender, std::unique_ptr<RoutedStanza> stanza);

  // Returns the shards toward which something was parked in the mailbox's
  // overflow (the ring was full) since the last call, and forgets them.
  // Whoever made the traffic (a session handling one stanza, which may fan
  // out to many contacts) stops reading until each has drained.
  std::vector<ShardId> TakeCongestedShards();

  // Presence from a session (RFC 6121 §4): broadcast (no 'to'), initial or
  // update; unavailable; the session's state is already updated.
  void OnPresenceBroadcast(LocalSession& session, bool initial, const std::string& stanza);
  void OnUnavailable(LocalSession& session, const std::string& stanza);
  // Records that `session` sent directed available presence to `to`, so
  // that unavailable presence reaches it too (RFC 6121 §4.6). Returns false
  // (and records nothing) when the session already remembers
  // directed_presence_max recipients: the caller refuses the presence.
  bool NoteDirectedPresence(LocalSession& session, const Jid& to, bool available);

  // A subscription stanza sent by a session of a user homed here (RFC 6121
  // §3; `stanza` has from = the user's bare JID). Updates the roster, pushes
  // it, forwards the stanza and sends the presence that follows.
  void OnOutboundSubscription(LocalSession& session, std::unique_ptr<RoutedStanza> stanza);

  // Pushes a changed roster item (or its removal) to the user's interested
  // resources (RFC 6121 §2.1.6).
  void PushRoster(const Jid& bare, const storage::RosterItem& item, uint64_t version,
                  bool removed);

  // Sends presence of `type` from `from` to `to` ("" = available).
  void SendPresence(const Jid& from, const Jid& to, std::string_view type);

  // Answers `stanza` (as routed, from its sender) with a stanza error,
  // routed back to the sender. Nothing for an error or an iq result.
  void Bounce(const RoutedStanza& stanza, im::StanzaErrorCondition condition);

  void Stop() override {}
  bool Idle() const override { return true; }

  uint64_t stanzas_routed() const { return stanzas_routed_; }
  uint64_t stanzas_delivered() const { return stanzas_delivered_; }

 private:
  struct UserSessions {
    std::vector<LocalSession*> sessions;
  };
  struct OfflineJob {
    LocalSession* session;
    std::shared_ptr<OfflineDelivery> delivery;
  };

  void DeliverLocal(std::unique_ptr<RoutedStanza> stanza);
  void EndSessionsOf(const std::string& bare);
  void ApplySubscription(im::SubscriptionEvent event, const Jid& user, const Jid& contact,
                         RoutedStanza* stanza);
  void AnswerProbe(RoutedStanza& stanza);
  void AnswerForAccount(RoutedStanza& stanza);
  void StoreOffline(RoutedStanza& stanza);
  void FlushOffline(LocalSession& session);
  // Forgets an offline delivery (finished, or its session went away).
  void DropOfflineDelivery(absl::flat_hash_map<std::string, OfflineJob>::iterator job);
  // Routes to the recipient's home shard; false if that shard's ring is full
  // (the stanza waits, in order, in the mailbox's overflow list).
  bool Send(std::unique_ptr<RoutedStanza> stanza);
  // Sends the user's presence from every available resource (or
  // unavailable from each) to `contact`.
  void SendAllPresence(const Jid& user, const Jid& contact, bool available);
  std::unique_ptr<RoutedStanza> MakePresence(const Jid& from, const Jid& to,
                                             std::string_view type);
  // A copy of a presence stanza with 'to' replaced, to route.
  std::unique_ptr<RoutedStanza> ReaddressedPresence(const Jid& from, const Jid& to,
                                                    const std::string& stanza,
                                                    std::string_view type);
  // Routes `bytes` back to the sender of `request` (from/to swapped).
  void Reply(const RoutedStanza& request, std::string_view type, std::string bytes);

  Shard* const shard_;
  const RouterConfig config_;
  storage::Storage* const storage_;
  storage::StorageService* const store_;
  absl::flat_hash_map<std::string, UserSessions> users_;
  // Offline backlogs being delivered, by bare JID.
  absl::flat_hash_map<std::string, OfflineJob> offline_deliveries_;
  // Directed presence recipients per full JID of a local session.
  absl::flat_hash_map<std::string, absl::flat_hash_set<std::string>> directed_;
  // Parses routed stanzas (which we produced: well-formed, jabber:client).
  xml::StanzaParser parser_;
  xml::NamespaceContext client_namespaces_;
  // Shards whose mailbox ring was full at a Send() since the last
  // TakeCongestedShards() (a handful at most: one entry per shard).
  std::vector<ShardId> congested_;
  size_t session_count_ = 0;
  uint64_t stanzas_routed_ = 0;
  uint64_t stanzas_delivered_ = 0;
};

}  // namespace ringlet::xmpp
