#pragma once

// Command-line flags of the routing core, and their validation:
//   --directed_presence_max   directed-presence recipients remembered per
//                             session (RFC 6121 §4.6); beyond it, directed
//                             available presence is refused with
//                             <resource-constraint/>

#include <cstdint>

#include "absl/flags/declare.h"
#include "absl/status/statusor.h"
#include "xmpp/router/router.h"

ABSL_DECLARE_FLAG(uint32_t, directed_presence_max);

namespace ringlet::xmpp {

// Fills the flag-controlled fields of `config` (domains come from c2s).
absl::Status RouterConfigFromFlags(RouterConfig* config);

}  // namespace ringlet::xmpp
