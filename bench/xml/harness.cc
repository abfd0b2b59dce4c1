#include "bench/xml/harness.h"

namespace ringlet::bench::xml {
namespace {

constexpr char kHeader[] =
    "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
    "xmlns:stream='http://etherx.jabber.org/streams' to='example.com' version='1.0' "
    "xml:lang='en'>";

std::string Message(int i) {
  return "<message from='juliet@example.com/balcony' to='romeo@example.net' type='chat' "
         "id='msg" + std::to_string(i) + "' xml:lang='en'><body>Wherefore art thou, Romeo? "
         "Deny thy father &amp; refuse thy name.</body>"
         "<active xmlns='http://jabber.org/protocol/chatstates'/>"
         "<request xmlns='urn:xmpp:receipts'/></message>\n";
}

std::vector<Corpus> MakeCorpora() {
  std::vector<Corpus> corpora;
  Corpus chat{"chat", kHeader};
  for (int i = 0; i < 1000; ++i, ++chat.stanzas) chat.stream += Message(i);
  corpora.push_back(chat);

  Corpus presence{"presence_caps", kHeader};
  for (int i = 0; i < 1000; ++i, ++presence.stanzas) {
    presence.stream +=
        "<presence from='user" + std::to_string(i) + "@example.com/gajim.X4Z2'>"
        "<show>away</show><status>In a meeting</status><priority>10</priority>"
        "<c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='https://gajim.org' "
        "ver='QqQeXU/ZD0v3Wfvpt0R7q9Ne2Sk='/>"
        "<x xmlns='vcard-temp:x:update'><photo>8b5d2cd5a6d2b6b8f3f2a6cde8c6a5e3b7a4d1f0</photo>"
        "</x><delay xmlns='urn:xmpp:delay' from='example.com' stamp='2024-01-01T10:00:00Z'/>"
        "</presence>\n";
  }
  corpora.push_back(presence);

  Corpus roster{"roster", kHeader};
  for (int r = 0; r < 20; ++r, ++roster.stanzas) {
    roster.stream += "<iq type='result' id='roster" + std::to_string(r) +
                     "' to='juliet@example.com/balcony'><query xmlns='jabber:iq:roster' "
                     "ver='ver" + std::to_string(r) + "'>";
    for (int i = 0; i < 100; ++i) {
      roster.stream += "<item jid='contact" + std::to_string(i) +
                       "@example.org' name='Contact " + std::to_string(i) +
                       "' subscription='both'><group>Friends</group></item>";
    }
    roster.stream += "</query></iq>\n";
  }
  corpora.push_back(roster);

  Corpus mam{"mam_page", kHeader};
  for (int page = 0; page < 10; ++page) {
    for (int i = 0; i < 50; ++i, ++mam.stanzas) {
      mam.stream +=
          "<message to='juliet@example.com/balcony' id='m" + std::to_string(i) + "'>"
          "<result xmlns='urn:xmpp:mam:2' queryid='q" + std::to_string(page) + "' id='"
          "28482-98726-" + std::to_string(i) + "'><forwarded xmlns='urn:xmpp:forward:0'>"
          "<delay xmlns='urn:xmpp:delay' stamp='2010-07-10T23:08:25Z'/>" +
          Message(i) + "</forwarded></result></message>\n";
    }
    mam.stream += "<iq type='result' id='q" + std::to_string(page) + "'><fin "
                  "xmlns='urn:xmpp:mam:2' complete='false'><set "
                  "xmlns='http://jabber.org/protocol/rsm'><first index='0'>28482-98726-0"
                  "</first><last>28482-98726-49</last></set></fin></iq>\n";
    ++mam.stanzas;
  }
  corpora.push_back(mam);

  Corpus big{"stanza_64k", kHeader};
  std::string body;
  while (body.size() < 65536 - 200) {
    body += "All the world's a stage, and all the men &amp; women merely players. \xE2\x9C\x93 ";
  }
  big.stream += "<message to='romeo@example.net' type='chat' id='big'><body>" +
                body.substr(0, 65536 - 200) + "</body></message>\n";
  big.stanzas = 1;
  corpora.push_back(big);
  return corpora;
}

struct ExpatState {
  int depth = 0;
  size_t stanzas = 0;
  size_t checksum = 0;
};

void XMLCALL OnStart(void* data, const XML_Char* name, const XML_Char** attributes) {
  auto* s = static_cast<ExpatState*>(data);
  if (++s->depth == 2) {
    // The top element's name and attributes.
    s->checksum += name[0];
    for (const XML_Char** a = attributes; *a != nullptr; a += 2) s->checksum += a[1][0];
  }
}

void XMLCALL OnEnd(void* data, const XML_Char*) {
  auto* s = static_cast<ExpatState*>(data);
  if (s->depth-- == 2) ++s->stanzas;
}

}  // namespace

const std::vector<Corpus>& Corpora() {
  static const auto* corpora = new std::vector<Corpus>(MakeCorpora());
  return *corpora;
}

long RingletPass(const Corpus& corpus, ringlet::xml::XmlTokenizer* tokenizer,
                 size_t* name_bytes) {
  using ringlet::xml::XmlEventType;
  const std::string_view stream = corpus.stream;
  tokenizer->RestartStream();
  long stanzas = 0;
  for (size_t at = 0; at < stream.size(); at += kReceiveBufferBytes) {
    tokenizer->Feed(stream.substr(at, kReceiveBufferBytes));
    for (auto e = tokenizer->Next(); e.type != XmlEventType::kNeedMore; e = tokenizer->Next()) {
      if (e.type == XmlEventType::kElement) {
        ++stanzas;
        // The top element's name: what a router looks at first.
        *name_bytes += e.element.find_first_of(" />", 1);
      } else if (e.type == XmlEventType::kError) {
        return -1;
      }
    }
  }
  return stanzas;
}

long ExpatPass(const Corpus& corpus, XML_Parser parser, size_t* checksum) {
  const std::string_view stream = corpus.stream;
  XML_ParserReset(parser, nullptr);
  ExpatState s;
  XML_SetUserData(parser, &s);
  XML_SetElementHandler(parser, OnStart, OnEnd);
  for (size_t at = 0; at < stream.size(); at += kReceiveBufferBytes) {
    const std::string_view piece = stream.substr(at, kReceiveBufferBytes);
    if (XML_Parse(parser, piece.data(), static_cast<int>(piece.size()), 0) != XML_STATUS_OK) {
      return -1;
    }
  }
  *checksum += s.checksum;
  return static_cast<long>(s.stanzas);
}

}  // namespace ringlet::bench::xml
