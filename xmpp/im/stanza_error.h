#pragma once

// Stanza errors (RFC 6120 §8.3): the defined conditions with the error type
// §8.3.3 recommends for each, and the builder of the error reply to a
// received stanza (§8.3.1): from and to swapped, type='error', the id and
// the other attributes kept, the original payload kept, then
// <error type='...'><condition xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>
// [<text .../>]</error>.
//
// Pure functions: no I/O, callable on any shard.

#include <optional>
#include <string>
#include <string_view>

#include "xmpp/xml/stanza.h"

namespace ringlet::im {

inline constexpr std::string_view kNsStanzas = "urn:ietf:params:xml:ns:xmpp-stanzas";

// RFC 6120 §8.3.3, in the RFC's order.
enum class StanzaErrorCondition {
  kBadRequest,
  kConflict,
  kFeatureNotImplemented,
  kForbidden,
  kGone,
  kInternalServerError,
  kItemNotFound,
  kJidMalformed,
  kNotAcceptable,
  kNotAllowed,
  kNotAuthorized,
  kPolicyViolation,
  kRecipientUnavailable,
  kRedirect,
  kRegistrationRequired,
  kRemoteServerNotFound,
  kRemoteServerTimeout,
  kResourceConstraint,
  kServiceUnavailable,
  kSubscriptionRequired,
  kUndefinedCondition,
  kUnexpectedRequest,
};
inline constexpr int kStanzaErrorConditionCount = 22;

// RFC 6120 §8.3.2: what the sender should do about it.
enum class StanzaErrorType { kAuth, kCancel, kContinue, kModify, kWait };

// Returns the element name of the condition ("bad-request").
std::string_view StanzaErrorConditionName(StanzaErrorCondition condition);
// Parses an element name; nullopt if it is not a defined condition.
std::optional<StanzaErrorCondition> ParseStanzaErrorCondition(std::string_view name);
// Returns the error type §8.3.3 recommends for `condition` (e.g. forbidden:
// auth, bad-request: modify, recipient-unavailable: wait).
StanzaErrorType DefaultErrorType(StanzaErrorCondition condition);
// Returns the value of the type attribute ("cancel").
std::string_view StanzaErrorTypeName(StanzaErrorType type);

struct StanzaError {
  StanzaErrorCondition condition = StanzaErrorCondition::kUndefinedCondition;
  // nullopt: DefaultErrorType(condition).
  std::optional<StanzaErrorType> type;
  // Human-readable <text/>; "" for none. `text_lang` is its xml:lang ("" for
  // none).
  std::string text;
  std::string text_lang;
  // The 'by' attribute (§8.3.2): the entity that returns the error; "" for
  // none.
  std::string by;
  // gone / redirect only: the new address (XML character data of the
  // condition element, §8.3.3.5 / §8.3.3.14); "" for none.
  std::string alternate_address;
  // Whether the reply carries the original stanza's child elements (§8.3.1
  // allows it; for a large message the caller may prefer not to).
  bool include_payload = true;
};

// Appends the <error/> child for `error` (no payload).
void AppendErrorElement(const StanzaError& error, std::string* out);

// Builds the error reply to `stanza`: `element` is its bytes exactly as
// XmlTokenizer returned them, `view` its parse (StanzaParser) over those
// bytes. Returns nullopt when no error may be returned: the stanza is
// itself an error (RFC 6120 §8.3.1: never answer an error with an error)
// or an iq result (§8.2.3: a response is never answered).
//
// The reply keeps every attribute of the original but from/to/type
// (decoded, then re-escaped), so it keeps id and xml:lang and the
// namespace declarations its payload needs; prefixes bound only on the
// source stream's header are not redeclared (stanzas do not use them).
std::optional<std::string> BuildErrorReply(std::string_view element, const xml::ElementView& view,
                                           const StanzaError& error);

// Returns the content between the start tag and the end tag of `element`
// (a complete element as the tokenizer returned it); "" for an empty
// element. The view points into `element`.
std::string_view ElementContent(std::string_view element);

}  // namespace ringlet::im
