#pragma once

// Roster management (RFC 6121 §2): parsing roster requests, the outcome of
// a roster set against the stored item, and the XML of roster results,
// roster pushes and items, with roster versioning (RFC 6121 §2.6, XEP-0237:
// the version is storage::Roster::version in decimal).
//
// Pure functions: no storage calls. The c2s session reads the roster,
// calls these, writes what they say and sends what they build.
//
// Hidden items: an item that only records an inbound subscription request
// the user has not answered ("None + Pending In", created by the server,
// with no name and no groups) is kept in storage but never shown to the
// user (RFC 6121 Appendix A.1: no roster push for it). IsVisibleInRoster()
// says which items are shown.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/storage.h"
#include "xmpp/im/stanza_error.h"
#include "xmpp/jid/jid.h"
#include "xmpp/xml/stanza.h"

namespace ringlet::im {

inline constexpr std::string_view kNsRoster = "jabber:iq:roster";

struct RosterLimits {
  size_t name_bytes_max = 1023;
  size_t group_bytes_max = 1023;
  size_t groups_max = 64;
};

// A parsed roster set (RFC 6121 §2.3 add/update, §2.5 remove).
struct RosterSet {
  Jid jid;  // bare
  bool remove = false;
  std::string name;
  std::vector<std::string> groups;  // unique, non-empty, in request order
};

// Either a RosterSet or the error to reply with.
struct RosterSetParse {
  std::optional<RosterSet> set;
  StanzaError error;  // meaningful only when !set
};

// Returns the roster query of an iq (its {jabber:iq:roster}query child), or
// a null view.
xml::ElementView RosterQuery(const xml::ElementView& iq);

// Parses an iq of type set carrying a roster query, sent by `from` (its
// 'from' as stamped by the session, or nullopt) for the account `user`
// (bare). Errors (RFC 6121 §2.1.5, §2.3.3, RFC 6120 §8.3.3):
//   forbidden       the set comes from another entity than the user
//   bad-request     not exactly one <item/>, no jid, a full jid, duplicate
//                   groups, too many groups
//   jid-malformed   the jid does not parse
//   not-acceptable  a name or group over its limit, an empty group
// Other 'subscription' values than "remove", and 'ask' / 'approved', are
// ignored (RFC 6121 §2.1.2: the server controls them).
RosterSetParse ParseRosterSet(const xml::ElementView& iq, const Jid& user,
                              const std::optional<Jid>& from, const RosterLimits& limits);

// Returns the 'ver' of a roster get's query (XEP-0237); nullopt if the
// client sent none (it does not support versioning), "" if it sent ver=''.
std::optional<std::string> ParseRosterGetVersion(const xml::ElementView& iq);

// What a roster set changes.
struct RosterSetOutcome {
  enum class Change { kStore, kRemove, kError };
  Change change = Change::kStore;
  // kStore: the item to store (subscription state kept from the stored
  // item, or none for a new one) and then push.
  storage::RosterItem item;
  // kRemove (RFC 6121 §2.5.2): presence the server sends to the contact
  // from the user's bare JID before removing: 'unsubscribe' if the user had
  // or asked for a subscription to the contact, 'unsubscribed' if the
  // contact had or asked for one to the user.
  bool send_unsubscribe = false;
  bool send_unsubscribed = false;
  // kError: item-not-found when removing an item that does not exist.
  StanzaErrorCondition error = StanzaErrorCondition::kItemNotFound;
};

// Applies `set` to the stored item for its jid (nullptr if none).
RosterSetOutcome ApplyRosterSet(const RosterSet& set, const storage::RosterItem* stored);

// Returns whether the item is shown to the user (see "Hidden items").
bool IsVisibleInRoster(const storage::RosterItem& item);

// Returns the decimal roster version string ("0" for a new roster).
std::string RosterVersionString(uint64_t version);

// Appends <item jid=.. [name=..] subscription=.. [ask='subscribe']>
// <group>..</group>...</item>. pending_in is not shown (it is no attribute
// of the protocol).
void AppendRosterItem(const storage::RosterItem& item, std::string* out);

// Builds the result to a roster get (RFC 6121 §2.1.4, §2.6.3): with
// versioning on and `client_version` equal to the current version, an empty
// result; otherwise every visible item in a query, with ver when
// versioning is on and the client asked for it (client_version set).
std::string BuildRosterResult(std::string_view id, std::string_view to,
                              const storage::Roster& roster,
                              const std::optional<std::string>& client_version,
                              bool versioning);

// Builds a roster push (RFC 6121 §2.1.6) of `item` to one interested
// resource (`to`, a full JID), with ver when `version` is set.
std::string BuildRosterPush(std::string_view id, std::string_view to,
                            const storage::RosterItem& item, std::optional<uint64_t> version);
// Builds the push of a removed item (subscription='remove').
std::string BuildRosterPushRemove(std::string_view id, std::string_view to,
                                  std::string_view contact, std::optional<uint64_t> version);

// Builds the empty result to a roster set.
std::string BuildRosterSetResult(std::string_view id, std::string_view to);

}  // namespace ringlet::im
