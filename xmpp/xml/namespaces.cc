#include "xmpp/xml/namespaces.h"

namespace ringlet::xml {

void NamespaceContext::Bind(std::string_view prefix, std::string_view uri) {
  for (auto& [bound_prefix, bound_uri] : prefixes_) {
    if (bound_prefix == prefix) {
      bound_uri = std::string(uri);
      return;
    }
  }
  prefixes_.emplace_back(std::string(prefix), std::string(uri));
}

const std::string* NamespaceContext::Lookup(std::string_view prefix) const {
  for (const auto& [bound_prefix, bound_uri] : prefixes_) {
    if (bound_prefix == prefix) return &bound_uri;
  }
  if (prefix == "xml") {
    static const std::string* const kXml = new std::string(kNsXml);
    return kXml;
  }
  return nullptr;
}

void NamespaceContext::Clear() {
  default_namespace_.clear();
  prefixes_.clear();
}

}  // namespace ringlet::xml
