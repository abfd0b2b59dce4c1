#include "xmpp/xml/forwarder.h"

#include <algorithm>

#include "absl/container/inlined_vector.h"
#include "xmpp/xml/entities.h"
#include "xmpp/xml/internal/chars.h"

namespace ringlet::xml {
namespace {

using internal::IsXmlSpace;

void AppendAttribute(std::string_view name, std::string_view value, std::string* out) {
  out->push_back(' ');
  out->append(name);
  out->append("='");
  AppendEscapedAttributeValue(value, out);
  out->push_back('\'');
}

}  // namespace

bool AppendStampedStanza(std::string_view element, const StanzaStamp& stamp,
                         std::string* out) {
  if (element.size() < 3 || element[0] != '<') return false;
  const size_t size = element.size();
  size_t i = 1;
  while (i < size && !IsXmlSpace(element[i]) && element[i] != '/' && element[i] != '>') ++i;
  const size_t name_end = i;
  // Find the attributes to drop (each with the whitespace before it) and the
  // prefixes the stanza declares itself.
  struct Span {
    size_t begin, end;
  };
  Span dropped[2];
  int dropped_count = 0;
  absl::InlinedVector<std::string_view, 4> declared;
  while (true) {
    const size_t attr_begin = i;
    while (i < size && IsXmlSpace(element[i])) ++i;
    if (i >= size) return false;
    if (element[i] == '/' || element[i] == '>') break;
    const size_t name_begin = i;
    while (i < size && !IsXmlSpace(element[i]) && element[i] != '=') ++i;
    const std::string_view name = element.substr(name_begin, i - name_begin);
    while (i < size && element[i] != '\'' && element[i] != '"') ++i;
    if (i >= size) return false;
    const size_t close = element.find(element[i], i + 1);
    if (close == std::string_view::npos) return false;
    i = close + 1;
    if (((name == "from" && stamp.from.has_value()) || (name == "to" && stamp.to.has_value())) &&
        dropped_count < 2) {
      dropped[dropped_count++] = {attr_begin, i};
    } else if (name.substr(0, 6) == "xmlns:") {
      declared.push_back(name.substr(6));
    }
  }
  out->append(element.substr(0, name_end));
  if (stamp.from.has_value()) AppendAttribute("from", *stamp.from, out);
  if (stamp.to.has_value()) AppendAttribute("to", *stamp.to, out);
  if (stamp.source_namespaces != nullptr) {
    for (const auto& [prefix, uri] : stamp.source_namespaces->prefixes()) {
      if (prefix == "stream") continue;
      if (std::find(declared.begin(), declared.end(), prefix) == declared.end()) {
        AppendAttribute("xmlns:" + prefix, uri, out);
      }
    }
  }
  size_t copied = name_end;
  for (int k = 0; k < dropped_count; ++k) {
    out->append(element.substr(copied, dropped[k].begin - copied));
    copied = dropped[k].end;
  }
  out->append(element.substr(copied));
  return true;
}

}  // namespace ringlet::xml
