#include "xmpp/router/router_flags.h"

#include "absl/flags/flag.h"

ABSL_FLAG(uint32_t, directed_presence_max, 1000,
          "Directed-presence recipients remembered per session (so that they get its "
          "unavailable presence); beyond it directed presence is refused with "
          "resource-constraint. Bounds the memory a client can make the server hold.");

namespace ringlet::xmpp {

absl::Status RouterConfigFromFlags(RouterConfig* config) {
  config->directed_presence_max = absl::GetFlag(FLAGS_directed_presence_max);
  if (config->directed_presence_max == 0 || config->directed_presence_max > 1000000) {
    return absl::InvalidArgumentError("--directed_presence_max must be in [1, 1000000]");
  }
  return absl::OkStatus();
}

}  // namespace ringlet::xmpp
