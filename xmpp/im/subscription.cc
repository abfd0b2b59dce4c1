#include "xmpp/im/subscription.h"

#include <array>

#include "xmpp/im/roster.h"

namespace ringlet::im {
namespace {

using S = SubscriptionState;
using storage::Subscription;

constexpr int kStateCount = 9;

// One row of an Appendix A table: the new state (nullopt: "no state
// change") and whether the stanza is routed (A.2) or delivered (A.3).
struct Row {
  std::optional<S> next;
  bool pass;
};
using Table = std::array<Row, kStateCount>;  // indexed by SubscriptionState

constexpr std::optional<S> kSame = std::nullopt;

// A.2.1 outbound subscribe. Routed in every state (§3.1.2): a repeated
// request lets the contact's server resynchronize.
constexpr Table kOutSubscribe = {{
    {S::kNonePendingOut, true},   // None
    {kSame, true},                // None + Pending Out
    {S::kNonePendingOutIn, true}, // None + Pending In
    {kSame, true},                // None + Pending Out/In
    {kSame, true},                // To
    {kSame, true},                // To + Pending In
    {S::kFromPendingOut, true},   // From
    {kSame, true},                // From + Pending Out
    {kSame, true},                // Both
}};
// A.2.2 outbound subscribed; "pre-approval" rows are handled apart.
constexpr Table kOutSubscribed = {{
    {kSame, false},             // None: pre-approval
    {kSame, false},             // None + Pending Out: pre-approval
    {S::kFrom, true},           // None + Pending In
    {S::kFromPendingOut, true}, // None + Pending Out/In
    {kSame, false},             // To: pre-approval
    {S::kBoth, true},           // To + Pending In
    {kSame, false},             // From
    {kSame, false},             // From + Pending Out
    {kSame, false},             // Both
}};
// A.2.3 outbound unsubscribe. Routed in every state (§3.3.2).
constexpr Table kOutUnsubscribe = {{
    {kSame, true},             // None
    {S::kNone, true},          // None + Pending Out
    {kSame, true},             // None + Pending In
    {S::kNonePendingIn, true}, // None + Pending Out/In
    {S::kNone, true},          // To
    {S::kNonePendingIn, true}, // To + Pending In
    {kSame, true},             // From
    {S::kFrom, true},          // From + Pending Out
    {S::kFrom, true},          // Both
}};
// A.2.4 outbound unsubscribed.
constexpr Table kOutUnsubscribed = {{
    {kSame, false},             // None (cancels a pre-approval)
    {kSame, false},             // None + Pending Out (idem)
    {S::kNone, true},           // None + Pending In
    {S::kNonePendingOut, true}, // None + Pending Out/In
    {kSame, false},             // To (cancels a pre-approval)
    {S::kTo, true},             // To + Pending In
    {S::kNone, true},           // From
    {S::kNonePendingOut, true}, // From + Pending Out
    {S::kTo, true},             // Both
}};
// A.3.1 inbound subscribe; From, From + Pending Out and Both are answered
// with an automatic subscribed, pre-approved rows are handled apart.
constexpr Table kInSubscribe = {{
    {S::kNonePendingIn, true},    // None
    {S::kNonePendingOutIn, true}, // None + Pending Out
    {kSame, false},               // None + Pending In
    {kSame, false},               // None + Pending Out/In
    {S::kToPendingIn, true},      // To
    {kSame, false},               // To + Pending In
    {kSame, false},               // From
    {kSame, false},               // From + Pending Out
    {kSame, false},               // Both
}};
// A.3.2 inbound subscribed.
constexpr Table kInSubscribed = {{
    {kSame, false},          // None
    {S::kTo, true},          // None + Pending Out
    {kSame, false},          // None + Pending In
    {S::kToPendingIn, true}, // None + Pending Out/In
    {kSame, false},          // To
    {kSame, false},          // To + Pending In
    {kSame, false},          // From
    {S::kBoth, true},        // From + Pending Out
    {kSame, false},          // Both
}};
// A.3.3 inbound unsubscribe.
constexpr Table kInUnsubscribe = {{
    {kSame, false},             // None
    {kSame, false},             // None + Pending Out
    {S::kNone, true},           // None + Pending In
    {S::kNonePendingOut, true}, // None + Pending Out/In
    {kSame, false},             // To
    {S::kTo, true},             // To + Pending In
    {S::kNone, true},           // From
    {S::kNonePendingOut, true}, // From + Pending Out
    {S::kTo, true},             // Both
}};
// A.3.4 inbound unsubscribed.
constexpr Table kInUnsubscribed = {{
    {kSame, false},            // None
    {S::kNone, true},          // None + Pending Out
    {kSame, false},            // None + Pending In
    {S::kNonePendingIn, true}, // None + Pending Out/In
    {S::kNone, true},          // To
    {S::kNonePendingIn, true}, // To + Pending In
    {kSame, false},            // From
    {S::kFrom, true},          // From + Pending Out
    {S::kFrom, true},          // Both
}};

const Table& TableFor(SubscriptionEvent event) {
  switch (event) {
    case SubscriptionEvent::kOutboundSubscribe:
      return kOutSubscribe;
    case SubscriptionEvent::kOutboundSubscribed:
      return kOutSubscribed;
    case SubscriptionEvent::kOutboundUnsubscribe:
      return kOutUnsubscribe;
    case SubscriptionEvent::kOutboundUnsubscribed:
      return kOutUnsubscribed;
    case SubscriptionEvent::kInboundSubscribe:
      return kInSubscribe;
    case SubscriptionEvent::kInboundSubscribed:
      return kInSubscribed;
    case SubscriptionEvent::kInboundUnsubscribe:
      return kInUnsubscribe;
    case SubscriptionEvent::kInboundUnsubscribed:
      return kInUnsubscribed;
  }
  return kInSubscribe;
}

bool HasFrom(S state) {
  return state == S::kFrom || state == S::kFromPendingOut || state == S::kBoth;
}

bool IsOutbound(SubscriptionEvent event) {
  return event == SubscriptionEvent::kOutboundSubscribe ||
         event == SubscriptionEvent::kOutboundSubscribed ||
         event == SubscriptionEvent::kOutboundUnsubscribe ||
         event == SubscriptionEvent::kOutboundUnsubscribed;
}

// The state the contact's subscription reaches when an approval (given now
// or pre-approved) meets a state without a pending request.
S Approved(S state) {
  switch (state) {
    case S::kNone:
      return S::kFrom;
    case S::kNonePendingOut:
      return S::kFromPendingOut;
    case S::kTo:
      return S::kBoth;
    default:
      return state;
  }
}

bool CanBePreApproved(S state) {
  return state == S::kNone || state == S::kNonePendingOut || state == S::kTo;
}

// Fills change, item and push_roster from the state change.
void SetItem(const SubscriptionInput& in, S next, bool create_even_if_none,
             SubscriptionDecision* d) {
  d->state_after = next;
  const bool moved = next != d->state_before;
  if (in.item == nullptr) {
    if (!moved && !create_even_if_none) return;
    d->change = ItemChange::kCreate;
    d->item.jid = std::string(in.contact);
    SetState(next, &d->item);
    d->push_roster = IsVisibleInRoster(d->item);
    return;
  }
  if (!moved) return;
  d->item = *in.item;
  SetState(next, &d->item);
  const bool visible_before = IsVisibleInRoster(*in.item);
  const bool visible_after = IsVisibleInRoster(d->item);
  const bool empty = d->item.subscription == Subscription::kNone && !d->item.ask &&
                     !d->item.pending_in && d->item.name.empty() && d->item.groups.empty() &&
                     !d->pre_approved;
  if (!visible_before && empty) {
    // The item only recorded the request that is now gone: the user never
    // saw it, so it goes without a push.
    d->change = ItemChange::kRemove;
    d->item = *in.item;
    return;
  }
  d->change = ItemChange::kUpdate;
  // pending_in is not shown, so a change of it alone is not pushed.
  d->push_roster = visible_before != visible_after ||
                   (visible_after && (in.item->subscription != d->item.subscription ||
                                      in.item->ask != d->item.ask));
}

}  // namespace

SubscriptionState StateOf(const storage::RosterItem* item) {
  if (item == nullptr) return S::kNone;
  switch (item->subscription) {
    case Subscription::kNone:
      if (item->ask && item->pending_in) return S::kNonePendingOutIn;
      if (item->ask) return S::kNonePendingOut;
      if (item->pending_in) return S::kNonePendingIn;
      return S::kNone;
    case Subscription::kTo:
      return item->pending_in ? S::kToPendingIn : S::kTo;
    case Subscription::kFrom:
      return item->ask ? S::kFromPendingOut : S::kFrom;
    case Subscription::kBoth:
      return S::kBoth;
  }
  return S::kNone;
}

void SetState(SubscriptionState state, storage::RosterItem* item) {
  struct Fields {
    Subscription subscription;
    bool ask, pending_in;
  };
  static constexpr std::array<Fields, kStateCount> kFields = {{
      {Subscription::kNone, false, false},
      {Subscription::kNone, true, false},
      {Subscription::kNone, false, true},
      {Subscription::kNone, true, true},
      {Subscription::kTo, false, false},
      {Subscription::kTo, false, true},
      {Subscription::kFrom, false, false},
      {Subscription::kFrom, true, false},
      {Subscription::kBoth, false, false},
  }};
  const Fields& f = kFields[static_cast<size_t>(state)];
  item->subscription = f.subscription;
  item->ask = f.ask;
  item->pending_in = f.pending_in;
}

std::string_view SubscriptionStateName(SubscriptionState state) {
  static constexpr std::array<std::string_view, kStateCount> kNames = {
      "None", "None + Pending Out", "None + Pending In", "None + Pending Out/In", "To",
      "To + Pending In", "From", "From + Pending Out", "Both",
  };
  return kNames[static_cast<size_t>(state)];
}

SubscriptionDecision DecideSubscription(const SubscriptionInput& in) {
  SubscriptionDecision d;
  d.state_before = StateOf(in.item);
  d.state_after = d.state_before;
  d.pre_approved = in.pre_approval_enabled && in.pre_approved;
  const Row& row = TableFor(in.event)[static_cast<size_t>(d.state_before)];

  switch (in.event) {
    case SubscriptionEvent::kOutboundSubscribed:
      if (!row.next && CanBePreApproved(d.state_before)) {
        // §3.4: approval before any request. Without pre-approval support
        // the stanza is ignored.
        if (!in.pre_approval_enabled) return d;
        d.pre_approved = true;
        SetItem(in, d.state_before, /*create_even_if_none=*/true, &d);
        return d;
      }
      break;
    case SubscriptionEvent::kOutboundUnsubscribed:
      d.pre_approved = false;  // cancels any pre-approval (A.2.4 note)
      break;
    case SubscriptionEvent::kInboundSubscribe:
      if (HasFrom(d.state_before)) {
        // §3.1.3: already subscribed: answer for the user, tell no one.
        d.auto_reply = AutoReply::kSubscribed;
        return d;
      }
      if (d.pre_approved && CanBePreApproved(d.state_before)) {
        // §3.4: the pre-approval is used up.
        d.pre_approved = false;
        d.auto_reply = AutoReply::kSubscribed;
        d.presence = PresenceFollowUp::kAvailableFromAllResources;
        SetItem(in, Approved(d.state_before), /*create_even_if_none=*/false, &d);
        return d;
      }
      break;
    default:
      break;
  }

  if (row.next) {
    if (in.event == SubscriptionEvent::kOutboundSubscribed) d.pre_approved = false;
    SetItem(in, *row.next, /*create_even_if_none=*/false, &d);
  }
  if (IsOutbound(in.event)) {
    d.forward_to_contact = row.pass;
  } else if (row.pass) {
    d.deliver_to_user = in.event == SubscriptionEvent::kInboundSubscribe
                            ? UserDelivery::kAvailableResourcesOrKeep
                            : UserDelivery::kAvailableResources;
  }
  if (row.pass) {
    if (in.event == SubscriptionEvent::kOutboundSubscribed) {
      // §3.1.5: the contact now gets the user's presence.
      d.presence = PresenceFollowUp::kAvailableFromAllResources;
    } else if ((in.event == SubscriptionEvent::kOutboundUnsubscribed ||
                in.event == SubscriptionEvent::kInboundUnsubscribe) &&
               HasFrom(d.state_before)) {
      // §3.2.2 / §3.3.3: the contact's subscription to the user ended.
      d.presence = PresenceFollowUp::kUnavailableFromAllResources;
    }
  }
  return d;
}

std::vector<std::string> PendingSubscriptionRequests(const storage::Roster& roster) {
  std::vector<std::string> contacts;
  for (const storage::RosterItem& item : roster.items) {
    if (item.pending_in) contacts.push_back(item.jid);
  }
  return contacts;
}

}  // namespace ringlet::im
