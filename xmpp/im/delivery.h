#pragma once

// Delivery of an inbound stanza to a local account: the rules of RFC 6121
// §8.5 (local domain, local user) as one pure decision. The router gives the
// stanza's kind and type, whether its 'to' has a resource, whether the
// account exists and the account's sessions; it gets back where the stanza
// goes: these resources, the offline store (XEP-0160), an error reply, a
// silent drop, or one of the server's own handlers (subscription presence:
// subscription.h; presence probes, RFC 6121 §4.3; an iq to the bare JID,
// which the server answers on the account's behalf).
//
// Choices the RFC leaves open, and what is chosen here:
//   - chat and normal messages to the bare JID go to every available
//     resource with non-negative priority (§8.5.2.1.1 option b), not only
//     to the highest-priority one; message carbons (XEP-0280) are not
//     decided here.
//   - a message to an account that does not exist gets service-unavailable
//     (§8.5.1 option b) unless it is an error.
//   - a normal message to a full JID with no such resource is treated as
//     sent to the bare JID (§8.5.3.2.1 option a).
//   - a presence probe for an account that does not exist is answered with
//     presence type 'unsubscribed' (§4.3.2).
//
// Pure and allocation-light: callable on the user's home shard with the
// session list it owns.

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "xmpp/im/stanza_error.h"

namespace ringlet::im {

// A stanza's kind and type together (RFC 6120 §8.2.3, RFC 6121 §4.7.1 and
// §5.2.2).
enum class StanzaType {
  kMessageNormal,
  kMessageChat,
  kMessageGroupchat,
  kMessageHeadline,
  kMessageError,
  kPresenceAvailable,  // no type attribute
  kPresenceUnavailable,
  kPresenceSubscribe,
  kPresenceSubscribed,
  kPresenceUnsubscribe,
  kPresenceUnsubscribed,
  kPresenceProbe,
  kPresenceError,
  kIqGet,
  kIqSet,
  kIqResult,
  kIqError,
};

bool IsMessage(StanzaType type);
bool IsPresence(StanzaType type);
bool IsIq(StanzaType type);

// Classifies a stanza by its element name ("message", "presence", "iq") and
// its type attribute (nullopt if absent). A message with no or an unknown
// type is normal (RFC 6121 §5.2.2). InvalidArgument for an unknown element,
// a presence of unknown type, or an iq with no or an unknown type (the
// caller answers bad-request, RFC 6120 §8.2.3).
absl::StatusOr<StanzaType> ClassifyStanza(std::string_view name,
                                          std::optional<std::string_view> type);

// One bound resource of the account (RFC 6121 §1.5 terms).
struct SessionInfo {
  std::string resource;
  // The priority of its last presence broadcast (-128..127); 0 if none.
  int priority = 0;
  // Sent initial presence and not unavailable since ("available resource");
  // false for a merely "connected resource".
  bool available = false;
};

enum class DeliveryAction {
  kDeliver,             // to DeliveryDecision::resources (never empty)
  kStoreOffline,        // XEP-0160 offline storage
  kReplyError,          // answer the sender with DeliveryDecision::error
  kDrop,                // silently ignore
  kHandleSubscription,  // RFC 6121 §3: DecideInboundSubscription()
  kHandleProbe,         // RFC 6121 §4.3.2: answer with the account's presence
  kReplyUnsubscribed,   // answer a probe with presence type 'unsubscribed'
  kHandleByServer,      // an iq to the bare JID: the server answers for it
};

struct DeliveryDecision {
  DeliveryAction action = DeliveryAction::kDrop;
  std::vector<std::string> resources;  // kDeliver
  StanzaErrorCondition error = StanzaErrorCondition::kServiceUnavailable;  // kReplyError

  bool operator==(const DeliveryDecision&) const = default;
};

struct DeliveryInput {
  StanzaType type = StanzaType::kMessageNormal;
  // The resource of the 'to' address; "" for the bare JID.
  std::string_view to_resource;
  bool account_exists = false;
  // Every bound session of the account (connected or available).
  std::span<const SessionInfo> sessions;
  // Whether offline storage is on; if not, what would be stored gets
  // service-unavailable instead.
  bool offline_storage_enabled = true;
};

// Decides where a stanza addressed to a local account goes (RFC 6121 §8.5.1
// no such user, §8.5.2 bare JID, §8.5.3 full JID). The resources keep the
// order of `input.sessions`.
DeliveryDecision DecideDelivery(const DeliveryInput& input);

}  // namespace ringlet::im
