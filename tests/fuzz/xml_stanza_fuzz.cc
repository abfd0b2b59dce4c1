// Fuzz target for the tokenizer + stanza layer.
//
// The first byte picks how the rest is split into buffers (each piece is a
// separate heap copy, freed after use, so ASan catches a view that outlives
// its buffer). Checks:
//   - the events are the same as when the input is fed whole;
//   - every element is parsed by StanzaParser and walked: names,
//     namespaces, attributes, text (RapidXML's error handler CHECK-fails);
//   - the forwarder's output for each element is accepted again by a
//     tokenizer, with the stamped from/to as its attributes.

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "core/check.h"
#include "xmpp/xml/forwarder.h"
#include "xmpp/xml/serializer.h"
#include "xmpp/xml/stanza.h"
#include "xmpp/xml/tokenizer.h"

namespace {

using namespace ringlet::xml;

XmlLimits FuzzLimits() {
  XmlLimits limits;
  limits.stanza_bytes_max = 4096;
  limits.depth_max = 16;
  limits.attributes_max = 16;
  limits.name_bytes_max = 64;
  limits.attribute_value_bytes_max = 512;
  return limits;
}

void Walk(const ElementView& element, int depth) {
  (void)element.namespace_uri();
  (void)element.Lang();
  (void)element.Text();
  element.ForEachAttribute([&](std::string_view name, std::string_view) {
    (void)element.Attribute(name);
  });
  for (ElementView child = element.FirstChild(); child; child = child.NextSibling()) {
    CHECK(child.Parent());
    Walk(child, depth + 1);
  }
}

void CheckForwarded(std::string_view element, const NamespaceContext& source) {
  std::string out = "<s xmlns='jabber:server'>";
  CHECK(AppendStampedStanza(
      element, {.from = "a@b/c'&<", .to = "d@e", .source_namespaces = &source}, &out));
  XmlTokenizer again(FuzzLimits());
  again.Feed(out);
  CHECK(again.Next().type == XmlEventType::kStreamOpen);
  XmlEvent event = again.Next();
  // Stamping may push a stanza over the attribute limit; anything else
  // must be accepted as it was the first time.
  if (event.type == XmlEventType::kError) {
    CHECK(event.error.condition == StreamErrorCondition::kPolicyViolation);
    return;
  }
  CHECK(event.type == XmlEventType::kElement);
  StanzaParser parser;
  NamespaceContext context;
  context.SetDefault(kNsServer);
  const ElementView stanza = parser.Parse(event.element, context);
  CHECK(stanza.Attribute("from") == "a@b/c'&<");
  CHECK(stanza.Attribute("to") == "d@e");
}

std::vector<std::string> Run(std::string_view data, uint8_t mode) {
  XmlTokenizer tokenizer(FuzzLimits());
  StanzaParser parser;
  std::vector<std::string> transcript;
  size_t at = 0;
  uint32_t seed = mode;
  while (at < data.size() || at == 0) {
    size_t piece = data.size() - at;
    if (mode != 0) {
      seed = seed * 1103515245 + 12345;
      piece = std::min<size_t>(piece, 1 + (seed >> 16) % (mode & 0x3F ? (mode & 0x3F) : 1));
    }
    auto buffer = std::make_unique<std::string>(data.substr(at, piece));
    at += piece;
    tokenizer.Feed(*buffer);
    for (XmlEvent e = tokenizer.Next(); e.type != XmlEventType::kNeedMore; e = tokenizer.Next()) {
      if (e.type == XmlEventType::kError) {
        transcript.push_back("error " + std::string(StreamErrorName(e.error.condition)));
        return transcript;
      }
      if (e.type == XmlEventType::kStreamOpen) {
        const StreamHeader& header = tokenizer.stream_header();
        transcript.push_back("open " + std::string(header.name()));
        for (size_t i = 0; i < header.attribute_count(); ++i) {
          CHECK(header.Attribute(header.attribute(i).name).has_value());
        }
      } else if (e.type == XmlEventType::kStreamClose) {
        transcript.push_back("close");
      } else {
        transcript.push_back(std::string(e.element));
        const ElementView stanza = parser.Parse(e.element, tokenizer.stream_header().namespaces());
        Walk(stanza, 0);
        if (mode == 0) CheckForwarded(e.element, tokenizer.stream_header().namespaces());
      }
    }
    if (data.empty()) break;
  }
  return transcript;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = bytes[0] == 0 ? 1 : bytes[0];
  const std::string_view data(reinterpret_cast<const char*>(bytes) + 1, size - 1);
  const std::vector<std::string> whole = Run(data, 0);
  const std::vector<std::string> split = Run(data, mode);
  if (whole != split) abort();
  return 0;
}
