#include "xmpp/im/stanza_error.h"

#include <array>

#include "xmpp/xml/serializer.h"

namespace ringlet::im {
namespace {

struct ConditionInfo {
  std::string_view name;
  StanzaErrorType type;
};

// Indexed by StanzaErrorCondition. Where §8.3.3 gives two types
// ("cancel or modify"), the first one it names is taken.
constexpr std::array<ConditionInfo, kStanzaErrorConditionCount> kConditions = {{
    {"bad-request", StanzaErrorType::kModify},
    {"conflict", StanzaErrorType::kCancel},
    {"feature-not-implemented", StanzaErrorType::kCancel},
    {"forbidden", StanzaErrorType::kAuth},
    {"gone", StanzaErrorType::kCancel},
    {"internal-server-error", StanzaErrorType::kCancel},
    {"item-not-found", StanzaErrorType::kCancel},
    {"jid-malformed", StanzaErrorType::kModify},
    {"not-acceptable", StanzaErrorType::kModify},
    {"not-allowed", StanzaErrorType::kCancel},
    {"not-authorized", StanzaErrorType::kAuth},
    {"policy-violation", StanzaErrorType::kModify},
    {"recipient-unavailable", StanzaErrorType::kWait},
    {"redirect", StanzaErrorType::kModify},
    {"registration-required", StanzaErrorType::kAuth},
    {"remote-server-not-found", StanzaErrorType::kCancel},
    {"remote-server-timeout", StanzaErrorType::kWait},
    {"resource-constraint", StanzaErrorType::kWait},
    {"service-unavailable", StanzaErrorType::kCancel},
    {"subscription-required", StanzaErrorType::kAuth},
    {"undefined-condition", StanzaErrorType::kCancel},
    {"unexpected-request", StanzaErrorType::kWait},
}};

}  // namespace

std::string_view StanzaErrorConditionName(StanzaErrorCondition condition) {
  return kConditions[static_cast<size_t>(condition)].name;
}

std::optional<StanzaErrorCondition> ParseStanzaErrorCondition(std::string_view name) {
  for (size_t i = 0; i < kConditions.size(); ++i) {
    if (kConditions[i].name == name) return static_cast<StanzaErrorCondition>(i);
  }
  return std::nullopt;
}

StanzaErrorType DefaultErrorType(StanzaErrorCondition condition) {
  return kConditions[static_cast<size_t>(condition)].type;
}

std::string_view StanzaErrorTypeName(StanzaErrorType type) {
  switch (type) {
    case StanzaErrorType::kAuth:
      return "auth";
    case StanzaErrorType::kCancel:
      return "cancel";
    case StanzaErrorType::kContinue:
      return "continue";
    case StanzaErrorType::kModify:
      return "modify";
    case StanzaErrorType::kWait:
      return "wait";
  }
  return "cancel";
}

void AppendErrorElement(const StanzaError& error, std::string* out) {
  xml::XmlWriter w(out);
  w.Open("error").Attribute(
      "type", StanzaErrorTypeName(error.type.value_or(DefaultErrorType(error.condition))));
  if (!error.by.empty()) w.Attribute("by", error.by);
  w.Open(StanzaErrorConditionName(error.condition)).Attribute("xmlns", kNsStanzas);
  const bool takes_address = error.condition == StanzaErrorCondition::kGone ||
                             error.condition == StanzaErrorCondition::kRedirect;
  if (takes_address && !error.alternate_address.empty()) w.Text(error.alternate_address);
  w.Close();
  if (!error.text.empty()) {
    w.Open("text").Attribute("xmlns", kNsStanzas);
    if (!error.text_lang.empty()) w.Attribute("xml:lang", error.text_lang);
    w.Text(error.text).Close();
  }
  w.Close();
}

std::string_view ElementContent(std::string_view element) {
  // The start tag ends at the first '>' outside a quoted attribute value
  // ('>' is allowed inside one).
  char quote = 0;
  size_t start_end = std::string_view::npos;
  for (size_t i = 1; i < element.size(); ++i) {
    const char c = element[i];
    if (quote != 0) {
      if (c == quote) quote = 0;
    } else if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '>') {
      start_end = i;
      break;
    }
  }
  if (start_end == std::string_view::npos || element[start_end - 1] == '/') return {};
  const size_t end_tag = element.rfind('<');
  if (end_tag == std::string_view::npos || end_tag <= start_end) return {};
  return element.substr(start_end + 1, end_tag - start_end - 1);
}

std::optional<std::string> BuildErrorReply(std::string_view element, const xml::ElementView& view,
                                           const StanzaError& error) {
  const std::optional<std::string> type = view.Attribute("type");
  if (type == "error") return std::nullopt;
  if (view.name() == "iq" && type == "result") return std::nullopt;

  std::string out;
  out.reserve(element.size() + 160);
  xml::XmlWriter w(&out);
  w.Open(view.qualified_name());
  if (std::optional<std::string> to = view.Attribute("to")) w.Attribute("from", *to);
  if (std::optional<std::string> from = view.Attribute("from")) w.Attribute("to", *from);
  w.Attribute("type", "error");
  view.ForEachAttribute([&](std::string_view name, std::string_view) {
    if (name == "from" || name == "to" || name == "type") return;
    w.Attribute(name, view.Attribute(name).value_or(""));
  });
  // Raw() also ends the start tag, so the <error/> written below lands
  // inside the element.
  w.Raw(error.include_payload ? ElementContent(element) : std::string_view());
  AppendErrorElement(error, &out);
  w.Close();
  return out;
}

}  // namespace ringlet::im
