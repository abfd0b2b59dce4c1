#include "xmpp/im/stanza_error.h"

#include <string>

#include "gtest/gtest.h"
#include "xmpp/im/internal/stanza_fixture.h"

namespace ringlet::im {
namespace {

// Parses one stanza and builds its error reply.
class ErrorReplyTest : public internal::StanzaFixture {
 protected:
  std::optional<std::string> Reply(const std::string& stanza, const StanzaError& error) {
    const xml::ElementView view = Parse(stanza);
    return BuildErrorReply(bytes(), view, error);
  }
};

TEST(StanzaErrorConditionTest, NamesAndTypesFollowRfc6120Section833) {
  EXPECT_EQ(StanzaErrorConditionName(StanzaErrorCondition::kBadRequest), "bad-request");
  EXPECT_EQ(DefaultErrorType(StanzaErrorCondition::kBadRequest), StanzaErrorType::kModify);
  EXPECT_EQ(DefaultErrorType(StanzaErrorCondition::kConflict), StanzaErrorType::kCancel);
  EXPECT_EQ(DefaultErrorType(StanzaErrorCondition::kFeatureNotImplemented),
            StanzaErrorType::kCancel);
  EXPECT_EQ(DefaultErrorType(StanzaErrorCondition::kForbidden), StanzaErrorType::kAuth);
  EXPECT_EQ(DefaultErrorType(StanzaErrorCondition::kGone), StanzaErrorType::kCancel);
  EXPECT_EQ(DefaultErrorType(StanzaErrorCondition::kInternalServerError),
            StanzaErrorType::kCancel);
  EXPECT_EQ(DefaultErrorType(StanzaErrorCondition::kItemNotFound), StanzaErrorType::kCancel);
  EXPECT_EQ(DefaultErrorType(StanzaErrorCondition::kJidMalformed), StanzaErrorType::kModify);
  EXPECT_EQ(DefaultErrorType(StanzaErrorCondition::kNotAcceptable), StanzaErrorType::kModify);
  EXPECT_EQ(DefaultErrorType(StanzaErrorCondition::kNotAllowed), StanzaErrorType::kCancel);
  EXPECT_EQ(DefaultErrorType(StanzaErrorCondition::kNotAuthorized), StanzaErrorType::kAuth);
  EXPECT_EQ(DefaultErrorType(StanzaErrorCondition::kPolicyViolation), StanzaErrorType::kModify);
  EXPECT_EQ(DefaultErrorType(StanzaErrorCondition::kRecipientUnavailable),
            StanzaErrorType::kWait);
  EXPECT_EQ(DefaultErrorType(StanzaErrorCondition::kRedirect), StanzaErrorType::kModify);
  EXPECT_EQ(DefaultErrorType(StanzaErrorCondition::kRegistrationRequired),
            StanzaErrorType::kAuth);
  EXPECT_EQ(DefaultErrorType(StanzaErrorCondition::kRemoteServerNotFound),
            StanzaErrorType::kCancel);
  EXPECT_EQ(DefaultErrorType(StanzaErrorCondition::kRemoteServerTimeout),
            StanzaErrorType::kWait);
  EXPECT_EQ(DefaultErrorType(StanzaErrorCondition::kResourceConstraint), StanzaErrorType::kWait);
  EXPECT_EQ(DefaultErrorType(StanzaErrorCondition::kServiceUnavailable),
            StanzaErrorType::kCancel);
  EXPECT_EQ(DefaultErrorType(StanzaErrorCondition::kSubscriptionRequired),
            StanzaErrorType::kAuth);
  EXPECT_EQ(DefaultErrorType(StanzaErrorCondition::kUndefinedCondition),
            StanzaErrorType::kCancel);
  EXPECT_EQ(DefaultErrorType(StanzaErrorCondition::kUnexpectedRequest), StanzaErrorType::kWait);
}

TEST(StanzaErrorConditionTest, EveryNameRoundTrips) {
  for (int i = 0; i < kStanzaErrorConditionCount; ++i) {
    const auto condition = static_cast<StanzaErrorCondition>(i);
    EXPECT_EQ(ParseStanzaErrorCondition(StanzaErrorConditionName(condition)), condition);
  }
  EXPECT_EQ(ParseStanzaErrorCondition("no-such-condition"), std::nullopt);
  EXPECT_EQ(StanzaErrorTypeName(StanzaErrorType::kContinue), "continue");
}

TEST(StanzaErrorConditionTest, ErrorElement) {
  StanzaError error;
  error.condition = StanzaErrorCondition::kRedirect;
  error.alternate_address = "xmpp:room@conf.example?join";
  error.text = "moved <here>";
  error.text_lang = "en";
  error.by = "example.com";
  std::string out;
  AppendErrorElement(error, &out);
  EXPECT_EQ(out,
            "<error type='modify' by='example.com'>"
            "<redirect xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>xmpp:room@conf.example?join"
            "</redirect><text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas' xml:lang='en'>"
            "moved &lt;here&gt;</text></error>");
}

TEST(StanzaErrorConditionTest, ExplicitTypeOverridesDefault) {
  StanzaError error{.condition = StanzaErrorCondition::kPolicyViolation,
                    .type = StanzaErrorType::kWait};
  std::string out;
  AppendErrorElement(error, &out);
  EXPECT_EQ(out,
            "<error type='wait'><policy-violation "
            "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>");
}

TEST_F(ErrorReplyTest, IqGetKeepsIdAndPayloadAndSwapsAddresses) {
  const auto reply =
      Reply("<iq from='juliet@example.com/balcony' to='romeo@example.net' id='a1&amp;' "
            "type='get'><query xmlns='jabber:iq:roster' ver='x&gt;'/></iq>",
            {.condition = StanzaErrorCondition::kServiceUnavailable});
  ASSERT_TRUE(reply);
  EXPECT_EQ(*reply,
            "<iq from='romeo@example.net' to='juliet@example.com/balcony' type='error' "
            "id='a1&amp;'><query xmlns='jabber:iq:roster' ver='x&gt;'/><error "
            "type='cancel'><service-unavailable "
            "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>");
}

TEST_F(ErrorReplyTest, MessageKeepsLangAndChildren) {
  const auto reply = Reply(
      "<message to='nobody@example.com' from='a@b/c' type=\"chat\" xml:lang='fr' "
      "note='1 > 0'><body>salut</body></message>",
      {.condition = StanzaErrorCondition::kItemNotFound, .text = "gone", .text_lang = "en"});
  ASSERT_TRUE(reply);
  EXPECT_EQ(*reply,
            "<message from='nobody@example.com' to='a@b/c' type='error' xml:lang='fr' "
            "note='1 &gt; 0'><body>salut</body><error type='cancel'><item-not-found "
            "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><text "
            "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas' xml:lang='en'>gone</text></error>"
            "</message>");
}

TEST_F(ErrorReplyTest, PayloadCanBeLeftOut) {
  const auto reply = Reply("<message to='x@y' from='a@b'><body>long</body></message>",
                           {.condition = StanzaErrorCondition::kServiceUnavailable,
                            .include_payload = false});
  ASSERT_TRUE(reply);
  EXPECT_EQ(*reply,
            "<message from='x@y' to='a@b' type='error'><error type='cancel'>"
            "<service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>"
            "</message>");
}

TEST_F(ErrorReplyTest, EmptyPresenceWithoutFrom) {
  const auto reply = Reply("<presence to='x@y' type='subscribe'/>",
                           {.condition = StanzaErrorCondition::kRemoteServerNotFound});
  ASSERT_TRUE(reply);
  EXPECT_EQ(*reply,
            "<presence from='x@y' type='error'><error type='cancel'><remote-server-not-found "
            "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></presence>");
}

TEST_F(ErrorReplyTest, NeverAnswersAnError) {
  EXPECT_EQ(Reply("<message to='x@y' from='a@b' type='error'><error type='cancel'/></message>",
                  {.condition = StanzaErrorCondition::kServiceUnavailable}),
            std::nullopt);
  EXPECT_EQ(Reply("<iq to='x@y' from='a@b' id='1' type='error'/>",
                  {.condition = StanzaErrorCondition::kServiceUnavailable}),
            std::nullopt);
  EXPECT_EQ(Reply("<presence to='x@y' type='error'/>",
                  {.condition = StanzaErrorCondition::kServiceUnavailable}),
            std::nullopt);
}

TEST_F(ErrorReplyTest, NeverAnswersAnIqResult) {
  EXPECT_EQ(Reply("<iq to='x@y' from='a@b' id='1' type='result'/>",
                  {.condition = StanzaErrorCondition::kServiceUnavailable}),
            std::nullopt);
}

TEST(ElementContentTest, FindsContent) {
  EXPECT_EQ(ElementContent("<a/>"), "");
  EXPECT_EQ(ElementContent("<a x='/'/>"), "");
  EXPECT_EQ(ElementContent("<a x='>'>in</a>"), "in");
  EXPECT_EQ(ElementContent("<a x=\"'>\"><b/>t</a >"), "<b/>t");
  EXPECT_EQ(ElementContent("<a></a>"), "");
}

}  // namespace
}  // namespace ringlet::im
