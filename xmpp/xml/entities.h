#pragma once

// Entity decoding and escaping for XML text and attribute values.
//
// Decoding undoes what a sender wrote: the five predefined entities, decimal
// and hexadecimal character references, and XML 1.0's end-of-line and
// attribute-value normalization. It is used on bytes the tokenizer already
// accepted, so an error here means the caller passed something else; it is
// still reported, never assumed away.
//
// Escaping is what the serializer writes: the result is always well-formed
// character data. Bytes that are not valid UTF-8 and code points that XML
// 1.0 forbids (controls, U+FFFE/U+FFFF) are replaced by U+FFFD, so that
// nothing stored or received can make us send a not-well-formed stream.

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace ringlet::xml {

// Appends the decoded form of `raw`, character data from an element (not a
// CDATA section), to `out`: entity and character references are expanded,
// and "\r\n" and a lone '\r' become '\n'. Returns InvalidArgument for a
// malformed or unknown reference (`out` then holds a partial result).
absl::Status AppendDecodedText(std::string_view raw, std::string* out);

// Appends the contents of a CDATA section, with end-of-line normalization.
void AppendCdataText(std::string_view raw, std::string* out);

// Appends the decoded value of an attribute written as `raw` (the bytes
// between the quotes): references expanded, and each literal tab, newline,
// carriage return or "\r\n" turned into one space.
absl::Status AppendDecodedAttributeValue(std::string_view raw, std::string* out);

// Returns whether the attribute value written as `raw` decodes to
// `expected`, without allocating when `raw` holds no reference or
// whitespace to normalize (the common case).
bool AttributeValueEquals(std::string_view raw, std::string_view expected);

// Appends `text` escaped as character data (&, <, > escaped).
void AppendEscapedText(std::string_view text, std::string* out);

// Appends `value` escaped for a single-quoted or double-quoted attribute
// value (&, <, >, ', " escaped; tab, newline and carriage return as
// character references so that they survive normalization).
void AppendEscapedAttributeValue(std::string_view value, std::string* out);

}  // namespace ringlet::xml
