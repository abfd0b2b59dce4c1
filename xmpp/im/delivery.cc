#include "xmpp/im/delivery.h"

#include "absl/status/status.h"

namespace ringlet::im {
namespace {

DeliveryDecision Action(DeliveryAction action) {
  DeliveryDecision decision;
  decision.action = action;
  return decision;
}

DeliveryDecision Error(StanzaErrorCondition condition) {
  DeliveryDecision decision;
  decision.action = DeliveryAction::kReplyError;
  decision.error = condition;
  return decision;
}

// Delivers to the sessions that pass `keep`, or returns `otherwise` if none.
template <typename Keep>
DeliveryDecision DeliverTo(std::span<const SessionInfo> sessions, Keep keep,
                           const DeliveryDecision& otherwise) {
  DeliveryDecision decision;
  decision.action = DeliveryAction::kDeliver;
  for (const SessionInfo& session : sessions) {
    if (keep(session)) decision.resources.push_back(session.resource);
  }
  if (decision.resources.empty()) return otherwise;
  return decision;
}

bool AvailableNonNegative(const SessionInfo& s) { return s.available && s.priority >= 0; }
bool Available(const SessionInfo& s) { return s.available; }

// Subscription presence (§3) and probes (§4.3) to an existing account are
// handled by the server for the user, whatever the 'to' resource.
std::optional<DeliveryDecision> ServerHandled(StanzaType type) {
  switch (type) {
    case StanzaType::kPresenceSubscribe:
    case StanzaType::kPresenceSubscribed:
    case StanzaType::kPresenceUnsubscribe:
    case StanzaType::kPresenceUnsubscribed:
      return Action(DeliveryAction::kHandleSubscription);
    case StanzaType::kPresenceProbe:
      return Action(DeliveryAction::kHandleProbe);
    default:
      return std::nullopt;
  }
}

// §8.5.1: the account does not exist (bare or full JID alike).
DeliveryDecision NoSuchUser(StanzaType type) {
  switch (type) {
    case StanzaType::kIqGet:
    case StanzaType::kIqSet:
      return Error(StanzaErrorCondition::kServiceUnavailable);
    case StanzaType::kMessageNormal:
    case StanzaType::kMessageChat:
    case StanzaType::kMessageGroupchat:
    case StanzaType::kMessageHeadline:
      return Error(StanzaErrorCondition::kServiceUnavailable);
    case StanzaType::kPresenceProbe:
      return Action(DeliveryAction::kReplyUnsubscribed);
    default:
      // Errors and responses are never answered; presence (available,
      // unavailable, subscription) to nobody is ignored.
      return Action(DeliveryAction::kDrop);
  }
}

// §8.5.2: to the bare JID (and what §8.5.3.2 sends back here).
DeliveryDecision ToBareJid(const DeliveryInput& in) {
  if (std::optional<DeliveryDecision> handled = ServerHandled(in.type)) return *handled;
  const DeliveryDecision offline =
      in.offline_storage_enabled ? Action(DeliveryAction::kStoreOffline)
                                 : Error(StanzaErrorCondition::kServiceUnavailable);
  switch (in.type) {
    case StanzaType::kMessageNormal:
    case StanzaType::kMessageChat:
      // A resource with negative priority never gets a message sent to the
      // bare JID; with only such resources it is as if none were available.
      return DeliverTo(in.sessions, AvailableNonNegative, offline);
    case StanzaType::kMessageHeadline:
      return DeliverTo(in.sessions, AvailableNonNegative, Action(DeliveryAction::kDrop));
    case StanzaType::kMessageGroupchat:
      return Error(StanzaErrorCondition::kServiceUnavailable);
    case StanzaType::kMessageError:
      return Action(DeliveryAction::kDrop);
    case StanzaType::kPresenceAvailable:
    case StanzaType::kPresenceUnavailable:
    case StanzaType::kPresenceError:
      // Presence goes to every available resource, whatever its priority.
      return DeliverTo(in.sessions, Available, Action(DeliveryAction::kDrop));
    case StanzaType::kIqGet:
    case StanzaType::kIqSet:
    case StanzaType::kIqResult:
    case StanzaType::kIqError:
      return Action(DeliveryAction::kHandleByServer);
    default:
      break;  // handled by ServerHandled()
  }
  return Action(DeliveryAction::kDrop);
}

// §8.5.3.2: to a full JID whose resource is not bound.
DeliveryDecision NoSuchResource(const DeliveryInput& in) {
  if (std::optional<DeliveryDecision> handled = ServerHandled(in.type)) return *handled;
  switch (in.type) {
    case StanzaType::kMessageNormal:
    case StanzaType::kMessageChat:
      return ToBareJid(in);
    case StanzaType::kMessageGroupchat:
      // Tells a MUC service that this occupant is gone.
      return Error(StanzaErrorCondition::kServiceUnavailable);
    case StanzaType::kMessageHeadline:
    case StanzaType::kMessageError:
      return Action(DeliveryAction::kDrop);
    case StanzaType::kPresenceAvailable:
    case StanzaType::kPresenceUnavailable:
    case StanzaType::kPresenceError:
      return Action(DeliveryAction::kDrop);
    case StanzaType::kIqGet:
    case StanzaType::kIqSet:
      return Error(StanzaErrorCondition::kServiceUnavailable);
    case StanzaType::kIqResult:
    case StanzaType::kIqError:
      return Action(DeliveryAction::kDrop);
    default:
      break;  // handled by ServerHandled()
  }
  return Action(DeliveryAction::kDrop);
}

}  // namespace

bool IsMessage(StanzaType type) {
  return type >= StanzaType::kMessageNormal && type <= StanzaType::kMessageError;
}
bool IsPresence(StanzaType type) {
  return type >= StanzaType::kPresenceAvailable && type <= StanzaType::kPresenceError;
}
bool IsIq(StanzaType type) { return type >= StanzaType::kIqGet && type <= StanzaType::kIqError; }

absl::StatusOr<StanzaType> ClassifyStanza(std::string_view name,
                                          std::optional<std::string_view> type) {
  if (name == "message") {
    if (!type) return StanzaType::kMessageNormal;
    if (*type == "chat") return StanzaType::kMessageChat;
    if (*type == "groupchat") return StanzaType::kMessageGroupchat;
    if (*type == "headline") return StanzaType::kMessageHeadline;
    if (*type == "error") return StanzaType::kMessageError;
    return StanzaType::kMessageNormal;  // "normal" or unknown
  }
  if (name == "presence") {
    if (!type) return StanzaType::kPresenceAvailable;
    if (*type == "unavailable") return StanzaType::kPresenceUnavailable;
    if (*type == "subscribe") return StanzaType::kPresenceSubscribe;
    if (*type == "subscribed") return StanzaType::kPresenceSubscribed;
    if (*type == "unsubscribe") return StanzaType::kPresenceUnsubscribe;
    if (*type == "unsubscribed") return StanzaType::kPresenceUnsubscribed;
    if (*type == "probe") return StanzaType::kPresenceProbe;
    if (*type == "error") return StanzaType::kPresenceError;
    return absl::InvalidArgumentError("unknown presence type");
  }
  if (name == "iq") {
    if (!type) return absl::InvalidArgumentError("iq without type");
    if (*type == "get") return StanzaType::kIqGet;
    if (*type == "set") return StanzaType::kIqSet;
    if (*type == "result") return StanzaType::kIqResult;
    if (*type == "error") return StanzaType::kIqError;
    return absl::InvalidArgumentError("unknown iq type");
  }
  return absl::InvalidArgumentError("not a stanza");
}

DeliveryDecision DecideDelivery(const DeliveryInput& input) {
  if (!input.account_exists) return NoSuchUser(input.type);
  if (input.to_resource.empty()) return ToBareJid(input);

  const SessionInfo* target = nullptr;
  for (const SessionInfo& session : input.sessions) {
    if (session.resource == input.to_resource) {
      target = &session;
      break;
    }
  }
  if (target == nullptr) return NoSuchResource(input);

  // §8.5.3.1: the resource is bound. Subscription presence and probes are
  // the server's business whatever the resource; everything else goes to
  // the resource, available or merely connected.
  if (std::optional<DeliveryDecision> handled = ServerHandled(input.type)) return *handled;
  DeliveryDecision decision;
  decision.action = DeliveryAction::kDeliver;
  decision.resources.push_back(target->resource);
  return decision;
}

}  // namespace ringlet::im
