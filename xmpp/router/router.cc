#include "xmpp/router/router.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/check.h"
#include "core/log.h"
#include "core/stable_hash.h"
#include "xmpp/xml/forwarder.h"
#include "xmpp/xml/serializer.h"

namespace ringlet::xmpp {
namespace {

using storage::RosterItem;
using storage::Subscription;

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

// Inserts an XEP-0203 <delay/> as the last child of a stored message.
std::string WithDelay(const std::string& stanza, std::string_view domain, int64_t stored_at_ms) {
  std::string delay;
  xml::XmlWriter w(&delay);
  w.Open("delay")
      .Attribute("xmlns", "urn:xmpp:delay")
      .Attribute("from", domain)
      .Attribute("stamp", absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ",
                                           absl::FromUnixMillis(stored_at_ms),
                                           absl::UTCTimeZone()))
      .Close();
  if (stanza.size() >= 2 && stanza.compare(stanza.size() - 2, 2, "/>") == 0) {
    size_t name_end = stanza.find_first_of(" \t\r\n/>", 1);
    std::string name = stanza.substr(1, name_end - 1);
    return absl::StrCat(stanza.substr(0, stanza.size() - 2), ">", delay, "</", name, ">");
  }
  size_t close = stanza.rfind("</");
  if (close == std::string::npos) return stanza;
  return absl::StrCat(stanza.substr(0, close), delay, stanza.substr(close));
}

}  // namespace

Router::Router(Shard* shard, RouterConfig config, storage::Storage* storage,
               storage::StorageWriter* writer)
    : shard_(shard), config_(std::move(config)), storage_(storage), writer_(writer) {
  shard_->SetMessageHandler(kMailRoute, [this](ShardId, MailMessage& message) {
    std::unique_ptr<RoutedStanza> stanza(static_cast<RoutedStanza*>(message.payload.release()));
    DeliverLocal(std::move(stanza));
  });
}

Router::~Router() = default;

storage::StorageWriter& Router::writer() {
  ScheduleCommit();
  return *writer_;
}

void Router::ScheduleCommit() { shard_->ScheduleTurnWork(this); }

void Router::AfterCommit(absl::AnyInvocable<void(const absl::Status&)> reply) {
  after_commit_.push_back(std::move(reply));
  ScheduleCommit();
}

void Router::RunTurnWork() {
  absl::Status status;
  if (writer_->pending_writes() > 0) {
    status = writer_->Commit();
    if (!status.ok()) LOG_ERROR("storage commit failed: %s", status.ToString());
  }
  std::vector<absl::AnyInvocable<void(const absl::Status&)>> replies;
  replies.swap(after_commit_);
  for (auto& reply : replies) reply(status);
}

bool Router::IsLocalDomain(std::string_view domain) const {
  return std::find(config_.domains.begin(), config_.domains.end(), domain) !=
         config_.domains.end();
}

ShardId Router::HomeOf(const Jid& jid) const {
  std::string bare = jid.Bare().ToString();
  return ShardId(HomeShard(bare, shard_->shard_count()));
}

void Router::Bind(LocalSession* session) {
  const Jid& jid = session->full_jid();
  DCHECK(HomeOf(jid) == shard_->id());
  UserSessions& user = users_[jid.Bare().ToString()];
  for (LocalSession* other : std::vector<LocalSession*>(user.sessions)) {
    if (other->full_jid() == jid) {
      // The newest session wins; the old one is told why it goes.
      Unbind(other);
      other->Kick("conflict", "Replaced by a new session with the same resource");
    }
  }
  user.sessions.push_back(session);
  ++session_count_;
}

void Router::Unbind(LocalSession* session) {
  std::string bare = session->full_jid().Bare().ToString();
  auto it = users_.find(bare);
  if (it == users_.end()) return;
  auto& sessions = it->second.sessions;
  auto found = std::find(sessions.begin(), sessions.end(), session);
  if (found == sessions.end()) return;
  sessions.erase(found);
  --session_count_;
  if (sessions.empty()) users_.erase(it);
  directed_.erase(session->full_jid().ToString());
}

const std::vector<LocalSession*>& Router::SessionsOf(const Jid& bare) const {
  auto it = users_.find(bare.Bare().ToString());
  return it == users_.end() ? NoSessions() : it->second.sessions;
}

bool Router::RouteFrom(LocalSession& sender, std::unique_ptr<RoutedStanza> stanza) {
  ++stanzas_routed_;
  ShardId home = HomeOf(stanza->to);
  bool congested = home != shard_->id() && shard_->mailbox().Congested(home);
  Send(std::move(stanza));
  return !congested;
}

void Router::Send(std::unique_ptr<RoutedStanza> stanza) {
  if (!IsLocalDomain(stanza->to.domain())) {
    // Server-to-server links are not implemented yet (RFC 6120 §10.4.3).
    Bounce(*stanza, "remote-server-not-found", "cancel");
    return;
  }
  ShardId home = HomeOf(stanza->to);
  if (home == shard_->id()) {
    DeliverLocal(std::move(stanza));
    return;
  }
  shard_->mailbox().Post(home, MailMessage{kMailRoute, 0, std::move(stanza)});
}

void Router::DeliverLocal(std::unique_ptr<RoutedStanza> stanza) {
  switch (stanza->kind) {
    case StanzaKind::kMessage:
      DeliverMessage(*stanza);
      break;
    case StanzaKind::kPresence:
      DeliverPresence(*stanza);
      break;
    case StanzaKind::kIq:
      DeliverIq(*stanza);
      break;
  }
}

void Router::DeliverMessage(RoutedStanza& stanza) {
  const std::string& type = stanza.type;
  const auto& sessions = SessionsOf(stanza.to);
  if (!stanza.to.is_bare()) {
    for (LocalSession* session : sessions) {
      if (session->full_jid() == stanza.to) {
        session->Deliver(stanza.bytes);
        ++stanzas_delivered_;
        return;
      }
    }
    // RFC 6121 §8.5.3.2.1: no such resource.
    if (type == "groupchat") {
      Bounce(stanza, "service-unavailable", "cancel");
      return;
    }
    if (type == "error") return;
    // normal, chat, headline: treated as if sent to the bare JID.
  }
  if (type == "groupchat") {
    Bounce(stanza, "service-unavailable", "cancel");
    return;
  }
  if (type == "error") {
    // Delivered to no one: an error about an error would loop.
    return;
  }
  int best = -1;
  for (LocalSession* session : sessions) {
    if (session->available() && session->priority() >= 0) best = std::max(best, session->priority());
  }
  if (best >= 0) {
    for (LocalSession* session : sessions) {
      if (!session->available() || session->priority() < 0) continue;
      // headline: every non-negative resource; normal/chat: the highest.
      if (type == "headline" || session->priority() == best) {
        session->Deliver(stanza.bytes);
        ++stanzas_delivered_;
      }
    }
    return;
  }
  if (type == "headline") return;  // §8.5.2.2.1: silently dropped
  StoreOffline(stanza);
}

void Router::StoreOffline(RoutedStanza& stanza) {
  std::string user = stanza.to.Bare().ToString();
  auto exists = writer_->AccountExists(user);
  if (!exists.ok() || !*exists) {
    Bounce(stanza, "service-unavailable", "cancel");
    return;
  }
  storage::OfflineMessage message;
  message.stored_at_ms = absl::ToUnixMillis(shard_->now());
  message.stanza = stanza.bytes;
  auto id = writer().AppendOfflineMessage(user, message);
  if (!id.ok()) {
    // Over the offline quota (XEP-0160 §3): refuse rather than lose silently.
    Bounce(stanza, "service-unavailable", "wait");
  }
}

void Router::FlushOffline(LocalSession& session) {
  std::string user = session.full_jid().Bare().ToString();
  auto messages = writer_->FetchOfflineMessages(user);
  if (!messages.ok()) {
    LOG_ERROR("offline messages of %s: %s", user, messages.status().ToString());
    return;
  }
  if (messages->empty()) return;
  for (const storage::OfflineMessage& message : *messages) {
    session.Deliver(WithDelay(message.stanza, session.full_jid().domain(), message.stored_at_ms));
  }
  absl::Status deleted = writer().DeleteOfflineMessages(user, messages->back().id);
  if (!deleted.ok()) LOG_ERROR("deleting offline messages of %s: %s", user, deleted.ToString());
}

void Router::DeliverPresence(RoutedStanza& stanza) {
  const std::string& type = stanza.type;
  if (type == "probe") {
    AnswerProbe(stanza);
    return;
  }
  if (type == "subscribe" || type == "subscribed" || type == "unsubscribe" ||
      type == "unsubscribed") {
    HandleSubscription(stanza);
    return;
  }
  for (LocalSession* session : SessionsOf(stanza.to)) {
    if (!stanza.to.is_bare()) {
      if (session->full_jid() == stanza.to) {
        session->Deliver(stanza.bytes);
        ++stanzas_delivered_;
      }
    } else if (session->available()) {
      session->Deliver(stanza.bytes);
      ++stanzas_delivered_;
    }
  }
}

void Router::DeliverIq(RoutedStanza& stanza) {
  const std::string& type = stanza.type;
  bool request = type == "get" || type == "set";
  if (!stanza.to.is_bare()) {
    for (LocalSession* session : SessionsOf(stanza.to)) {
      if (session->full_jid() == stanza.to) {
        session->Deliver(stanza.bytes);
        ++stanzas_delivered_;
        return;
      }
    }
    if (request) Bounce(stanza, "service-unavailable", "cancel");
    return;
  }
  // An iq to a user's bare JID is answered by the server on the user's
  // behalf (RFC 6121 §8.5.2.1.3); nothing is served there yet.
  if (request) Bounce(stanza, "service-unavailable", "cancel");
}

void Router::AnswerProbe(RoutedStanza& stanza) {
  Jid contact = stanza.to.Bare();
  Jid prober = stanza.from.Bare();
  auto roster = writer_->GetRoster(contact.ToString());
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
    auto reply = std::make_unique<RoutedStanza>();
    reply->kind = StanzaKind::kPresence;
    reply->from = session->full_jid();
    reply->to = stanza.from;
    reply->bytes = Readdress(session->last_presence(), stanza.from.ToString());
    Send(std::move(reply));
    any = true;
  }
  if (!any) Send(MakePresence(contact, stanza.from, "unavailable"));
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
  auto roster = writer_->GetRoster(bare.ToString());
  if (roster.ok()) {
    for (const RosterItem& item : roster->items) {
      auto contact = Jid::Parse(item.jid);
      if (!contact.ok()) continue;
      if (HasFrom(item.subscription)) {
        auto copy = std::make_unique<RoutedStanza>();
        copy->kind = StanzaKind::kPresence;
        copy->from = user;
        copy->to = *contact;
        copy->bytes = Readdress(stanza, item.jid);
        Send(std::move(copy));
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
      for (const RosterItem& item : roster->items) {
        if (!item.pending_in) continue;
        auto contact = Jid::Parse(item.jid);
        if (!contact.ok()) continue;
        std::string request;
        xml::XmlWriter w(&request);
        w.Open("presence")
            .Attribute("from", item.jid)
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
  auto roster = writer_->GetRoster(bare.ToString());
  if (roster.ok()) {
    for (const RosterItem& item : roster->items) {
      if (!HasFrom(item.subscription)) continue;
      auto contact = Jid::Parse(item.jid);
      if (!contact.ok()) continue;
      auto copy = std::make_unique<RoutedStanza>();
      copy->kind = StanzaKind::kPresence;
      copy->type = "unavailable";
      copy->from = user;
      copy->to = *contact;
      copy->bytes = Readdress(stanza, item.jid);
      Send(std::move(copy));
      sent.insert(item.jid);
    }
  }
  auto directed = directed_.find(user.ToString());
  if (directed != directed_.end()) {
    for (const std::string& target : directed->second) {
      if (sent.contains(target)) continue;
      auto to = Jid::Parse(target);
      if (!to.ok()) continue;
      auto copy = std::make_unique<RoutedStanza>();
      copy->kind = StanzaKind::kPresence;
      copy->type = "unavailable";
      copy->from = user;
      copy->to = *to;
      copy->bytes = Readdress(stanza, target);
      Send(std::move(copy));
    }
    directed_.erase(directed);
  }
  for (LocalSession* other : SessionsOf(bare)) {
    if (other != &session && other->available()) {
      other->Deliver(Readdress(stanza, other->full_jid().ToString()));
    }
  }
}

void Router::NoteDirectedPresence(LocalSession& session, const Jid& to, bool available) {
  auto& targets = directed_[session.full_jid().ToString()];
  if (available) {
    targets.insert(to.ToString());
  } else {
    targets.erase(to.ToString());
  }
}

void Router::PushRoster(const Jid& bare, const RosterItem& item, uint64_t version, bool removed) {
  for (LocalSession* session : SessionsOf(bare)) {
    if (!session->interested()) continue;
    std::string push;
    xml::XmlWriter w(&push);
    w.Open("iq")
        .Attribute("to", session->full_jid().ToString())
        .Attribute("type", "set")
        .Attribute("id", absl::StrCat("push", version));
    w.Open("query").Attribute("xmlns", "jabber:iq:roster").Attribute("ver", absl::StrCat(version));
    w.Open("item").Attribute("jid", item.jid);
    if (removed) {
      w.Attribute("subscription", "remove");
    } else {
      if (!item.name.empty()) w.Attribute("name", item.name);
      static const char* const kNames[] = {"none", "to", "from", "both"};
      w.Attribute("subscription", kNames[static_cast<int>(item.subscription)]);
      if (item.ask) w.Attribute("ask", "subscribe");
      for (const std::string& group : item.groups) w.Open("group").Text(group).Close();
    }
    w.Close().Close().Close();
    session->Deliver(push);
  }
}

void Router::HandleSubscription(RoutedStanza& stanza) {
  // Placeholder-free minimal rules are in xmpp/im (subscription state
  // machine); this routes an inbound subscription stanza to the user.
  for (LocalSession* session : SessionsOf(stanza.to)) {
    if (session->available()) session->Deliver(stanza.bytes);
  }
}

void Router::Bounce(const RoutedStanza& stanza, std::string_view condition, std::string_view type) {
  if (stanza.type == "error") return;
  if (stanza.kind == StanzaKind::kIq && stanza.type != "get" && stanza.type != "set") return;
  auto error = std::make_unique<RoutedStanza>();
  error->kind = stanza.kind;
  error->type = "error";
  error->id = stanza.id;
  error->from = stanza.to;
  error->to = stanza.from;
  xml::XmlWriter w(&error->bytes);
  w.Open(KindName(stanza.kind))
      .Attribute("from", stanza.to.ToString())
      .Attribute("to", stanza.from.ToString())
      .Attribute("type", "error");
  if (!stanza.id.empty()) w.Attribute("id", stanza.id);
  w.Open("error").Attribute("type", type);
  w.Open(condition).Attribute("xmlns", "urn:ietf:params:xml:ns:xmpp-stanzas").Close();
  w.Close().Close();
  // The sender is local to some shard: route the error back like any stanza.
  if (IsLocalDomain(error->to.domain())) Send(std::move(error));
}

}  // namespace ringlet::xmpp
