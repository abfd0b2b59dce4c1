#pragma once

// Test helper: tokenizes a whole stream and keeps its elements (copied) and
// the stream's namespace bindings.

#include <string>
#include <string_view>
#include <vector>

#include "xmpp/xml/tokenizer.h"

namespace ringlet::xml {

struct TokenizedStream {
  bool ok = true;  // no error event
  std::vector<std::string> elements;
  NamespaceContext namespaces;
};

inline TokenizedStream Tokenize(std::string_view stream) {
  TokenizedStream result;
  XmlTokenizer tokenizer{XmlLimits()};
  tokenizer.Feed(stream);
  for (XmlEvent e = tokenizer.Next(); e.type != XmlEventType::kNeedMore; e = tokenizer.Next()) {
    if (e.type == XmlEventType::kError) {
      result.ok = false;
      break;
    }
    if (e.type == XmlEventType::kStreamOpen) result.namespaces = tokenizer.stream_header().namespaces();
    if (e.type == XmlEventType::kElement) result.elements.emplace_back(e.element);
  }
  return result;
}

}  // namespace ringlet::xml
