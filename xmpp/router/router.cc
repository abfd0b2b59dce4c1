#include "xmpp/router/router.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/check.h"
#include "core/log.h"
#include "core/stable_hash.h"
#include "xmpp/im/disco.h"
#include "xmpp/im/ping.h"
#include "xmpp/im/roster.h"
#include "xmpp/offline/offline_delivery.h"
#include "xmpp/xml/forwarder.h"
#include "xmpp/xml/serializer.h"

namespace ringlet::xmpp {
namespace {

using storage::RosterItem;
using storage::Subscription;

// The bare JID's canonical text ([local@]domain), without copying the Jid:
// the key of users_ and of the home shard, computed for every stanza.
std::string BareKey(const Jid& jid) {
  if (jid.local().empty()) return jid.domain();
  return absl::StrCat(jid.local(), "@", jid.domain());
}

const std::vector<LocalSession*>& NoSessions() {
  static const std::vector<LocalSession*>* const kNone = new std::vector<LocalSession*>();
  return *kNone;
}

bool HasFrom(Subscription s) { return s == Subscription::kFrom || s == Subscription::kBoth; }
bool HasTo(Subscription s) { return s == Subscription::kTo || s == Subscription::kBoth; }

const char* KindName(StanzaKind kind) {
  switch (kind) {
    case StanzaKind::kMessage:
      return "message";
    case StanzaKind::kPresence:
      return "presence";
    case StanzaKind::kIq:
      return "iq";
  }
  return "message";
}

// Returns `stanza` with 'to' replaced (the rest of its bytes copied once).
std::string Readdress(const std::string& stanza, const std::string& to) {
  std::string out;
  xml::StanzaStamp stamp;
  stamp.to = to;
  if (!xml::AppendStampedStanza(stanza, stamp, &out)) return stanza;
  return out;
}

// The payload of kMailAccountDeleted.
struct AccountDeletedMail final : public MailPayload {
  std::string user;
};

}  // namespace

Router::Router(Shard* shard, RouterConfig config, storage::Storage* storage,
               storage::StorageService* store)
    : shard_(shard), config_(std::move(config)), storage_(storage), store_(store) {
  client_namespaces_.SetDefault(xml::kNsClient);
  shard_->SetMessageHandler(kMailRoute, [this](ShardId, MailMessage& message) {
    std::unique_ptr<RoutedStanza> stanza(static_cast<RoutedStanza*>(message.payload.release()));
    DeliverLocal(std::move(stanza));
  });
  shard_->SetMessageHandler(kMailAccountDeleted, [this](ShardId, MailMessage& message) {
    EndSessionsOf(static_cast<AccountDeletedMail*>(message.payload.get())->user);
  });
}

Router::~Router() = default;

storage::StorageWriter& Router::writer() { return store_->writer(); }

void Router::AfterCommit(absl::AnyInvocable<void(const absl::Status&)> reply) {
  store_->AfterDurable(std::move(reply));
}

bool Router::IsLocalDomain(std::string_view domain) const {
  return std::find(config_.domains.begin(), config_.domains.end(), domain) !=
         config_.domains.end();
}

ShardId Router::HomeOf(const Jid& jid) const {
  std::string bare = BareKey(jid);
  return ShardId(HomeShard(bare, shard_->shard_count()));
}

void Router::Bind(LocalSession* session) {
  const Jid& jid = session->full_jid();
  DCHECK(HomeOf(jid) == shard_->id());
  std::string bare = BareKey(jid);
  // The newest session wins; the old one is told why it goes. Unbind() may
  // erase the user's entry, so look it up again afterwards.
  if (auto it = users_.find(bare); it != users_.end()) {
    for (LocalSession* other : std::vector<LocalSession*>(it->second.sessions)) {
      if (other->full_jid() == jid) {
        Unbind(other);
        other->Kick("conflict", "Replaced by a new session with the same resource");
      }
    }
  }
  users_[bare].sessions.push_back(session);
  ++session_count_;
}

void Router::Unbind(LocalSession* session) {
  std::string bare = BareKey(session->full_jid());
  auto it = users_.find(bare);
  if (it == users_.end()) return;
  auto& sessions = it->second.sessions;
  auto found = std::find(sessions.begin(), sessions.end(), session);
  if (found == sessions.end()) return;
  sessions.erase(found);
  --session_count_;
  if (sessions.empty()) users_.erase(it);
  // An offline delivery to this session stops (its callbacks hold weak
  // references); what it did not see written stays stored.
  if (auto job = offline_deliveries_.find(bare);
      job != offline_deliveries_.end() && job->second.session == session) {
    DropOfflineDelivery(job);
  }
  directed_.erase(session->full_jid().ToString());
}

void Router::AccountDeleted(const std::string& bare) {
  auto jid = Jid::Parse(bare);
  if (!jid.ok()) return;
  ShardId home = HomeOf(*jid);
  if (home == shard_->id()) {
    EndSessionsOf(BareKey(*jid));
    return;
  }
  auto mail = std::make_unique<AccountDeletedMail>();
  mail->user = BareKey(*jid);
  shard_->mailbox().Post(home, MailMessage{kMailAccountDeleted, 0, std::move(mail)});
}

void Router::EndSessionsOf(const std::string& bare) {
  auto it = users_.find(bare);
  if (it == users_.end()) return;
  // Copied: each Unbind() changes the list.
  for (LocalSession* session : std::vector<LocalSession*>(it->second.sessions)) {
    Unbind(session);
    session->Kick("not-authorized", "This account has been deleted");
  }
}

const std::vector<LocalSession*>& Router::SessionsOf(const Jid& bare) const {
  auto it = users_.find(BareKey(bare));
  return it == users_.end() ? NoSessions() : it->second.sessions;
}

void Router::RouteFrom(LocalSession& sender, std::unique_ptr<RoutedStanza> stanza) {
  ++stanzas_routed_;
  Send(std::move(stanza));
}

std::vector<ShardId> Router::TakeCongestedShards() {
  std::vector<ShardId> congested;
  congested.swap(congested_);
  return congested;
}

bool Router::Send(std::unique_ptr<RoutedStanza> stanza) {
  if (!IsLocalDomain(stanza->to.domain())) {
    // Server-to-server links are not implemented yet (RFC 6120 §10.4.3).
    Bounce(*stanza, im::StanzaErrorCondition::kRemoteServerNotFound);
    return true;
  }
  ShardId home = HomeOf(stanza->to);
  if (home == shard_->id()) {
    DeliverLocal(std::move(stanza));
    return true;
  }
  // false: the ring to `home` is full and the stanza waits in overflow.
  if (shard_->mailbox().Post(home, MailMessage{kMailRoute, 0, std::move(stanza)})) return true;
  if (std::find(congested_.begin(), congested_.end(), home) == congested_.end()) {
    congested_.push_back(home);
  }
  return false;
}

void Router::DeliverLocal(std::unique_ptr<RoutedStanza> stanza) {
  const char* name = KindName(stanza->kind);
  std::optional<std::string_view> type;
  if (!stanza->type.empty()) type = stanza->type;
  auto classified = im::ClassifyStanza(name, type);
  if (!classified.ok()) {
    Bounce(*stanza, im::StanzaErrorCondition::kBadRequest);
    return;
  }
  const auto& sessions = SessionsOf(stanza->to);
  std::vector<im::SessionInfo> infos;
  infos.reserve(sessions.size());
  for (LocalSession* session : sessions) {
    infos.push_back(im::SessionInfo{session->full_jid().resource(), session->priority(),
                                    session->available()});
  }
  im::DeliveryInput input;
  input.type = *classified;
  input.to_resource = stanza->to.resource();
  input.sessions = infos;
  // A user with a session certainly exists; otherwise ask the store.
  input.account_exists = !sessions.empty();
  if (!input.account_exists) {
    auto exists = store_->reader().AccountExists(stanza->to.Bare().ToString());
    input.account_exists = exists.ok() && *exists;
  }
  im::DeliveryDecision decision = im::DecideDelivery(input);
  switch (decision.action) {
    case im::DeliveryAction::kDeliver:
      for (const std::string& resource : decision.resources) {
        for (LocalSession* session : sessions) {
          if (session->full_jid().resource() == resource) {
            session->Deliver(stanza->bytes);
            ++stanzas_delivered_;
          }
        }
      }
      break;
    case im::DeliveryAction::kStoreOffline:
      StoreOffline(*stanza);
      break;
    case im::DeliveryAction::kReplyError:
      Bounce(*stanza, decision.error);
      break;
    case im::DeliveryAction::kDrop:
      break;
    case im::DeliveryAction::kHandleSubscription: {
      im::SubscriptionEvent event = im::SubscriptionEvent::kInboundSubscribe;
      if (stanza->type == "subscribed") event = im::SubscriptionEvent::kInboundSubscribed;
      if (stanza->type == "unsubscribe") event = im::SubscriptionEvent::kInboundUnsubscribe;
      if (stanza->type == "unsubscribed") event = im::SubscriptionEvent::kInboundUnsubscribed;
      ApplySubscription(event, stanza->to.Bare(), stanza->from.Bare(), stanza.get());
      break;
    }
    case im::DeliveryAction::kHandleProbe:
      AnswerProbe(*stanza);
      break;
    case im::DeliveryAction::kReplyUnsubscribed:
      SendPresence(stanza->to.Bare(), stanza->from.Bare(), "unsubscribed");
      break;
    case im::DeliveryAction::kHandleByServer:
      AnswerForAccount(*stanza);
      break;
  }
}

void Router::StoreOffline(RoutedStanza& stanza) {
  std::string user = stanza.to.Bare().ToString();
  auto exists = store_->reader().AccountExists(user);
  if (!exists.ok() || !*exists) {
    Bounce(stanza, im::StanzaErrorCondition::kServiceUnavailable);
    return;
  }
  storage::OfflineMessage message;
  message.stored_at_ms = absl::ToUnixMillis(shard_->now());
  message.stanza = stanza.bytes;
  auto id = writer().AppendOfflineMessage(user, message);
  if (!id.ok()) {
    // Over the offline quota (XEP-0160 §3): refuse rather than lose silently.
    Bounce(stanza, im::StanzaErrorCondition::kServiceUnavailable);
  }
}

void Router::FlushOffline(LocalSession& session) {
  std::string user = BareKey(session.full_jid());
  // One delivery per user at a time: the backlog goes to the first
  // resource that became available (XEP-0160 §3).
  if (offline_deliveries_.contains(user)) return;
  OfflineDelivery::Context context;
  context.writer = &store_->writer();
  context.commit_soon = [this] { store_->writer(); };
  context.finished = [this, user] {
    if (auto it = offline_deliveries_.find(user); it != offline_deliveries_.end()) {
      DropOfflineDelivery(it);
    }
  };
  auto delivery = std::make_shared<OfflineDelivery>(&session, user, std::move(context));
  offline_deliveries_[user] = OfflineJob{&session, delivery};
  delivery->Start();
}

void Router::DropOfflineDelivery(
    absl::flat_hash_map<std::string, OfflineJob>::iterator job) {
  // Possibly called from inside the delivery's own call stack: free it
  // after the turn.
  shard_->RunAfterTurnWork([delivery = std::move(job->second.delivery)] {});
  offline_deliveries_.erase(job);
}

void Router::AnswerForAccount(RoutedStanza& stanza) {
  // An iq to a user's bare JID, answered on the user's behalf (RFC 6121
  // §8.5.2.1.3): disco#info (XEP-0030 §3.1, shown to contacts with a
  // presence subscription) and ping; anything else is unavailable.
  xml::ElementView iq = parser_.Parse(stanza.bytes, client_namespaces_);
  std::string account = stanza.to.Bare().ToString();
  std::string requester = stanza.from.ToString();
  std::optional<std::string> reply;
  if (im::IsPingRequest(iq)) {
    reply = im::BuildPingResult(stanza.id, account, requester);
  } else if (auto disco = im::ParseDiscoRequest(iq);
             disco.has_value() && disco->kind == im::DiscoKind::kInfo && disco->node.empty()) {
    bool allowed = stanza.from.Bare() == stanza.to.Bare();
    if (auto roster = store_->reader().GetRoster(account); roster.ok()) {
      for (const RosterItem& item : roster->items) {
        if (item.jid == stanza.from.Bare().ToString() && HasFrom(item.subscription)) allowed = true;
      }
    }
    reply = im::BuildAccountDiscoInfo(stanza.id, account, requester, allowed, {});
  }
  if (!reply.has_value()) {
    Bounce(stanza, im::StanzaErrorCondition::kServiceUnavailable);
    return;
  }
  Reply(stanza, "result", std::move(*reply));
}

void Router::AnswerProbe(RoutedStanza& stanza) {
  Jid contact = stanza.to.Bare();
  Jid prober = stanza.from.Bare();
  auto roster = store_->reader().GetRoster(contact.ToString());
  if (!roster.ok()) return;
  bool allowed = false;
  for (const RosterItem& item : roster->items) {
    if (item.jid == prober.ToString() && HasFrom(item.subscription)) allowed = true;
  }
  // RFC 6121 §4.3.2: no subscription, no answer (not even an error).
  if (!allowed) return;
  bool any = false;
  for (LocalSession* session : SessionsOf(contact)) {
    if (!session->available() || session->last_presence().empty()) continue;
    Send(ReaddressedPresence(session->full_jid(), stanza.from, session->last_presence(), ""));
    any = true;
  }
  if (!any) Send(MakePresence(contact, stanza.from, "unavailable"));
}

std::unique_ptr<RoutedStanza> Router::ReaddressedPresence(const Jid& from, const Jid& to,
                                                          const std::string& stanza,
                                                          std::string_view type) {
  auto copy = std::make_unique<RoutedStanza>();
  copy->kind = StanzaKind::kPresence;
  copy->type = std::string(type);
  copy->from = from;
  copy->to = to;
  copy->bytes = Readdress(stanza, to.ToString());
  return copy;
}

void Router::Reply(const RoutedStanza& request, std::string_view type, std::string bytes) {
  auto reply = std::make_unique<RoutedStanza>();
  reply->kind = request.kind;
  reply->type = std::string(type);
  reply->id = request.id;
  reply->from = request.to;
  reply->to = request.from;
  reply->bytes = std::move(bytes);
  Send(std::move(reply));
}

std::unique_ptr<RoutedStanza> Router::MakePresence(const Jid& from, const Jid& to,
                                                   std::string_view type) {
  auto presence = std::make_unique<RoutedStanza>();
  presence->kind = StanzaKind::kPresence;
  presence->type = std::string(type);
  presence->from = from;
  presence->to = to;
  xml::XmlWriter w(&presence->bytes);
  w.Open("presence").Attribute("from", from.ToString()).Attribute("to", to.ToString());
  if (!type.empty()) w.Attribute("type", type);
  w.Close();
  return presence;
}

void Router::OnPresenceBroadcast(LocalSession& session, bool initial, const std::string& stanza) {
  const Jid& user = session.full_jid();
  Jid bare = user.Bare();
  auto roster = store_->reader().GetRoster(bare.ToString());
  if (roster.ok()) {
    for (const RosterItem& item : roster->items) {
      auto contact = Jid::Parse(item.jid);
      if (!contact.ok()) continue;
      if (HasFrom(item.subscription)) {
        Send(ReaddressedPresence(user, *contact, stanza, ""));
      }
      if (initial && HasTo(item.subscription)) {
        Send(MakePresence(bare, *contact, "probe"));
      }
    }
  }
  // The user's own available resources, the sender included (§4.2.2), and
  // on initial presence the other resources' presence to the new one.
  for (LocalSession* other : SessionsOf(bare)) {
    if (!other->available()) continue;
    other->Deliver(Readdress(stanza, other->full_jid().ToString()));
    if (initial && other != &session && !other->last_presence().empty()) {
      session.Deliver(Readdress(other->last_presence(), user.ToString()));
    }
  }
  if (initial) {
    FlushOffline(session);
    // Subscription requests that arrived while no resource was available
    // (RFC 6121 §3.1.3): redeliver them now.
    if (roster.ok()) {
      for (const std::string& contact : im::PendingSubscriptionRequests(*roster)) {
        std::string request;
        xml::XmlWriter w(&request);
        w.Open("presence")
            .Attribute("from", contact)
            .Attribute("to", bare.ToString())
            .Attribute("type", "subscribe")
            .Close();
        session.Deliver(request);
      }
    }
  }
}

void Router::OnUnavailable(LocalSession& session, const std::string& stanza) {
  const Jid& user = session.full_jid();
  Jid bare = user.Bare();
  absl::flat_hash_set<std::string> sent;
  auto roster = store_->reader().GetRoster(bare.ToString());
  if (roster.ok()) {
    for (const RosterItem& item : roster->items) {
      if (!HasFrom(item.subscription)) continue;
      auto contact = Jid::Parse(item.jid);
      if (!contact.ok()) continue;
      Send(ReaddressedPresence(user, *contact, stanza, "unavailable"));
      sent.insert(item.jid);
    }
  }
  auto directed = directed_.find(user.ToString());
  if (directed != directed_.end()) {
    for (const std::string& target : directed->second) {
      if (sent.contains(target)) continue;
      auto to = Jid::Parse(target);
      if (!to.ok()) continue;
      Send(ReaddressedPresence(user, *to, stanza, "unavailable"));
    }
    directed_.erase(directed);
  }
  for (LocalSession* other : SessionsOf(bare)) {
    if (other != &session && other->available()) {
      other->Deliver(Readdress(stanza, other->full_jid().ToString()));
    }
  }
}

bool Router::NoteDirectedPresence(LocalSession& session, const Jid& to, bool available) {
  std::string key = session.full_jid().ToString();
  if (!available) {
    auto it = directed_.find(key);
    if (it == directed_.end()) return true;
    it->second.erase(to.ToString());
    if (it->second.empty()) directed_.erase(it);
    return true;
  }
  auto& targets = directed_[key];
  std::string target = to.ToString();
  if (targets.size() >= config_.directed_presence_max && !targets.contains(target)) return false;
  targets.insert(std::move(target));
  return true;
}

void Router::PushRoster(const Jid& bare, const RosterItem& item, uint64_t version, bool removed) {
  std::string id = absl::StrCat("push-", version);
  for (LocalSession* session : SessionsOf(bare)) {
    if (!session->interested()) continue;
    std::string to = session->full_jid().ToString();
    session->Deliver(removed ? im::BuildRosterPushRemove(id, to, item.jid, version)
                             : im::BuildRosterPush(id, to, item, version));
  }
}

void Router::OnOutboundSubscription(LocalSession& session, std::unique_ptr<RoutedStanza> stanza) {
  im::SubscriptionEvent event = im::SubscriptionEvent::kOutboundSubscribe;
  if (stanza->type == "subscribed") event = im::SubscriptionEvent::kOutboundSubscribed;
  if (stanza->type == "unsubscribe") event = im::SubscriptionEvent::kOutboundUnsubscribe;
  if (stanza->type == "unsubscribed") event = im::SubscriptionEvent::kOutboundUnsubscribed;
  Jid contact = stanza->to.Bare();
  stanza->to = contact;
  ApplySubscription(event, session.full_jid().Bare(), contact, stanza.get());
}

void Router::ApplySubscription(im::SubscriptionEvent event, const Jid& user, const Jid& contact,
                               RoutedStanza* stanza) {
  std::string user_text = user.ToString();
  std::string contact_text = contact.ToString();
  auto roster = store_->reader().GetRoster(user_text);
  if (!roster.ok()) {
    LOG_ERROR("roster of %s: %s", user_text, roster.status().ToString());
    return;
  }
  const RosterItem* stored = nullptr;
  for (const RosterItem& item : roster->items) {
    if (item.jid == contact_text) stored = &item;
  }
  im::SubscriptionInput input;
  input.event = event;
  input.contact = contact_text;
  input.item = stored;
  // Pre-approval (RFC 6121 §3.4) is not offered: the 'sub' feature is not
  // announced and no pre-approval is stored.
  input.pre_approval_enabled = false;
  im::SubscriptionDecision decision = im::DecideSubscription(input);

  uint64_t version = roster->version;
  bool changed = false;
  if (decision.change == im::ItemChange::kCreate || decision.change == im::ItemChange::kUpdate) {
    auto stored_version = writer().SetRosterItem(user_text, decision.item);
    if (!stored_version.ok()) {
      // Over the roster size limit: refuse the change, tell the sender.
      if (stanza != nullptr) Bounce(*stanza, im::StanzaErrorCondition::kResourceConstraint);
      return;
    }
    version = *stored_version;
    changed = true;
  } else if (decision.change == im::ItemChange::kRemove) {
    auto removed_version = writer().RemoveRosterItem(user_text, contact_text);
    if (removed_version.ok()) {
      version = *removed_version;
      changed = true;
    }
  }
  if (changed && decision.push_roster && im::IsVisibleInRoster(decision.item)) {
    PushRoster(user, decision.item, version, decision.change == im::ItemChange::kRemove);
  }
  if (decision.forward_to_contact && stanza != nullptr) {
    auto forwarded = std::make_unique<RoutedStanza>(std::move(*stanza));
    forwarded->from = user;
    forwarded->to = contact;
    Send(std::move(forwarded));
  }
  if (decision.deliver_to_user != im::UserDelivery::kNone && stanza != nullptr) {
    for (LocalSession* session : SessionsOf(user)) {
      if (session->available()) {
        session->Deliver(stanza->bytes);
        ++stanzas_delivered_;
      }
    }
  }
  if (decision.presence == im::PresenceFollowUp::kAvailableFromAllResources) {
    SendAllPresence(user, contact, true);
  } else if (decision.presence == im::PresenceFollowUp::kUnavailableFromAllResources) {
    SendAllPresence(user, contact, false);
  }
  if (decision.auto_reply == im::AutoReply::kSubscribed) {
    SendPresence(user, contact, "subscribed");
  }
}

void Router::SendAllPresence(const Jid& user, const Jid& contact, bool available) {
  for (LocalSession* session : SessionsOf(user)) {
    if (!session->available()) continue;
    if (available && !session->last_presence().empty()) {
      Send(ReaddressedPresence(session->full_jid(), contact, session->last_presence(), ""));
    } else if (!available) {
      Send(MakePresence(session->full_jid(), contact, "unavailable"));
    }
  }
}

void Router::SendPresence(const Jid& from, const Jid& to, std::string_view type) {
  Send(MakePresence(from, to, type));
}

void Router::Bounce(const RoutedStanza& stanza, im::StanzaErrorCondition condition) {
  if (stanza.type == "error") return;
  if (stanza.kind == StanzaKind::kIq && stanza.type != "get" && stanza.type != "set") return;
  if (!IsLocalDomain(stanza.from.domain())) return;  // no s2s yet: nowhere to send it
  xml::ElementView view = parser_.Parse(stanza.bytes, client_namespaces_);
  im::StanzaError error;
  error.condition = condition;
  error.by = stanza.to.domain();
  auto reply = im::BuildErrorReply(stanza.bytes, view, error);
  if (!reply.has_value()) return;
  Reply(stanza, "error", std::move(*reply));
}

}  // namespace ringlet::xmpp
