#pragma once

// The presence subscription state machine of RFC 6121 §3 and Appendix A,
// with subscription pre-approval (§3.4), as one pure decision per
// subscription stanza.
//
// Both directions are decided on the roster of the local account ("user")
// for one contact:
//   outbound: the user sent subscribe / subscribed / unsubscribe /
//             unsubscribed to the contact (§3.1.2, §3.1.5, §3.2.2, §3.3.2,
//             §3.4; Appendix A.2);
//   inbound:  the contact's subscribe / subscribed / unsubscribe /
//             unsubscribed arrived for the user (§3.1.3, §3.1.6, §3.2.3,
//             §3.3.3; Appendix A.3).
// The state is the one of storage::RosterItem: subscription (none, to,
// from, both) + ask ("Pending Out") + pending_in ("Pending In"), and a
// pre-approval flag that storage::RosterItem does not have yet (the caller
// keeps it; see README.md).
//
// The caller (the user's home shard) then: writes or removes the item;
// pushes it to the user's interested resources; forwards the stanza to the
// contact with from = the user's bare JID; delivers an inbound stanza to
// the user's available resources; sends the user's presence (from every
// available resource) or unavailable to the contact; and sends the
// automatic reply from the user's bare JID.

#include <optional>
#include <string>
#include <string_view>

#include "storage/storage.h"

namespace ringlet::im {

enum class SubscriptionEvent {
  kOutboundSubscribe,
  kOutboundSubscribed,
  kOutboundUnsubscribe,
  kOutboundUnsubscribed,
  kInboundSubscribe,
  kInboundSubscribed,
  kInboundUnsubscribe,
  kInboundUnsubscribed,
};

// The nine states of RFC 6121 Appendix A.1.
enum class SubscriptionState {
  kNone,
  kNonePendingOut,
  kNonePendingIn,
  kNonePendingOutIn,
  kTo,
  kToPendingIn,
  kFrom,
  kFromPendingOut,
  kBoth,
};

// Maps an item to its Appendix A state (nullptr: "None"). A "To + Pending
// Out" or "Both + Pending In"-like combination that the RFC does not define
// is read without the flag that cannot apply.
SubscriptionState StateOf(const storage::RosterItem* item);
// Sets subscription, ask and pending_in of `item` to `state`.
void SetState(SubscriptionState state, storage::RosterItem* item);
// Returns the Appendix A name ("None + Pending Out/In").
std::string_view SubscriptionStateName(SubscriptionState state);

enum class ItemChange { kUnchanged, kCreate, kUpdate, kRemove };

// Where an inbound stanza goes on the user's side.
enum class UserDelivery {
  kNone,
  // To every available resource of the user; if none, nothing.
  kAvailableResources,
  // To every available resource; if none, the pending_in flag now stored
  // is the record, and the request is delivered again when the user next
  // sends initial presence (§3.1.3; see PendingSubscriptionRequests()).
  kAvailableResourcesOrKeep,
};

// Presence the user's server sends to the contact as a consequence.
enum class PresenceFollowUp {
  kNone,
  // The user's current presence from every available resource (§3.1.5,
  // approval or pre-approval used).
  kAvailableFromAllResources,
  // Unavailable from every available resource (§3.2.2 the user cancelled
  // the contact's subscription, §3.3.3 the contact unsubscribed).
  kUnavailableFromAllResources,
};

// An automatic reply from the user's bare JID to the contact.
enum class AutoReply { kNone, kSubscribed };

struct SubscriptionDecision {
  ItemChange change = ItemChange::kUnchanged;
  // kCreate / kUpdate: the item to store; kRemove: the item that was.
  storage::RosterItem item;
  SubscriptionState state_before = SubscriptionState::kNone;
  SubscriptionState state_after = SubscriptionState::kNone;
  // The pre-approval flag to keep for this contact afterwards.
  bool pre_approved = false;
  // Push `item` to the user's interested resources.
  bool push_roster = false;
  // Outbound only: route the stanza to the contact, from = user's bare JID.
  bool forward_to_contact = false;
  UserDelivery deliver_to_user = UserDelivery::kNone;
  PresenceFollowUp presence = PresenceFollowUp::kNone;
  AutoReply auto_reply = AutoReply::kNone;

  bool operator==(const SubscriptionDecision&) const = default;
};

struct SubscriptionInput {
  SubscriptionEvent event = SubscriptionEvent::kInboundSubscribe;
  // The contact's bare JID (the item's key when one is created).
  std::string_view contact;
  // The user's stored item for the contact, or nullptr.
  const storage::RosterItem* item = nullptr;
  // Whether the user has pre-approved the contact's subscription (§3.4).
  bool pre_approved = false;
  // Whether the server supports pre-approval (stream feature 'sub').
  bool pre_approval_enabled = true;
};

// Decides what one subscription stanza does (Appendix A.2 / A.3 tables).
SubscriptionDecision DecideSubscription(const SubscriptionInput& input);

// Returns the contacts whose subscription request is still unanswered
// (pending_in), to deliver again when the user sends initial presence.
std::vector<std::string> PendingSubscriptionRequests(const storage::Roster& roster);

}  // namespace ringlet::im
