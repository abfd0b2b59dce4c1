#include "xmpp/im/subscription.h"

#include <vector>

#include "gtest/gtest.h"

namespace ringlet::im {
namespace {

using E = SubscriptionEvent;
using S = SubscriptionState;
using storage::RosterItem;
using storage::Subscription;

constexpr S kAllStates[] = {S::kNone, S::kNonePendingOut, S::kNonePendingIn,
                            S::kNonePendingOutIn, S::kTo, S::kToPendingIn,
                            S::kFrom, S::kFromPendingOut, S::kBoth};

// A visible item (it has a name) in `state`.
RosterItem ItemIn(S state) {
  RosterItem item;
  item.jid = "contact@example.net";
  item.name = "Contact";
  SetState(state, &item);
  return item;
}

// One row of an Appendix A table, by state names.
struct Row {
  S before;
  S after;
  bool pass;  // routed (outbound) or delivered (inbound)
};

SubscriptionDecision Decide(E event, S state, bool pre_approved = false) {
  const RosterItem item = ItemIn(state);
  return DecideSubscription({.event = event,
                             .contact = "contact@example.net",
                             .item = &item,
                             .pre_approved = pre_approved});
}

void CheckTable(E event, const std::vector<Row>& rows) {
  ASSERT_EQ(rows.size(), 9u);
  for (const Row& row : rows) {
    SCOPED_TRACE(std::string(SubscriptionStateName(row.before)) + " -> " +
                 std::string(SubscriptionStateName(row.after)));
    const SubscriptionDecision d = Decide(event, row.before);
    EXPECT_EQ(d.state_before, row.before);
    EXPECT_EQ(d.state_after, row.after);
    if (row.after == row.before) {
      EXPECT_EQ(d.change, ItemChange::kUnchanged);
      EXPECT_FALSE(d.push_roster);
    } else {
      EXPECT_EQ(d.change, ItemChange::kUpdate);
      EXPECT_EQ(StateOf(&d.item), row.after);
      EXPECT_EQ(d.item.name, "Contact");
    }
    const bool outbound = event == E::kOutboundSubscribe || event == E::kOutboundSubscribed ||
                          event == E::kOutboundUnsubscribe || event == E::kOutboundUnsubscribed;
    if (outbound) {
      EXPECT_EQ(d.forward_to_contact, row.pass);
      EXPECT_EQ(d.deliver_to_user, UserDelivery::kNone);
    } else {
      EXPECT_FALSE(d.forward_to_contact);
      EXPECT_EQ(d.deliver_to_user != UserDelivery::kNone, row.pass);
    }
  }
}

TEST(StateTest, RoundTripsThroughRosterItem) {
  for (S state : kAllStates) {
    RosterItem item;
    SetState(state, &item);
    EXPECT_EQ(StateOf(&item), state) << SubscriptionStateName(state);
  }
  EXPECT_EQ(StateOf(nullptr), S::kNone);
  EXPECT_EQ(SubscriptionStateName(S::kNonePendingOutIn), "None + Pending Out/In");
}

// Appendix A.2.1.
TEST(AppendixA2Test, OutboundSubscribe) {
  CheckTable(E::kOutboundSubscribe, {
                                        {S::kNone, S::kNonePendingOut, true},
                                        {S::kNonePendingOut, S::kNonePendingOut, true},
                                        {S::kNonePendingIn, S::kNonePendingOutIn, true},
                                        {S::kNonePendingOutIn, S::kNonePendingOutIn, true},
                                        {S::kTo, S::kTo, true},
                                        {S::kToPendingIn, S::kToPendingIn, true},
                                        {S::kFrom, S::kFromPendingOut, true},
                                        {S::kFromPendingOut, S::kFromPendingOut, true},
                                        {S::kBoth, S::kBoth, true},
                                    });
  EXPECT_TRUE(Decide(E::kOutboundSubscribe, S::kNone).push_roster);
  EXPECT_EQ(Decide(E::kOutboundSubscribe, S::kNone).presence, PresenceFollowUp::kNone);
}

// Appendix A.2.2 (the pre-approval rows: PreApprovalTest).
TEST(AppendixA2Test, OutboundSubscribed) {
  CheckTable(E::kOutboundSubscribed, {
                                         {S::kNone, S::kNone, false},
                                         {S::kNonePendingOut, S::kNonePendingOut, false},
                                         {S::kNonePendingIn, S::kFrom, true},
                                         {S::kNonePendingOutIn, S::kFromPendingOut, true},
                                         {S::kTo, S::kTo, false},
                                         {S::kToPendingIn, S::kBoth, true},
                                         {S::kFrom, S::kFrom, false},
                                         {S::kFromPendingOut, S::kFromPendingOut, false},
                                         {S::kBoth, S::kBoth, false},
                                     });
  for (S state : {S::kNonePendingIn, S::kNonePendingOutIn, S::kToPendingIn}) {
    const SubscriptionDecision d = Decide(E::kOutboundSubscribed, state);
    EXPECT_EQ(d.presence, PresenceFollowUp::kAvailableFromAllResources);
    EXPECT_TRUE(d.push_roster);
  }
  EXPECT_EQ(Decide(E::kOutboundSubscribed, S::kBoth).presence, PresenceFollowUp::kNone);
}

// Appendix A.2.3.
TEST(AppendixA2Test, OutboundUnsubscribe) {
  CheckTable(E::kOutboundUnsubscribe, {
                                          {S::kNone, S::kNone, true},
                                          {S::kNonePendingOut, S::kNone, true},
                                          {S::kNonePendingIn, S::kNonePendingIn, true},
                                          {S::kNonePendingOutIn, S::kNonePendingIn, true},
                                          {S::kTo, S::kNone, true},
                                          {S::kToPendingIn, S::kNonePendingIn, true},
                                          {S::kFrom, S::kFrom, true},
                                          {S::kFromPendingOut, S::kFrom, true},
                                          {S::kBoth, S::kFrom, true},
                                      });
  EXPECT_EQ(Decide(E::kOutboundUnsubscribe, S::kBoth).presence, PresenceFollowUp::kNone);
  EXPECT_TRUE(Decide(E::kOutboundUnsubscribe, S::kBoth).push_roster);
}

// Appendix A.2.4.
TEST(AppendixA2Test, OutboundUnsubscribed) {
  CheckTable(E::kOutboundUnsubscribed, {
                                           {S::kNone, S::kNone, false},
                                           {S::kNonePendingOut, S::kNonePendingOut, false},
                                           {S::kNonePendingIn, S::kNone, true},
                                           {S::kNonePendingOutIn, S::kNonePendingOut, true},
                                           {S::kTo, S::kTo, false},
                                           {S::kToPendingIn, S::kTo, true},
                                           {S::kFrom, S::kNone, true},
                                           {S::kFromPendingOut, S::kNonePendingOut, true},
                                           {S::kBoth, S::kTo, true},
                                       });
  // §3.2.2: only a subscription that existed ends with unavailable presence.
  for (S state : {S::kFrom, S::kFromPendingOut, S::kBoth}) {
    EXPECT_EQ(Decide(E::kOutboundUnsubscribed, state).presence,
              PresenceFollowUp::kUnavailableFromAllResources);
  }
  EXPECT_EQ(Decide(E::kOutboundUnsubscribed, S::kNonePendingIn).presence, PresenceFollowUp::kNone);
}

// Appendix A.3.1 (the pre-approved rows: PreApprovalTest).
TEST(AppendixA3Test, InboundSubscribe) {
  CheckTable(E::kInboundSubscribe, {
                                       {S::kNone, S::kNonePendingIn, true},
                                       {S::kNonePendingOut, S::kNonePendingOutIn, true},
                                       {S::kNonePendingIn, S::kNonePendingIn, false},
                                       {S::kNonePendingOutIn, S::kNonePendingOutIn, false},
                                       {S::kTo, S::kToPendingIn, true},
                                       {S::kToPendingIn, S::kToPendingIn, false},
                                       {S::kFrom, S::kFrom, false},
                                       {S::kFromPendingOut, S::kFromPendingOut, false},
                                       {S::kBoth, S::kBoth, false},
                                   });
  EXPECT_EQ(Decide(E::kInboundSubscribe, S::kNone).deliver_to_user,
            UserDelivery::kAvailableResourcesOrKeep);
  // pending_in is not part of the item's XML: no push (Appendix A.1).
  EXPECT_FALSE(Decide(E::kInboundSubscribe, S::kTo).push_roster);
  // §3.1.3: already subscribed: the server answers subscribed itself.
  for (S state : kAllStates) {
    const bool has_from = state == S::kFrom || state == S::kFromPendingOut || state == S::kBoth;
    EXPECT_EQ(Decide(E::kInboundSubscribe, state).auto_reply,
              has_from ? AutoReply::kSubscribed : AutoReply::kNone)
        << SubscriptionStateName(state);
  }
}

// Appendix A.3.2.
TEST(AppendixA3Test, InboundSubscribed) {
  CheckTable(E::kInboundSubscribed, {
                                        {S::kNone, S::kNone, false},
                                        {S::kNonePendingOut, S::kTo, true},
                                        {S::kNonePendingIn, S::kNonePendingIn, false},
                                        {S::kNonePendingOutIn, S::kToPendingIn, true},
                                        {S::kTo, S::kTo, false},
                                        {S::kToPendingIn, S::kToPendingIn, false},
                                        {S::kFrom, S::kFrom, false},
                                        {S::kFromPendingOut, S::kBoth, true},
                                        {S::kBoth, S::kBoth, false},
                                    });
  const SubscriptionDecision d = Decide(E::kInboundSubscribed, S::kNonePendingOut);
  EXPECT_TRUE(d.push_roster);
  EXPECT_EQ(d.deliver_to_user, UserDelivery::kAvailableResources);
  // The contact's server sends the contact's presence (§3.1.5); the user's
  // server sends nothing.
  EXPECT_EQ(d.presence, PresenceFollowUp::kNone);
  EXPECT_EQ(d.auto_reply, AutoReply::kNone);
}

// Appendix A.3.3.
TEST(AppendixA3Test, InboundUnsubscribe) {
  CheckTable(E::kInboundUnsubscribe, {
                                         {S::kNone, S::kNone, false},
                                         {S::kNonePendingOut, S::kNonePendingOut, false},
                                         {S::kNonePendingIn, S::kNone, true},
                                         {S::kNonePendingOutIn, S::kNonePendingOut, true},
                                         {S::kTo, S::kTo, false},
                                         {S::kToPendingIn, S::kTo, true},
                                         {S::kFrom, S::kNone, true},
                                         {S::kFromPendingOut, S::kNonePendingOut, true},
                                         {S::kBoth, S::kTo, true},
                                     });
  for (S state : {S::kFrom, S::kFromPendingOut, S::kBoth}) {
    const SubscriptionDecision d = Decide(E::kInboundUnsubscribe, state);
    EXPECT_EQ(d.presence, PresenceFollowUp::kUnavailableFromAllResources);
    EXPECT_TRUE(d.push_roster);
  }
  EXPECT_EQ(Decide(E::kInboundUnsubscribe, S::kToPendingIn).presence, PresenceFollowUp::kNone);
}

// Appendix A.3.4.
TEST(AppendixA3Test, InboundUnsubscribed) {
  CheckTable(E::kInboundUnsubscribed, {
                                          {S::kNone, S::kNone, false},
                                          {S::kNonePendingOut, S::kNone, true},
                                          {S::kNonePendingIn, S::kNonePendingIn, false},
                                          {S::kNonePendingOutIn, S::kNonePendingIn, true},
                                          {S::kTo, S::kNone, true},
                                          {S::kToPendingIn, S::kNonePendingIn, true},
                                          {S::kFrom, S::kFrom, false},
                                          {S::kFromPendingOut, S::kFrom, true},
                                          {S::kBoth, S::kFrom, true},
                                      });
  EXPECT_EQ(Decide(E::kInboundUnsubscribed, S::kBoth).presence, PresenceFollowUp::kNone);
  EXPECT_TRUE(Decide(E::kInboundUnsubscribed, S::kBoth).push_roster);
}

// §3.4: outbound subscribed in None, None + Pending Out and To records a
// pre-approval; an inbound subscribe then uses it up.
TEST(PreApprovalTest, OutboundSubscribedPreApproves) {
  for (S state : {S::kNone, S::kNonePendingOut, S::kTo}) {
    SCOPED_TRACE(SubscriptionStateName(state));
    const SubscriptionDecision d = Decide(E::kOutboundSubscribed, state);
    EXPECT_TRUE(d.pre_approved);
    EXPECT_FALSE(d.forward_to_contact);
    EXPECT_EQ(d.state_after, state);
  }
  EXPECT_FALSE(Decide(E::kOutboundSubscribed, S::kFrom).pre_approved);
}

TEST(PreApprovalTest, OutboundSubscribedWithoutItemCreatesOne) {
  const SubscriptionDecision d = DecideSubscription(
      {.event = E::kOutboundSubscribed, .contact = "c@x", .item = nullptr});
  EXPECT_EQ(d.change, ItemChange::kCreate);
  EXPECT_EQ(d.item.jid, "c@x");
  EXPECT_EQ(d.item.subscription, Subscription::kNone);
  EXPECT_TRUE(d.pre_approved);
  EXPECT_TRUE(d.push_roster);
}

TEST(PreApprovalTest, IgnoredWhenNotSupported) {
  const RosterItem item = ItemIn(S::kNone);
  const SubscriptionDecision d = DecideSubscription({.event = E::kOutboundSubscribed,
                                                     .contact = "contact@example.net",
                                                     .item = &item,
                                                     .pre_approval_enabled = false});
  EXPECT_EQ(d, (SubscriptionDecision{}));
}

TEST(PreApprovalTest, InboundSubscribeUsesPreApproval) {
  const std::pair<S, S> rows[] = {{S::kNone, S::kFrom},
                                  {S::kNonePendingOut, S::kFromPendingOut},
                                  {S::kTo, S::kBoth}};
  for (const auto& [before, after] : rows) {
    SCOPED_TRACE(SubscriptionStateName(before));
    const SubscriptionDecision d = Decide(E::kInboundSubscribe, before, /*pre_approved=*/true);
    EXPECT_EQ(d.state_after, after);
    EXPECT_EQ(d.change, ItemChange::kUpdate);
    EXPECT_FALSE(d.pre_approved);
    EXPECT_TRUE(d.push_roster);
    EXPECT_EQ(d.deliver_to_user, UserDelivery::kNone);
    EXPECT_EQ(d.auto_reply, AutoReply::kSubscribed);
    EXPECT_EQ(d.presence, PresenceFollowUp::kAvailableFromAllResources);
  }
}

TEST(PreApprovalTest, OutboundUnsubscribedCancelsIt) {
  for (S state : kAllStates) {
    EXPECT_FALSE(Decide(E::kOutboundUnsubscribed, state, true).pre_approved);
  }
  // Other events keep it.
  EXPECT_TRUE(Decide(E::kOutboundSubscribe, S::kNone, true).pre_approved);
  EXPECT_TRUE(Decide(E::kInboundUnsubscribed, S::kNonePendingOut, true).pre_approved);
}

// Items that do not exist yet, and items that only record a request.
TEST(ItemLifecycleTest, InboundSubscribeFromStrangerCreatesHiddenItem) {
  const SubscriptionDecision d =
      DecideSubscription({.event = E::kInboundSubscribe, .contact = "c@x", .item = nullptr});
  EXPECT_EQ(d.change, ItemChange::kCreate);
  EXPECT_EQ(d.item.jid, "c@x");
  EXPECT_TRUE(d.item.pending_in);
  EXPECT_FALSE(d.push_roster);
  EXPECT_EQ(d.deliver_to_user, UserDelivery::kAvailableResourcesOrKeep);
}

TEST(ItemLifecycleTest, DenyingAHiddenRequestRemovesTheItemQuietly) {
  RosterItem hidden;
  hidden.jid = "c@x";
  hidden.pending_in = true;
  for (E event : {E::kOutboundUnsubscribed, E::kInboundUnsubscribe}) {
    const SubscriptionDecision d =
        DecideSubscription({.event = event, .contact = "c@x", .item = &hidden});
    EXPECT_EQ(d.change, ItemChange::kRemove);
    EXPECT_FALSE(d.push_roster);
  }
}

TEST(ItemLifecycleTest, ApprovingAHiddenRequestShowsTheItem) {
  RosterItem hidden;
  hidden.jid = "c@x";
  hidden.pending_in = true;
  const SubscriptionDecision d =
      DecideSubscription({.event = E::kOutboundSubscribed, .contact = "c@x", .item = &hidden});
  EXPECT_EQ(d.change, ItemChange::kUpdate);
  EXPECT_EQ(d.item.subscription, Subscription::kFrom);
  EXPECT_FALSE(d.item.pending_in);
  EXPECT_TRUE(d.push_roster);
  EXPECT_TRUE(d.forward_to_contact);
}

TEST(ItemLifecycleTest, OutboundSubscribeWithoutItemCreatesOne) {
  const SubscriptionDecision d =
      DecideSubscription({.event = E::kOutboundSubscribe, .contact = "c@x", .item = nullptr});
  EXPECT_EQ(d.change, ItemChange::kCreate);
  EXPECT_TRUE(d.item.ask);
  EXPECT_TRUE(d.push_roster);
  EXPECT_TRUE(d.forward_to_contact);
}

TEST(ItemLifecycleTest, StanzasForUnknownContactsChangeNothing) {
  for (E event : {E::kOutboundUnsubscribe, E::kOutboundUnsubscribed, E::kInboundSubscribed,
                  E::kInboundUnsubscribe, E::kInboundUnsubscribed}) {
    const SubscriptionDecision d =
        DecideSubscription({.event = event, .contact = "c@x", .item = nullptr});
    EXPECT_EQ(d.change, ItemChange::kUnchanged);
    EXPECT_FALSE(d.push_roster);
    EXPECT_EQ(d.deliver_to_user, UserDelivery::kNone);
  }
  // An unsubscribe is still routed (the contact's server may be out of sync).
  EXPECT_TRUE(DecideSubscription({.event = E::kOutboundUnsubscribe, .contact = "c@x"})
                  .forward_to_contact);
}

TEST(PendingRequestsTest, ListsPendingIn) {
  storage::Roster roster;
  roster.items.push_back(ItemIn(S::kNonePendingIn));
  roster.items.back().jid = "a@x";
  roster.items.push_back(ItemIn(S::kTo));
  roster.items.back().jid = "b@x";
  roster.items.push_back(ItemIn(S::kToPendingIn));
  roster.items.back().jid = "c@x";
  EXPECT_EQ(PendingSubscriptionRequests(roster), (std::vector<std::string>{"a@x", "c@x"}));
}

}  // namespace
}  // namespace ringlet::im
