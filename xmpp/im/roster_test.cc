#include "xmpp/im/roster.h"

#include <string>

#include "gtest/gtest.h"
#include "xmpp/im/internal/stanza_fixture.h"

namespace ringlet::im {
namespace {

using storage::RosterItem;
using storage::Subscription;

Jid J(std::string_view text) { return *Jid::Parse(text); }

class RosterParseTest : public internal::StanzaFixture {
 protected:
  RosterSetParse Set(const std::string& query_content,
                     std::optional<Jid> from = J("juliet@example.com/balcony"),
                     RosterLimits limits = {}) {
    return ParseRosterSet(
        Parse("<iq type='set' id='s1'><query xmlns='jabber:iq:roster'>" + query_content +
              "</query></iq>"),
        J("juliet@example.com"), from, limits);
  }
  void ExpectError(const RosterSetParse& parse, StanzaErrorCondition condition) {
    EXPECT_FALSE(parse.set.has_value());
    EXPECT_EQ(parse.error.condition, condition)
        << StanzaErrorConditionName(parse.error.condition);
  }
};

TEST_F(RosterParseTest, AddWithNameAndGroups) {
  const RosterSetParse parse = Set(
      "<item jid='Nurse@Example.com' name='Nurse &amp; co'><group>Servants</group>"
      "<group>Friends</group></item>");
  ASSERT_TRUE(parse.set);
  EXPECT_EQ(parse.set->jid.ToString(), "nurse@example.com");
  EXPECT_FALSE(parse.set->remove);
  EXPECT_EQ(parse.set->name, "Nurse & co");
  EXPECT_EQ(parse.set->groups, (std::vector<std::string>{"Servants", "Friends"}));
}

TEST_F(RosterParseTest, Remove) {
  const RosterSetParse parse = Set("<item jid='nurse@example.com' subscription='remove'/>");
  ASSERT_TRUE(parse.set);
  EXPECT_TRUE(parse.set->remove);
}

TEST_F(RosterParseTest, ServerControlledAttributesAreIgnored) {
  const RosterSetParse parse =
      Set("<item jid='nurse@example.com' subscription='both' ask='subscribe' approved='true'/>");
  ASSERT_TRUE(parse.set);
  EXPECT_FALSE(parse.set->remove);
}

TEST_F(RosterParseTest, SetWithoutFromIsTheUsers) {
  EXPECT_TRUE(Set("<item jid='a@b'/>", std::nullopt).set);
  EXPECT_TRUE(Set("<item jid='a@b'/>", J("juliet@example.com")).set);
}

TEST_F(RosterParseTest, Errors) {
  ExpectError(Set("<item jid='a@b'/>", J("romeo@example.net/orchard")),
              StanzaErrorCondition::kForbidden);
  ExpectError(Set(""), StanzaErrorCondition::kBadRequest);
  ExpectError(Set("<item jid='a@b'/><item jid='c@d'/>"), StanzaErrorCondition::kBadRequest);
  ExpectError(Set("<item name='x'/>"), StanzaErrorCondition::kBadRequest);
  ExpectError(Set("<item jid='a@b@c'/>"), StanzaErrorCondition::kJidMalformed);
  ExpectError(Set("<item jid=''/>"), StanzaErrorCondition::kJidMalformed);
  ExpectError(Set("<item jid='a@b/r'/>"), StanzaErrorCondition::kBadRequest);
  ExpectError(Set("<item jid='a@b'><group>g</group><group>g</group></item>"),
              StanzaErrorCondition::kBadRequest);
  ExpectError(Set("<item jid='a@b'><group></group></item>"),
              StanzaErrorCondition::kNotAcceptable);
  ExpectError(Set("<item jid='a@b'><group/></item>"), StanzaErrorCondition::kNotAcceptable);
  ExpectError(Set("<item jid='a@b' name='toolong'/>", std::nullopt, {.name_bytes_max = 6}),
              StanzaErrorCondition::kNotAcceptable);
  ExpectError(Set("<item jid='a@b'><group>toolong</group></item>", std::nullopt,
                  {.group_bytes_max = 6}),
              StanzaErrorCondition::kNotAcceptable);
  ExpectError(Set("<item jid='a@b'><group>1</group><group>2</group></item>", std::nullopt,
                  {.groups_max = 1}),
              StanzaErrorCondition::kNotAcceptable);
  // An item in another namespace is not a roster item.
  ExpectError(Set("<item xmlns='urn:other' jid='a@b'/>"), StanzaErrorCondition::kBadRequest);
}

TEST_F(RosterParseTest, NoQuery) {
  const RosterSetParse parse = ParseRosterSet(Parse("<iq type='set' id='1'><x/></iq>"),
                                              J("juliet@example.com"), std::nullopt, {});
  ExpectError(parse, StanzaErrorCondition::kBadRequest);
}

TEST_F(RosterParseTest, GetVersion) {
  EXPECT_EQ(ParseRosterGetVersion(
                Parse("<iq type='get' id='1'><query xmlns='jabber:iq:roster' ver='7'/></iq>")),
            "7");
  EXPECT_EQ(ParseRosterGetVersion(
                Parse("<iq type='get' id='1'><query xmlns='jabber:iq:roster' ver=''/></iq>")),
            "");
  EXPECT_EQ(ParseRosterGetVersion(
                Parse("<iq type='get' id='1'><query xmlns='jabber:iq:roster'/></iq>")),
            std::nullopt);
}

RosterItem Item(std::string jid, Subscription s, bool ask = false, bool pending_in = false) {
  RosterItem item;
  item.jid = std::move(jid);
  item.subscription = s;
  item.ask = ask;
  item.pending_in = pending_in;
  return item;
}

TEST(ApplyRosterSetTest, NewItemStartsWithNone) {
  const RosterSetOutcome outcome =
      ApplyRosterSet({.jid = J("a@b"), .name = "A", .groups = {"g"}}, nullptr);
  EXPECT_EQ(outcome.change, RosterSetOutcome::Change::kStore);
  RosterItem expected = Item("a@b", Subscription::kNone);
  expected.name = "A";
  expected.groups = {"g"};
  EXPECT_EQ(outcome.item, expected);
}

TEST(ApplyRosterSetTest, UpdateKeepsSubscriptionState) {
  RosterItem stored = Item("a@b", Subscription::kFrom, true, false);
  stored.name = "old";
  stored.groups = {"x", "y"};
  const RosterSetOutcome outcome = ApplyRosterSet({.jid = J("a@b"), .name = "new"}, &stored);
  EXPECT_EQ(outcome.change, RosterSetOutcome::Change::kStore);
  RosterItem expected = Item("a@b", Subscription::kFrom, true, false);
  expected.name = "new";
  EXPECT_EQ(outcome.item, expected);
}

TEST(ApplyRosterSetTest, RemoveMissingIsItemNotFound) {
  const RosterSetOutcome outcome = ApplyRosterSet({.jid = J("a@b"), .remove = true}, nullptr);
  EXPECT_EQ(outcome.change, RosterSetOutcome::Change::kError);
  EXPECT_EQ(outcome.error, StanzaErrorCondition::kItemNotFound);
}

TEST(ApplyRosterSetTest, RemoveCancelsSubscriptionsBothWays) {
  struct Case {
    RosterItem stored;
    bool unsubscribe, unsubscribed;
  };
  const Case cases[] = {
      {Item("a@b", Subscription::kNone), false, false},
      {Item("a@b", Subscription::kNone, true, false), true, false},
      {Item("a@b", Subscription::kNone, false, true), false, true},
      {Item("a@b", Subscription::kTo), true, false},
      {Item("a@b", Subscription::kTo, false, true), true, true},
      {Item("a@b", Subscription::kFrom), false, true},
      {Item("a@b", Subscription::kFrom, true, false), true, true},
      {Item("a@b", Subscription::kBoth), true, true},
  };
  for (const Case& c : cases) {
    const RosterSetOutcome outcome = ApplyRosterSet({.jid = J("a@b"), .remove = true}, &c.stored);
    EXPECT_EQ(outcome.change, RosterSetOutcome::Change::kRemove);
    EXPECT_EQ(outcome.send_unsubscribe, c.unsubscribe);
    EXPECT_EQ(outcome.send_unsubscribed, c.unsubscribed);
  }
}

TEST(RosterXmlTest, Item) {
  RosterItem item = Item("romeo@example.net", Subscription::kBoth, true);
  item.name = "Romeo <3";
  item.groups = {"Friends", "A&B"};
  std::string out;
  AppendRosterItem(item, &out);
  EXPECT_EQ(out,
            "<item jid='romeo@example.net' name='Romeo &lt;3' subscription='both' "
            "ask='subscribe'><group>Friends</group><group>A&amp;B</group></item>");
  out.clear();
  AppendRosterItem(Item("x@y", Subscription::kFrom, false, true), &out);
  EXPECT_EQ(out, "<item jid='x@y' subscription='from'/>");
}

storage::Roster SampleRoster() {
  storage::Roster roster;
  roster.version = 42;
  roster.items.push_back(Item("a@b", Subscription::kTo));
  roster.items.push_back(Item("hidden@b", Subscription::kNone, false, true));
  return roster;
}

TEST(RosterXmlTest, ResultWithVersioning) {
  EXPECT_EQ(BuildRosterResult("r1", "juliet@example.com/balcony", SampleRoster(), "41", true),
            "<iq type='result' id='r1' to='juliet@example.com/balcony'>"
            "<query xmlns='jabber:iq:roster' ver='42'><item jid='a@b' subscription='to'/>"
            "</query></iq>");
  EXPECT_EQ(BuildRosterResult("r1", "juliet@example.com/balcony", SampleRoster(), "", true),
            "<iq type='result' id='r1' to='juliet@example.com/balcony'>"
            "<query xmlns='jabber:iq:roster' ver='42'><item jid='a@b' subscription='to'/>"
            "</query></iq>");
}

TEST(RosterXmlTest, ResultWhenClientIsCurrentIsEmpty) {
  EXPECT_EQ(BuildRosterResult("r1", "j@e/b", SampleRoster(), "42", true),
            "<iq type='result' id='r1' to='j@e/b'/>");
  // Without versioning the client's ver means nothing.
  EXPECT_EQ(BuildRosterResult("r1", "j@e/b", SampleRoster(), "42", false),
            "<iq type='result' id='r1' to='j@e/b'><query xmlns='jabber:iq:roster'>"
            "<item jid='a@b' subscription='to'/></query></iq>");
}

TEST(RosterXmlTest, ResultWithoutClientVersion) {
  EXPECT_EQ(BuildRosterResult("r1", "", storage::Roster{}, std::nullopt, true),
            "<iq type='result' id='r1'><query xmlns='jabber:iq:roster'></query></iq>");
}

TEST(RosterXmlTest, Pushes) {
  EXPECT_EQ(BuildRosterPush("p1", "j@e/b", Item("a@b", Subscription::kNone, true), 43),
            "<iq type='set' id='p1' to='j@e/b'><query xmlns='jabber:iq:roster' ver='43'>"
            "<item jid='a@b' subscription='none' ask='subscribe'/></query></iq>");
  EXPECT_EQ(BuildRosterPush("p1", "j@e/b", Item("a@b", Subscription::kFrom), std::nullopt),
            "<iq type='set' id='p1' to='j@e/b'><query xmlns='jabber:iq:roster'>"
            "<item jid='a@b' subscription='from'/></query></iq>");
  EXPECT_EQ(BuildRosterPushRemove("p2", "j@e/b", "a@b", 44),
            "<iq type='set' id='p2' to='j@e/b'><query xmlns='jabber:iq:roster' ver='44'>"
            "<item jid='a@b' subscription='remove'/></query></iq>");
  EXPECT_EQ(BuildRosterSetResult("s1", "j@e/b"), "<iq type='result' id='s1' to='j@e/b'/>");
}

TEST(RosterXmlTest, Visibility) {
  EXPECT_TRUE(IsVisibleInRoster(Item("a@b", Subscription::kNone)));
  EXPECT_FALSE(IsVisibleInRoster(Item("a@b", Subscription::kNone, false, true)));
  EXPECT_TRUE(IsVisibleInRoster(Item("a@b", Subscription::kNone, true, true)));
  EXPECT_TRUE(IsVisibleInRoster(Item("a@b", Subscription::kTo, false, true)));
  RosterItem named = Item("a@b", Subscription::kNone, false, true);
  named.name = "A";
  EXPECT_TRUE(IsVisibleInRoster(named));
}

}  // namespace
}  // namespace ringlet::im
