// Fuzz target for JID parsing: no crash, and the canonical form of a
// parsed JID parses again to the same JID (canonicalization is idempotent).

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/check.h"
#include "xmpp/jid/jid.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(bytes), size);
  const absl::StatusOr<ringlet::Jid> jid = ringlet::Jid::Parse(text);
  if (!jid.ok()) return 0;
  const absl::StatusOr<ringlet::Jid> again = ringlet::Jid::Parse(jid->ToString());
  CHECK(again.ok());
  CHECK(*again == *jid);
  CHECK(again->ToString() == jid->ToString());
  return 0;
}
