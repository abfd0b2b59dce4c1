#include "xmpp/im/delivery.h"

#include <vector>

#include "gtest/gtest.h"

namespace ringlet::im {
namespace {

using A = DeliveryAction;
using T = StanzaType;

DeliveryDecision Deliver(std::vector<std::string> resources) {
  DeliveryDecision d;
  d.action = A::kDeliver;
  d.resources = std::move(resources);
  return d;
}
DeliveryDecision Do(A action) {
  DeliveryDecision d;
  d.action = action;
  return d;
}
DeliveryDecision Err(StanzaErrorCondition condition) {
  DeliveryDecision d;
  d.action = A::kReplyError;
  d.error = condition;
  return d;
}
const DeliveryDecision kServiceUnavailable = Err(StanzaErrorCondition::kServiceUnavailable);

// Sessions: "hi" available prio 5, "neg" available prio -1, "zero" available
// prio 0, "conn" connected but not available.
const std::vector<SessionInfo> kMixed = {
    {"hi", 5, true}, {"neg", -1, true}, {"zero", 0, true}, {"conn", 3, false}};
const std::vector<SessionInfo> kOnlyNegative = {{"neg", -1, true}, {"conn", 0, false}};
const std::vector<SessionInfo> kNone = {};

DeliveryDecision Decide(T type, std::string_view resource, const std::vector<SessionInfo>& sessions,
                        bool exists = true, bool offline = true) {
  return DecideDelivery({.type = type,
                         .to_resource = resource,
                         .account_exists = exists,
                         .sessions = sessions,
                         .offline_storage_enabled = offline});
}

TEST(ClassifyStanzaTest, Types) {
  EXPECT_EQ(*ClassifyStanza("message", std::nullopt), T::kMessageNormal);
  EXPECT_EQ(*ClassifyStanza("message", "normal"), T::kMessageNormal);
  EXPECT_EQ(*ClassifyStanza("message", "bogus"), T::kMessageNormal);
  EXPECT_EQ(*ClassifyStanza("message", "chat"), T::kMessageChat);
  EXPECT_EQ(*ClassifyStanza("message", "groupchat"), T::kMessageGroupchat);
  EXPECT_EQ(*ClassifyStanza("message", "headline"), T::kMessageHeadline);
  EXPECT_EQ(*ClassifyStanza("message", "error"), T::kMessageError);
  EXPECT_EQ(*ClassifyStanza("presence", std::nullopt), T::kPresenceAvailable);
  EXPECT_EQ(*ClassifyStanza("presence", "unavailable"), T::kPresenceUnavailable);
  EXPECT_EQ(*ClassifyStanza("presence", "subscribe"), T::kPresenceSubscribe);
  EXPECT_EQ(*ClassifyStanza("presence", "subscribed"), T::kPresenceSubscribed);
  EXPECT_EQ(*ClassifyStanza("presence", "unsubscribe"), T::kPresenceUnsubscribe);
  EXPECT_EQ(*ClassifyStanza("presence", "unsubscribed"), T::kPresenceUnsubscribed);
  EXPECT_EQ(*ClassifyStanza("presence", "probe"), T::kPresenceProbe);
  EXPECT_EQ(*ClassifyStanza("presence", "error"), T::kPresenceError);
  EXPECT_FALSE(ClassifyStanza("presence", "available").ok());
  EXPECT_EQ(*ClassifyStanza("iq", "get"), T::kIqGet);
  EXPECT_EQ(*ClassifyStanza("iq", "set"), T::kIqSet);
  EXPECT_EQ(*ClassifyStanza("iq", "result"), T::kIqResult);
  EXPECT_EQ(*ClassifyStanza("iq", "error"), T::kIqError);
  EXPECT_FALSE(ClassifyStanza("iq", std::nullopt).ok());
  EXPECT_FALSE(ClassifyStanza("iq", "GET").ok());
  EXPECT_FALSE(ClassifyStanza("query", "get").ok());
  EXPECT_TRUE(IsMessage(T::kMessageError));
  EXPECT_TRUE(IsPresence(T::kPresenceAvailable));
  EXPECT_TRUE(IsPresence(T::kPresenceError));
  EXPECT_TRUE(IsIq(T::kIqGet));
  EXPECT_FALSE(IsIq(T::kPresenceError));
}

// §8.5.1: no such user, bare and full JID alike.
TEST(DeliveryTest, NoSuchUser) {
  for (std::string_view resource : {"", "r"}) {
    SCOPED_TRACE(resource);
    EXPECT_EQ(Decide(T::kMessageNormal, resource, kNone, false), kServiceUnavailable);
    EXPECT_EQ(Decide(T::kMessageChat, resource, kNone, false), kServiceUnavailable);
    EXPECT_EQ(Decide(T::kMessageGroupchat, resource, kNone, false), kServiceUnavailable);
    EXPECT_EQ(Decide(T::kMessageHeadline, resource, kNone, false), kServiceUnavailable);
    EXPECT_EQ(Decide(T::kMessageError, resource, kNone, false), Do(A::kDrop));
    EXPECT_EQ(Decide(T::kPresenceAvailable, resource, kNone, false), Do(A::kDrop));
    EXPECT_EQ(Decide(T::kPresenceUnavailable, resource, kNone, false), Do(A::kDrop));
    EXPECT_EQ(Decide(T::kPresenceSubscribe, resource, kNone, false), Do(A::kDrop));
    EXPECT_EQ(Decide(T::kPresenceSubscribed, resource, kNone, false), Do(A::kDrop));
    EXPECT_EQ(Decide(T::kPresenceUnsubscribe, resource, kNone, false), Do(A::kDrop));
    EXPECT_EQ(Decide(T::kPresenceUnsubscribed, resource, kNone, false), Do(A::kDrop));
    EXPECT_EQ(Decide(T::kPresenceProbe, resource, kNone, false), Do(A::kReplyUnsubscribed));
    EXPECT_EQ(Decide(T::kPresenceError, resource, kNone, false), Do(A::kDrop));
    EXPECT_EQ(Decide(T::kIqGet, resource, kNone, false), kServiceUnavailable);
    EXPECT_EQ(Decide(T::kIqSet, resource, kNone, false), kServiceUnavailable);
    EXPECT_EQ(Decide(T::kIqResult, resource, kNone, false), Do(A::kDrop));
    EXPECT_EQ(Decide(T::kIqError, resource, kNone, false), Do(A::kDrop));
  }
}

// §8.5.2.1: bare JID, some resources available.
TEST(DeliveryTest, BareJidWithAvailableResources) {
  const auto non_negative = Deliver({"hi", "zero"});
  const auto all_available = Deliver({"hi", "neg", "zero"});
  EXPECT_EQ(Decide(T::kMessageNormal, "", kMixed), non_negative);
  EXPECT_EQ(Decide(T::kMessageChat, "", kMixed), non_negative);
  EXPECT_EQ(Decide(T::kMessageHeadline, "", kMixed), non_negative);
  EXPECT_EQ(Decide(T::kMessageGroupchat, "", kMixed), kServiceUnavailable);
  EXPECT_EQ(Decide(T::kMessageError, "", kMixed), Do(A::kDrop));
  EXPECT_EQ(Decide(T::kPresenceAvailable, "", kMixed), all_available);
  EXPECT_EQ(Decide(T::kPresenceUnavailable, "", kMixed), all_available);
  EXPECT_EQ(Decide(T::kPresenceError, "", kMixed), all_available);
  EXPECT_EQ(Decide(T::kPresenceSubscribe, "", kMixed), Do(A::kHandleSubscription));
  EXPECT_EQ(Decide(T::kPresenceSubscribed, "", kMixed), Do(A::kHandleSubscription));
  EXPECT_EQ(Decide(T::kPresenceUnsubscribe, "", kMixed), Do(A::kHandleSubscription));
  EXPECT_EQ(Decide(T::kPresenceUnsubscribed, "", kMixed), Do(A::kHandleSubscription));
  EXPECT_EQ(Decide(T::kPresenceProbe, "", kMixed), Do(A::kHandleProbe));
  EXPECT_EQ(Decide(T::kIqGet, "", kMixed), Do(A::kHandleByServer));
  EXPECT_EQ(Decide(T::kIqSet, "", kMixed), Do(A::kHandleByServer));
  EXPECT_EQ(Decide(T::kIqResult, "", kMixed), Do(A::kHandleByServer));
  EXPECT_EQ(Decide(T::kIqError, "", kMixed), Do(A::kHandleByServer));
}

// §8.5.2.1.1: only negative-priority resources count as none for messages,
// but still get presence.
TEST(DeliveryTest, BareJidWithOnlyNegativePriority) {
  EXPECT_EQ(Decide(T::kMessageChat, "", kOnlyNegative), Do(A::kStoreOffline));
  EXPECT_EQ(Decide(T::kMessageNormal, "", kOnlyNegative), Do(A::kStoreOffline));
  EXPECT_EQ(Decide(T::kMessageHeadline, "", kOnlyNegative), Do(A::kDrop));
  EXPECT_EQ(Decide(T::kPresenceAvailable, "", kOnlyNegative), Deliver({"neg"}));
}

// §8.5.2.2: bare JID, no available resource (none bound, or only connected).
TEST(DeliveryTest, BareJidWithoutAvailableResources) {
  const std::vector<SessionInfo> connected_only = {{"conn", 1, false}};
  for (const auto* sessions : {&kNone, &connected_only}) {
    EXPECT_EQ(Decide(T::kMessageNormal, "", *sessions), Do(A::kStoreOffline));
    EXPECT_EQ(Decide(T::kMessageChat, "", *sessions), Do(A::kStoreOffline));
    EXPECT_EQ(Decide(T::kMessageChat, "", *sessions, true, false), kServiceUnavailable);
    EXPECT_EQ(Decide(T::kMessageNormal, "", *sessions, true, false), kServiceUnavailable);
    EXPECT_EQ(Decide(T::kMessageHeadline, "", *sessions), Do(A::kDrop));
    EXPECT_EQ(Decide(T::kMessageGroupchat, "", *sessions), kServiceUnavailable);
    EXPECT_EQ(Decide(T::kMessageError, "", *sessions), Do(A::kDrop));
    EXPECT_EQ(Decide(T::kPresenceAvailable, "", *sessions), Do(A::kDrop));
    EXPECT_EQ(Decide(T::kPresenceUnavailable, "", *sessions), Do(A::kDrop));
    EXPECT_EQ(Decide(T::kPresenceError, "", *sessions), Do(A::kDrop));
    EXPECT_EQ(Decide(T::kPresenceSubscribe, "", *sessions), Do(A::kHandleSubscription));
    EXPECT_EQ(Decide(T::kPresenceUnsubscribed, "", *sessions), Do(A::kHandleSubscription));
    EXPECT_EQ(Decide(T::kPresenceProbe, "", *sessions), Do(A::kHandleProbe));
    EXPECT_EQ(Decide(T::kIqGet, "", *sessions), Do(A::kHandleByServer));
    EXPECT_EQ(Decide(T::kIqResult, "", *sessions), Do(A::kHandleByServer));
  }
}

// §8.5.3.1: full JID, the resource is bound (available or only connected).
TEST(DeliveryTest, FullJidMatchingResource) {
  for (std::string_view resource : {"neg", "conn"}) {
    SCOPED_TRACE(resource);
    const auto to_it = Deliver({std::string(resource)});
    for (T type : {T::kMessageNormal, T::kMessageChat, T::kMessageGroupchat,
                   T::kMessageHeadline, T::kMessageError, T::kPresenceAvailable,
                   T::kPresenceUnavailable, T::kPresenceError, T::kIqGet, T::kIqSet,
                   T::kIqResult, T::kIqError}) {
      EXPECT_EQ(Decide(type, resource, kMixed), to_it) << static_cast<int>(type);
    }
    EXPECT_EQ(Decide(T::kPresenceSubscribe, resource, kMixed), Do(A::kHandleSubscription));
    EXPECT_EQ(Decide(T::kPresenceSubscribed, resource, kMixed), Do(A::kHandleSubscription));
    EXPECT_EQ(Decide(T::kPresenceUnsubscribe, resource, kMixed), Do(A::kHandleSubscription));
    EXPECT_EQ(Decide(T::kPresenceUnsubscribed, resource, kMixed), Do(A::kHandleSubscription));
    EXPECT_EQ(Decide(T::kPresenceProbe, resource, kMixed), Do(A::kHandleProbe));
  }
}

// §8.5.3.2: full JID, no such resource.
TEST(DeliveryTest, FullJidWithoutMatchingResource) {
  EXPECT_EQ(Decide(T::kMessageChat, "gone", kMixed), Deliver({"hi", "zero"}));
  EXPECT_EQ(Decide(T::kMessageNormal, "gone", kMixed), Deliver({"hi", "zero"}));
  EXPECT_EQ(Decide(T::kMessageChat, "gone", kNone), Do(A::kStoreOffline));
  EXPECT_EQ(Decide(T::kMessageNormal, "gone", kNone, true, false), kServiceUnavailable);
  EXPECT_EQ(Decide(T::kMessageGroupchat, "gone", kMixed), kServiceUnavailable);
  EXPECT_EQ(Decide(T::kMessageHeadline, "gone", kMixed), Do(A::kDrop));
  EXPECT_EQ(Decide(T::kMessageError, "gone", kMixed), Do(A::kDrop));
  EXPECT_EQ(Decide(T::kPresenceAvailable, "gone", kMixed), Do(A::kDrop));
  EXPECT_EQ(Decide(T::kPresenceUnavailable, "gone", kMixed), Do(A::kDrop));
  EXPECT_EQ(Decide(T::kPresenceError, "gone", kMixed), Do(A::kDrop));
  EXPECT_EQ(Decide(T::kPresenceSubscribe, "gone", kMixed), Do(A::kHandleSubscription));
  EXPECT_EQ(Decide(T::kPresenceSubscribed, "gone", kNone), Do(A::kHandleSubscription));
  EXPECT_EQ(Decide(T::kPresenceUnsubscribe, "gone", kNone), Do(A::kHandleSubscription));
  EXPECT_EQ(Decide(T::kPresenceUnsubscribed, "gone", kNone), Do(A::kHandleSubscription));
  EXPECT_EQ(Decide(T::kPresenceProbe, "gone", kMixed), Do(A::kHandleProbe));
  EXPECT_EQ(Decide(T::kIqGet, "gone", kMixed), kServiceUnavailable);
  EXPECT_EQ(Decide(T::kIqSet, "gone", kMixed), kServiceUnavailable);
  EXPECT_EQ(Decide(T::kIqResult, "gone", kMixed), Do(A::kDrop));
  EXPECT_EQ(Decide(T::kIqError, "gone", kMixed), Do(A::kDrop));
}

TEST(DeliveryTest, ResourceMatchIsExact) {
  const std::vector<SessionInfo> sessions = {{"Home", 0, true}};
  EXPECT_EQ(Decide(T::kIqGet, "home", sessions), kServiceUnavailable);
  EXPECT_EQ(Decide(T::kIqGet, "Home", sessions), Deliver({"Home"}));
}

}  // namespace
}  // namespace ringlet::im
