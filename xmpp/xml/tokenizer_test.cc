#include "xmpp/xml/tokenizer.h"

#include <random>
#include <string>
#include <vector>

#include <memory>
#include "gtest/gtest.h"

namespace ringlet::xml {
namespace {

using C = StreamErrorCondition;

constexpr char kClientHeader[] =
    "<?xml version='1.0'?><stream:stream to='example.com' xmlns='jabber:client' "
    "xmlns:stream='http://etherx.jabber.org/streams' version='1.0' xml:lang='en'>";
constexpr char kServerHeader[] =
    "<stream:stream xmlns:stream=\"http://etherx.jabber.org/streams\" "
    "xmlns=\"jabber:server\" xmlns:db=\"jabber:server:dialback\" "
    "from=\"a.example\" to=\"b.example\" version=\"1.0\">";

// Feeds `input` in pieces ending at `cuts` and returns a transcript of the
// events: "open <name>", "element <bytes>", "close", "error <condition>".
std::vector<std::string> Run(std::string_view input, const std::vector<size_t>& cuts,
                             const XmlLimits& limits = XmlLimits()) {
  XmlTokenizer tokenizer(limits);
  std::vector<std::string> transcript;
  size_t begin = 0;
  std::vector<size_t> ends = cuts;
  ends.push_back(input.size());
  for (size_t end : ends) {
    if (end < begin) continue;
    // Copy each piece so that views into an earlier one would be caught by
    // ASan after it is freed.
    auto piece = std::make_unique<std::string>(input.substr(begin, end - begin));
    begin = end;
    tokenizer.Feed(*piece);
    while (true) {
      XmlEvent event = tokenizer.Next();
      if (event.type == XmlEventType::kNeedMore) break;
      switch (event.type) {
        case XmlEventType::kStreamOpen:
          transcript.push_back("open " + std::string(tokenizer.stream_header().name()));
          break;
        case XmlEventType::kElement:
          transcript.push_back("element " + std::string(event.element));
          break;
        case XmlEventType::kStreamClose:
          transcript.push_back("close");
          break;
        default:
          transcript.push_back("error " + std::string(StreamErrorName(event.error.condition)));
          return transcript;
      }
    }
  }
  return transcript;
}

std::vector<std::string> RunWhole(std::string_view input, const XmlLimits& limits = XmlLimits()) {
  return Run(input, {}, limits);
}

// Runs `input` whole, byte by byte and at random splits; expects the same
// transcript each time and returns it.
std::vector<std::string> RunAllSplits(std::string_view input,
                                      const XmlLimits& limits = XmlLimits()) {
  const std::vector<std::string> whole = RunWhole(input, limits);
  std::vector<size_t> every_byte;
  for (size_t i = 1; i < input.size(); ++i) every_byte.push_back(i);
  EXPECT_EQ(Run(input, every_byte, limits), whole) << "byte by byte: " << input;
  std::mt19937 random(42);
  for (int round = 0; round < 20; ++round) {
    std::vector<size_t> cuts;
    size_t at = 0;
    while (true) {
      at += 1 + random() % 40;
      if (at >= input.size()) break;
      cuts.push_back(at);
    }
    EXPECT_EQ(Run(input, cuts, limits), whole) << "random splits, round " << round;
  }
  return whole;
}

std::string LastEvent(std::string_view input, const XmlLimits& limits = XmlLimits()) {
  const std::vector<std::string> transcript = RunAllSplits(input, limits);
  return transcript.empty() ? "" : transcript.back();
}

// --- Valid streams -------------------------------------------------------

struct ValidCase {
  const char* name;
  std::string stream;
  std::vector<std::string> elements;
};

std::vector<ValidCase> ValidCorpus() {
  const std::string c = kClientHeader;
  const std::string s = kServerHeader;
  return {
      {"client login",
       c + "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"
           "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-1'>"
           "biwsbj1qdWxpZXQscj1vTXNUQUF3QUFBQU1BQUFBTlAwVEFBQUFBQUJQVTBBQQ==</auth>",
       {"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>",
        "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-1'>"
        "biwsbj1qdWxpZXQscj1vTXNUQUF3QUFBQU1BQUFBTlAwVEFBQUFBQUJQVTBBQQ==</auth>"}},
      {"chat with whitespace keepalives",
       c + "\n \t<message to='romeo@example.net/orchard' type='chat' id='m1'>"
           "<body>Art thou not Romeo, and a Montague?</body>"
           "<active xmlns='http://jabber.org/protocol/chatstates'/></message>\n\n ",
       {"<message to='romeo@example.net/orchard' type='chat' id='m1'>"
        "<body>Art thou not Romeo, and a Montague?</body>"
        "<active xmlns='http://jabber.org/protocol/chatstates'/></message>"}},
      {"presence with caps",
       c + "<presence><c xmlns=\"http://jabber.org/protocol/caps\" hash=\"sha-1\" "
           "node=\"https://gajim.org\" ver=\"QqQeXU/ZD0v3Wfvpt0R7q9Ne2Sk=\"/>"
           "<x xmlns='vcard-temp:x:update'><photo/></x><show>away</show>"
           "<status xml:lang='de'>Bin gleich zur\xC3\xBC\x63k \xF0\x9F\x98\x80</status>"
           "<priority>5</priority></presence>",
       {"<presence><c xmlns=\"http://jabber.org/protocol/caps\" hash=\"sha-1\" "
        "node=\"https://gajim.org\" ver=\"QqQeXU/ZD0v3Wfvpt0R7q9Ne2Sk=\"/>"
        "<x xmlns='vcard-temp:x:update'><photo/></x><show>away</show>"
        "<status xml:lang='de'>Bin gleich zur\xC3\xBC\x63k \xF0\x9F\x98\x80</status>"
        "<priority>5</priority></presence>"}},
      {"roster push",
       c + "<iq type='set' id='a78b4q6ha463'><query xmlns='jabber:iq:roster' ver='ver14'>"
           "<item jid='nurse@example.com' name='Nurse &amp; Co' subscription='none'>"
           "<group>Servants</group></item></query></iq>",
       {"<iq type='set' id='a78b4q6ha463'><query xmlns='jabber:iq:roster' ver='ver14'>"
        "<item jid='nurse@example.com' name='Nurse &amp; Co' subscription='none'>"
        "<group>Servants</group></item></query></iq>"}},
      {"MAM result with a forwarded message",
       c + "<message id='aeb213' to='juliet@capulet.lit/chamber'>"
           "<result xmlns='urn:xmpp:mam:2' queryid='f27' id='28482-98726-73623'>"
           "<forwarded xmlns='urn:xmpp:forward:0'>"
           "<delay xmlns='urn:xmpp:delay' stamp='2010-07-10T23:08:25Z'/>"
           "<message xmlns='jabber:client' from=\"witch@shakespeare.lit\" "
           "to=\"macbeth@shakespeare.lit\"><body>Hail to thee &#x2764;&#65039; "
           "<![CDATA[<b>bold</b> ]] ]>]]></body></message></forwarded></result></message>",
       {"<message id='aeb213' to='juliet@capulet.lit/chamber'>"
        "<result xmlns='urn:xmpp:mam:2' queryid='f27' id='28482-98726-73623'>"
        "<forwarded xmlns='urn:xmpp:forward:0'>"
        "<delay xmlns='urn:xmpp:delay' stamp='2010-07-10T23:08:25Z'/>"
        "<message xmlns='jabber:client' from=\"witch@shakespeare.lit\" "
        "to=\"macbeth@shakespeare.lit\"><body>Hail to thee &#x2764;&#65039; "
        "<![CDATA[<b>bold</b> ]] ]>]]></body></message></forwarded></result></message>"}},
      {"dialback with db: prefix",
       s + "<db:result from='a.example' to='b.example'>"
           "b4835385f37fe2895af6c196b59097b16862406db80559900d96bf6fa7d23df3</db:result>"
           "<db:verify from='b.example' id='417GAF25' to='a.example' type='valid'/>",
       {"<db:result from='a.example' to='b.example'>"
        "b4835385f37fe2895af6c196b59097b16862406db80559900d96bf6fa7d23df3</db:result>",
        "<db:verify from='b.example' id='417GAF25' to='a.example' type='valid'/>"}},
      {"prefixes declared inside a stanza, attributes in other namespaces",
       c + "<foo:x xmlns:foo='urn:foo' xmlns:bar='urn:bar' bar:a='1' a='2' xml:lang='en'"
           " ><bar:y foo:b=\"3\">t&lt;&#x3c;&gt;&quot;&apos;</bar:y ></foo:x >",
       {"<foo:x xmlns:foo='urn:foo' xmlns:bar='urn:bar' bar:a='1' a='2' xml:lang='en'"
        " ><bar:y foo:b=\"3\">t&lt;&#x3c;&gt;&quot;&apos;</bar:y ></foo:x >"}},
      {"stream features and close",
       "\xEF\xBB\xBF" + s + "<stream:features><bidi xmlns='urn:xmpp:features:bidi'/>"
           "</stream:features></stream:stream>  ",
       {"<stream:features><bidi xmlns='urn:xmpp:features:bidi'/></stream:features>"}},
      {"fast-path shapes: spaces around '=', references, UTF-8, end tags with spaces",
       c + "<message  to = \"a&amp;b&lt;&#x41;\"\tid='\xC3\xA9\xE2\x9C\x93\xF0\x9F\x98\x80\"'\n>"
           "x&gt;\xE2\x9C\x93&quot;&apos;y<b:x xmlns:b='u' b:y='1'/></message\t>",
       {"<message  to = \"a&amp;b&lt;&#x41;\"\tid='\xC3\xA9\xE2\x9C\x93\xF0\x9F\x98\x80\"'\n>"
        "x&gt;\xE2\x9C\x93&quot;&apos;y<b:x xmlns:b='u' b:y='1'/></message\t>"}},
      {"attribute values with markup characters and whitespace",
       c + "<message id=\"a'b&gt;c\" x='>\"\t\r\n' y = \"1\" ><body>]] > ]</body></message>",
       {"<message id=\"a'b&gt;c\" x='>\"\t\r\n' y = \"1\" ><body>]] > ]</body></message>"}},
  };
}

TEST(XmlTokenizerTest, ValidCorpusGivesTheSameEventsAtAnySplit) {
  for (const ValidCase& test : ValidCorpus()) {
    SCOPED_TRACE(test.name);
    const std::vector<std::string> transcript = RunAllSplits(test.stream);
    ASSERT_GE(transcript.size(), 1u);
    EXPECT_EQ(transcript[0], "open stream:stream");
    std::vector<std::string> elements;
    for (const std::string& event : transcript) {
      EXPECT_NE(event.substr(0, 5), "error") << event;
      if (event.substr(0, 8) == "element ") elements.push_back(event.substr(8));
    }
    EXPECT_EQ(elements, test.elements);
  }
}

TEST(XmlTokenizerTest, StreamHeaderAttributesAndNamespaces) {
  XmlTokenizer tokenizer{XmlLimits()};
  const std::string input = kServerHeader;
  tokenizer.Feed(input);
  ASSERT_EQ(tokenizer.Next().type, XmlEventType::kStreamOpen);
  const StreamHeader& header = tokenizer.stream_header();
  EXPECT_EQ(header.name(), "stream:stream");
  EXPECT_EQ(header.namespace_uri(), kNsStreams);
  EXPECT_EQ(header.Attribute("to"), "b.example");
  EXPECT_EQ(header.Attribute("version"), "1.0");
  EXPECT_EQ(header.Attribute("id"), std::nullopt);
  EXPECT_EQ(header.attribute_count(), 6u);
  EXPECT_EQ(header.namespaces().default_namespace(), "jabber:server");
  ASSERT_NE(header.namespaces().Lookup("db"), nullptr);
  EXPECT_EQ(*header.namespaces().Lookup("db"), kNsDialback);
  EXPECT_EQ(tokenizer.Next().type, XmlEventType::kNeedMore);
}

TEST(XmlTokenizerTest, EmptyRootOpensAndCloses) {
  EXPECT_EQ(RunAllSplits("<stream:stream xmlns:stream='http://etherx.jabber.org/streams'/>"),
            (std::vector<std::string>{"open stream:stream", "close"}));
}

TEST(XmlTokenizerTest, ElementWithinOneBufferIsAViewOfIt) {
  XmlTokenizer tokenizer{XmlLimits()};
  const std::string input = std::string(kClientHeader) + "<presence/><message><body>x</body>";
  tokenizer.Feed(input);
  ASSERT_EQ(tokenizer.Next().type, XmlEventType::kStreamOpen);
  XmlEvent event = tokenizer.Next();
  ASSERT_EQ(event.type, XmlEventType::kElement);
  EXPECT_EQ(event.element.data(), input.data() + input.find("<presence/>"));
  ASSERT_EQ(tokenizer.Next().type, XmlEventType::kNeedMore);
  // The rest of <message> straddles into the next buffer: it is assembled.
  const std::string rest = "</message>";
  tokenizer.Feed(rest);
  event = tokenizer.Next();
  ASSERT_EQ(event.type, XmlEventType::kElement);
  EXPECT_EQ(event.element, "<message><body>x</body></message>");
  EXPECT_FALSE(event.element.data() >= rest.data() &&
               event.element.data() < rest.data() + rest.size());
}

TEST(XmlTokenizerTest, RestartStreamReadsTheRestAsANewStream) {
  XmlTokenizer tokenizer{XmlLimits()};
  const std::string input = std::string(kClientHeader) +
                            "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>x</auth>" +
                            "<stream:stream xmlns='jabber:client' "
                            "xmlns:stream='http://etherx.jabber.org/streams' to='new'>";
  tokenizer.Feed(input);
  ASSERT_EQ(tokenizer.Next().type, XmlEventType::kStreamOpen);
  ASSERT_EQ(tokenizer.Next().type, XmlEventType::kElement);
  tokenizer.RestartStream();
  ASSERT_EQ(tokenizer.Next().type, XmlEventType::kStreamOpen);
  EXPECT_EQ(tokenizer.stream_header().Attribute("to"), "new");
}

// --- Refusals ------------------------------------------------------------

struct InvalidCase {
  const char* name;
  std::string stream;
  C condition;
};

std::vector<InvalidCase> InvalidCorpus() {
  const std::string c = kClientHeader;
  const std::string billion_laughs =
      "<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol 'lol'>"
      "<!ENTITY lol2 '&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;'>]>"
      "<stream:stream xmlns:stream='http://etherx.jabber.org/streams'>&lol2;";
  return {
      {"DOCTYPE (billion laughs)", billion_laughs, C::kRestrictedXml},
      {"quadratic blowup entity", c + "<message><body>&a;&a;&a;&a;</body></message>",
       C::kRestrictedXml},
      {"comment in prolog", "<!-- hi --><stream:stream/>", C::kRestrictedXml},
      {"comment in stanza", c + "<message><!-- x --></message>", C::kRestrictedXml},
      {"comment at stream level", c + "<!-- x -->", C::kRestrictedXml},
      {"processing instruction", c + "<message><?php x?></message>", C::kRestrictedXml},
      {"PI in prolog", "<?xml-stylesheet href='a'?><a/>", C::kRestrictedXml},
      {"XML declaration not at start", " <?xml version='1.0'?><a/>", C::kRestrictedXml},
      {"entity in attribute", c + "<message to='&nbsp;'/>", C::kRestrictedXml},
      {"DOCTYPE in stanza", c + "<message><!DOCTYPE x></message>", C::kRestrictedXml},
      {"encoding not UTF-8", "<?xml version='1.0' encoding='ISO-8859-1'?><a/>",
       C::kUnsupportedEncoding},
      {"bad XML declaration", "<?xml version='2.0'?><a/>", C::kNotWellFormed},
      {"declaration attributes out of order",
       "<?xml encoding='UTF-8' version='1.0'?><a/>", C::kNotWellFormed},
      {"overlong UTF-8", c + "<message><body>\xC0\xBC</body></message>", C::kNotWellFormed},
      {"overlong 3-byte UTF-8", c + "<message><body>\xE0\x80\xBC</body></message>",
       C::kNotWellFormed},
      {"surrogate in UTF-8", c + "<message><body>\xED\xA0\x80</body></message>",
       C::kNotWellFormed},
      {"truncated UTF-8", c + "<message><body>\xE2\x82</body></message>", C::kNotWellFormed},
      {"UTF-8 past U+10FFFF", c + "<message><body>\xF4\x90\x80\x80</body></message>",
       C::kNotWellFormed},
      {"stray continuation byte", c + "<message id='\x80'/>", C::kNotWellFormed},
      {"invalid UTF-8 in a name", c + "<m\xFF/>", C::kNotWellFormed},
      {"U+FFFE", c + "<message><body>\xEF\xBF\xBE</body></message>", C::kNotWellFormed},
      {"control character", c + "<message><body>\x01</body></message>", C::kNotWellFormed},
      {"NUL", c + std::string("<message>\0</message>", 20), C::kNotWellFormed},
      {"character reference to NUL", c + "<message>&#0;</message>", C::kNotWellFormed},
      {"character reference to surrogate", c + "<message>&#xD800;</message>",
       C::kNotWellFormed},
      {"character reference too large", c + "<message>&#x110000;</message>",
       C::kNotWellFormed},
      {"empty character reference", c + "<message>&#;</message>", C::kNotWellFormed},
      {"bare ampersand", c + "<message>a & b</message>", C::kNotWellFormed},
      {"mismatched tags", c + "<message><body></message></body>", C::kNotWellFormed},
      {"mismatched prefix", c + "<a:m xmlns:a='x'></b:m>", C::kNotWellFormed},
      {"duplicate attribute", c + "<message to='a' to='b'/>", C::kNotWellFormed},
      {"duplicate attribute by namespace",
       c + "<message xmlns:a='u' xmlns:b='u' a:x='1' b:x='2'/>", C::kNotWellFormed},
      {"duplicate namespace declaration", c + "<m xmlns='a' xmlns='b'/>", C::kNotWellFormed},
      {"undeclared element prefix", c + "<foo:message/>", C::kBadNamespacePrefix},
      {"undeclared attribute prefix", c + "<message foo:to='x'/>", C::kBadNamespacePrefix},
      {"prefix out of scope", c + "<a><b xmlns:p='u'/><p:c/></a>", C::kBadNamespacePrefix},
      {"undeclaring a prefix", c + "<a xmlns:p=''/>", C::kNotWellFormed},
      {"xml prefix rebound", c + "<a xmlns:xml='urn:x'/>", C::kNotWellFormed},
      {"xmlns prefix declared", c + "<a xmlns:xmlns='urn:x'/>", C::kNotWellFormed},
      {"xmlns namespace as default", c + "<a xmlns='http://www.w3.org/2000/xmlns/'/>",
       C::kNotWellFormed},
      {"two colons", c + "<a:b:c/>", C::kNotWellFormed},
      {"empty local name", c + "<a: xmlns:a='x'/>", C::kNotWellFormed},
      {"name starting with a digit", c + "<1a/>", C::kNotWellFormed},
      {"']]>' in text", c + "<message>a]]>b</message>", C::kNotWellFormed},
      {"'<' in attribute value", c + "<message to='<'/>", C::kNotWellFormed},
      {"no space between attributes", c + "<message to='a'id='b'/>", C::kNotWellFormed},
      {"unquoted attribute", c + "<message to=a/>", C::kNotWellFormed},
      {"attribute without value", c + "<message to/>", C::kNotWellFormed},
      {"bad CDATA opening", c + "<message><![CDATX[x]]></message>", C::kNotWellFormed},
      {"text at stream level", c + "hello", C::kBadFormat},
      {"CDATA at stream level", c + "<![CDATA[x]]>", C::kBadFormat},
      {"element after stream end", c + "</stream:stream><a/>", C::kNotWellFormed},
      {"text before root", "hello<a/>", C::kNotWellFormed},
      {"mismatched stream end", c + "</stream:streams>", C::kNotWellFormed},
      // Shapes the fast paths must leave to the slow states.
      {"end tag longer than the open name", c + "<m><body></bodyx></body></m>",
       C::kNotWellFormed},
      {"end tag with a prefix of the open name", c + "<m><body></bod></m>", C::kNotWellFormed},
      {"end tag name then junk", c + "<m><body></body x></m>", C::kNotWellFormed},
      {"duplicate attribute after a long value",
       c + "<m a='" + std::string(100, 'x') + "' b='1' a='2'/>", C::kNotWellFormed},
      {"tab in attribute value is fine but a control is not", c + "<m a='x\ty\x02'/>",
       C::kNotWellFormed},
      {"non-ASCII attribute name then duplicate",
       c + "<m \xC3\xA9='1' \xC3\xA9='2'/>", C::kNotWellFormed},
      {"undeclared prefix on an attribute read in place", c + "<m a='1' p:b='2'/>",
       C::kBadNamespacePrefix},
  };
}

TEST(XmlTokenizerTest, InvalidCorpusIsRefusedWithTheRightCondition) {
  for (const InvalidCase& test : InvalidCorpus()) {
    SCOPED_TRACE(test.name);
    EXPECT_EQ(LastEvent(test.stream),
              "error " + std::string(StreamErrorName(test.condition)));
  }
}

TEST(XmlTokenizerTest, ErrorIsStickyAndCarriesTheOffset) {
  XmlTokenizer tokenizer{XmlLimits()};
  const std::string input = "<a><!-- x -->";
  tokenizer.Feed(input);
  ASSERT_EQ(tokenizer.Next().type, XmlEventType::kStreamOpen);
  XmlEvent event = tokenizer.Next();
  ASSERT_EQ(event.type, XmlEventType::kError);
  EXPECT_EQ(event.error.condition, C::kRestrictedXml);
  EXPECT_EQ(event.error.stream_offset, 5u);
  EXPECT_EQ(tokenizer.Next().type, XmlEventType::kError);
}

// --- Limits --------------------------------------------------------------

XmlLimits SmallLimits() {
  XmlLimits limits;
  limits.stanza_bytes_max = 200;
  limits.depth_max = 3;
  limits.attributes_max = 3;
  limits.name_bytes_max = 10;
  limits.attribute_value_bytes_max = 20;
  return limits;
}

TEST(XmlTokenizerTest, LimitsArePolicyViolations) {
  const std::string c = "<s>";
  const std::string policy = "error policy-violation";
  const XmlLimits limits = SmallLimits();
  EXPECT_EQ(LastEvent(c + "<m>" + std::string(200, 'x') + "</m>", limits), policy);
  EXPECT_EQ(LastEvent(c + "<m>" + std::string(190, 'x') + "</m>", limits),
            "element <m>" + std::string(190, 'x') + "</m>");
  EXPECT_EQ(LastEvent(c + "<a><b><c></c></b></a>", limits), "element <a><b><c></c></b></a>");
  EXPECT_EQ(LastEvent(c + "<a><b><c><d/></c></b></a>", limits), policy);
  EXPECT_EQ(LastEvent(c + "<a x='1' y='2' z='3'/>", limits), "element <a x='1' y='2' z='3'/>");
  EXPECT_EQ(LastEvent(c + "<a x='1' y='2' z='3' w='4'/>", limits), policy);
  EXPECT_EQ(LastEvent(c + "<abcdefghij/>", limits), "element <abcdefghij/>");
  EXPECT_EQ(LastEvent(c + "<abcdefghijk/>", limits), policy);
  EXPECT_EQ(LastEvent(c + "<a abcdefghijk='1'/>", limits), policy);
  EXPECT_EQ(LastEvent(c + "<a></abcdefghijk>", limits), policy);
  EXPECT_EQ(LastEvent(c + "<a x='" + std::string(20, 'v') + "'/>", limits),
            "element <a x='" + std::string(20, 'v') + "'/>");
  EXPECT_EQ(LastEvent(c + "<a x='" + std::string(21, 'v') + "'/>", limits), policy);
  EXPECT_EQ(LastEvent("<s x='" + std::string(21, 'v') + "'>", limits), policy);
  EXPECT_EQ(LastEvent("<s" + std::string(300, ' ') + ">", limits), policy);
}

TEST(XmlTokenizerTest, LimitErrorsDoNotDependOnSplits) {
  // Found by xml_stanza_fuzz: a long name with a second colon past the
  // name limit, a long text with a bad byte past the stanza limit.
  const XmlLimits limits = SmallLimits();
  EXPECT_EQ(LastEvent("<s><a xmlns:pMMMMMMMMMMMMMMMMMMMMhttp:x='1'/>", limits),
            "error policy-violation");
  EXPECT_EQ(LastEvent("<s><a>" + std::string(300, 'x') + "\x01</a>", limits),
            "error policy-violation");
  EXPECT_EQ(LastEvent("<s><a x='" + std::string(300, 'x') + "\x01'/>", limits),
            "error policy-violation");
  EXPECT_EQ(LastEvent("<s><a><![CDATA[" + std::string(300, 'x') + "\x01]]></a>", limits),
            "error policy-violation");
  // A reference that crosses the value limit and then turns out malformed.
  EXPECT_EQ(LastEvent("<s><a xmlns:q='" + std::string(17, 'x') + "&amp;&amp;&&'/>", limits),
            "error policy-violation");
}

TEST(XmlTokenizerTest, NameLimitCrossedInsideAMultiByteCharacter) {
  // Found by xml_stanza_fuzz (tests/fuzz/README.md, split mismatch 1): a
  // 4-byte character that starts on the name limit's last byte and is split
  // byte by byte used to be finished in a buffer that began past the limit,
  // so the next scan ran on unbounded (the name was accepted, or failed on
  // a later byte with another condition).
  const XmlLimits limits = SmallLimits();  // name_bytes_max = 10
  const std::string emoji = "\xF0\x9F\x98\x80";
  const std::string policy = "error policy-violation";
  EXPECT_EQ(LastEvent("<s abcdefghij" + emoji + "='1'/>", limits), policy);
  EXPECT_EQ(LastEvent("<s abcdefghij" + emoji + "x:y:z='1'/>", limits), policy);
  EXPECT_EQ(LastEvent("<s><a abcdefghi" + emoji + "bc='1'/>", limits), policy);
  EXPECT_EQ(LastEvent("<s><abcdefghi\xE4\xB8\xAD" "b/>", limits), policy);
  EXPECT_EQ(LastEvent("<s><a></abcdefghij" + emoji + ">", limits), policy);
  // One byte under: the name ends on the character's last byte, accepted.
  EXPECT_EQ(LastEvent("<s abcdef" + emoji + "='1'/>", limits), "close");
  // The fuzzer's input (without its first byte, which chose the splits).
  const std::string finding =
      "<sge ber.orbt\xEF\xBF\xBC\xF0\x9F\x98\x80" "a\xD5\xBC\xF0\x9F\x98\x80qt\xEF\xBF\xBC"
      "\xF0\x9F\x98\x80" "a\xD5\xBC\xF0\x9F\x98\x80q.abber.\xEF\xBF\xBCorbt\xEF\xBF\xBC"
      "\xF0\x9F\x98\x80" "a\xD5\xBC\xF0\x9F\x98\x80:.abber.\xEF\xBF\xBCorbt\xEF\xBF\xBC"
      "\xF0\x9F\x98\x80" "a\xD5\xBC\xF0\x9F\x98\x80:y>hod\x07y>h";
  XmlLimits fuzz_limits;
  fuzz_limits.stanza_bytes_max = 4096;
  fuzz_limits.depth_max = 16;
  fuzz_limits.attributes_max = 16;
  fuzz_limits.name_bytes_max = 64;
  fuzz_limits.attribute_value_bytes_max = 512;
  EXPECT_EQ(LastEvent(finding, fuzz_limits), policy);
}

TEST(XmlTokenizerTest, MemoryStaysBoundedWhateverIsFed) {
  XmlLimits limits;
  limits.stanza_bytes_max = 65536;
  limits.attribute_value_bytes_max = 4096;
  XmlTokenizer tokenizer(limits);
  std::string header = "<s><m a='";
  tokenizer.Feed(header);
  ASSERT_EQ(tokenizer.Next().type, XmlEventType::kStreamOpen);
  ASSERT_EQ(tokenizer.Next().type, XmlEventType::kNeedMore);
  const std::string chunk(1000, 'v');
  XmlEventType last = XmlEventType::kNeedMore;
  for (int i = 0; i < 1000 && last == XmlEventType::kNeedMore; ++i) {
    tokenizer.Feed(chunk);
    last = tokenizer.Next().type;
    EXPECT_LE(tokenizer.memory_bytes(), 2 * limits.stanza_bytes_max);
  }
  EXPECT_EQ(last, XmlEventType::kError);
}

TEST(XmlTokenizerTest, LargeStanzaSplitIntoManyBuffers) {
  const std::string body(70000, 'b');
  const std::string stanza = "<message><body>" + body + "</body></message>";
  const std::vector<std::string> transcript = RunAllSplits("<s>" + stanza);
  ASSERT_EQ(transcript.size(), 2u);
  EXPECT_EQ(transcript[1], "element " + stanza);
}

}  // namespace
}  // namespace ringlet::xml
