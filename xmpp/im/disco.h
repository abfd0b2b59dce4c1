#pragma once

// Service discovery (XEP-0030): parsing disco#info / disco#items requests
// and building the server's and an account's replies.
//
// The server (a bare domain JID) has the identity server/im (category
// "server", type "im") and the features its caller lists. An account
// (bare JID) answered by the server on the user's behalf has the identity
// account/registered, shown only to a requester allowed to see it: the
// account itself or an entity with a presence subscription to it (XEP-0030
// §6, RFC 6121 §8.5.2.1.3); to anyone else the caller answers
// service-unavailable (stanza_error.h), as if there were no account.
//
// Pure functions: no I/O, callable on any shard.

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "xmpp/xml/stanza.h"

namespace ringlet::im {

inline constexpr std::string_view kNsDiscoInfo = "http://jabber.org/protocol/disco#info";
inline constexpr std::string_view kNsDiscoItems = "http://jabber.org/protocol/disco#items";

enum class DiscoKind { kInfo, kItems };

struct DiscoRequest {
  DiscoKind kind = DiscoKind::kInfo;
  std::string node;  // "" when the request names no node
};

// Parses an iq of type get whose child is a disco#info or disco#items
// query; nullopt for anything else.
std::optional<DiscoRequest> ParseDiscoRequest(const xml::ElementView& iq);

struct DiscoIdentity {
  std::string category;
  std::string type;
  std::string name;  // "" for none
};

struct DiscoItem {
  std::string jid;
  std::string node;  // "" for none
  std::string name;  // "" for none
};

// Builds a disco#info result with these identities and features (the
// disco#info feature is added if missing). `node` is echoed when not "".
std::string BuildDiscoInfoResult(std::string_view id, std::string_view from, std::string_view to,
                                 std::string_view node, std::span<const DiscoIdentity> identities,
                                 std::span<const std::string> features);

// Builds the server's disco#info result (identity server/im).
std::string BuildServerDiscoInfo(std::string_view id, std::string_view server,
                                 std::string_view to, std::span<const std::string> features);

// Builds an account's disco#info result (identity account/registered), or
// nullopt if the requester is not allowed to see it (the caller replies
// service-unavailable).
std::optional<std::string> BuildAccountDiscoInfo(std::string_view id, std::string_view account,
                                                 std::string_view to, bool requester_allowed,
                                                 std::span<const std::string> features);

// Builds a disco#items result listing `items`.
std::string BuildDiscoItemsResult(std::string_view id, std::string_view from,
                                  std::string_view to, std::string_view node,
                                  std::span<const DiscoItem> items);

}  // namespace ringlet::im
