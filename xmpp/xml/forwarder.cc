#include "xmpp/xml/forwarder.h"

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
  const size_t out_size = out->size();
  out->append(element.substr(0, name_end));
  if (stamp.from.has_value()) AppendAttribute("from", *stamp.from, out);
  if (stamp.to.has_value()) AppendAttribute("to", *stamp.to, out);
  // Copy the original attributes, each with the whitespace before it,
  // skipping the stamped ones.
  size_t copied = name_end;  // start of the bytes not yet copied
  while (true) {
    const size_t attr_begin = i;
    while (i < size && IsXmlSpace(element[i])) ++i;
    if (i >= size) break;
    if (element[i] == '/' || element[i] == '>') break;
    const size_t name_begin = i;
    while (i < size && !IsXmlSpace(element[i]) && element[i] != '=') ++i;
    const std::string_view name = element.substr(name_begin, i - name_begin);
    while (i < size && element[i] != '\'' && element[i] != '"') ++i;
    if (i >= size) break;
    const size_t close = element.find(element[i], i + 1);
    if (close == std::string_view::npos) {
      i = size;
      break;
    }
    i = close + 1;
    if ((name == "from" && stamp.from.has_value()) || (name == "to" && stamp.to.has_value())) {
      out->append(element.substr(copied, attr_begin - copied));
      copied = i;
    }
  }
  if (i >= size) {
    out->resize(out_size);
    return false;
  }
  out->append(element.substr(copied));
  return true;
}

}  // namespace ringlet::xml
