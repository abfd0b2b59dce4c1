#pragma once

// Private test helper of xmpp/im: parses one stanza as a client stream
// would deliver it.

#include <string>
#include <string_view>

#include "gtest/gtest.h"
#include "xmpp/xml/stanza.h"
#include "xmpp/xml/test_util.h"

namespace ringlet::im::internal {

class StanzaFixture : public ::testing::Test {
 protected:
  // Tokenizes `stanza` on a jabber:client stream and parses it. The view is
  // valid until the next Parse().
  xml::ElementView Parse(std::string_view stanza) {
    stream_ = xml::Tokenize(
        "<stream:stream xmlns='jabber:client' "
        "xmlns:stream='http://etherx.jabber.org/streams'>" +
        std::string(stanza));
    EXPECT_TRUE(stream_.ok);
    EXPECT_EQ(stream_.elements.size(), 1u);
    if (stream_.elements.empty()) return {};
    return parser_.Parse(stream_.elements[0], stream_.namespaces);
  }
  // The bytes of the stanza last parsed.
  std::string_view bytes() const { return stream_.elements[0]; }

 private:
  xml::TokenizedStream stream_;
  xml::StanzaParser parser_;
};

}  // namespace ringlet::im::internal
