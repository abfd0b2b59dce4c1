// Differential fuzz target: ringlet's XmlTokenizer against libexpat
// (namespace-aware), on the subset of XML that XMPP allows.
//
// The input is one whole stream. Both parsers must agree on whether it is a
// well-formed, namespace-well-formed document. Inputs outside the compared
// subset are skipped, not judged:
//   - where ringlet refuses on purpose what XML allows (restricted-xml:
//     comments, PIs, DTDs, entity references; bad-format: text or CDATA at
//     stream level; policy-violation: limits; unsupported-encoding);
//   - inputs starting with an XML declaration (expat accepts any version
//     and other encodings; XMPP does not);
//   - non-ASCII bytes inside a tag outside quoted values: ringlet uses the
//     name characters of XML 1.0 fifth edition, expat those of the fourth.
// Any other disagreement aborts.

#include <expat.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "xmpp/xml/tokenizer.h"

namespace {

using ringlet::xml::StreamErrorCondition;
using ringlet::xml::XmlEventType;

bool NonAsciiInTag(std::string_view data) {
  bool in_tag = false;
  char quote = 0;
  for (unsigned char c : data) {
    if (!in_tag) {
      in_tag = c == '<';
    } else if (quote != 0) {
      if (c == quote) quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = static_cast<char>(c);
    } else if (c == '>') {
      in_tag = false;
    } else if (c >= 0x80) {
      return true;
    }
  }
  return false;
}

enum class Verdict { kAccept, kRefuse, kSkip };

Verdict Ringlet(std::string_view data) {
  ringlet::xml::XmlLimits limits;
  limits.stanza_bytes_max = 1 << 20;
  limits.depth_max = 1024;
  limits.attributes_max = 1 << 20;
  limits.name_bytes_max = 1 << 20;
  limits.attribute_value_bytes_max = 1 << 20;
  ringlet::xml::XmlTokenizer tokenizer(limits);
  tokenizer.Feed(data);
  bool closed = false;
  while (true) {
    const ringlet::xml::XmlEvent event = tokenizer.Next();
    switch (event.type) {
      case XmlEventType::kNeedMore:
        return closed && tokenizer.idle() ? Verdict::kAccept : Verdict::kRefuse;
      case XmlEventType::kStreamClose:
        closed = true;
        break;
      case XmlEventType::kError:
        switch (event.error.condition) {
          case StreamErrorCondition::kNotWellFormed:
          case StreamErrorCondition::kBadNamespacePrefix:
            return Verdict::kRefuse;
          default:
            return Verdict::kSkip;
        }
      default:
        break;
    }
  }
}

bool Expat(std::string_view data) {
  XML_Parser parser = XML_ParserCreateNS("UTF-8", '\x01');
  const bool ok = XML_Parse(parser, data.data(), static_cast<int>(data.size()),
                            /*isFinal=*/1) == XML_STATUS_OK;
  XML_ParserFree(parser);
  return ok;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  const std::string_view data(reinterpret_cast<const char*>(bytes), size);
  if (data.substr(0, 5) == "<?xml" || NonAsciiInTag(data)) return 0;
  const Verdict ours = Ringlet(data);
  if (ours == Verdict::kSkip) return 0;
  const bool theirs = Expat(data);
  if ((ours == Verdict::kAccept) != theirs) {
    fprintf(stderr, "disagreement: ringlet %s, expat %s\n",
            ours == Verdict::kAccept ? "accepts" : "refuses", theirs ? "accepts" : "refuses");
    abort();
  }
  return 0;
}
