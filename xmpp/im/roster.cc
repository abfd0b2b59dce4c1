#include "xmpp/im/roster.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "xmpp/im/internal/iq.h"
#include "xmpp/xml/serializer.h"

namespace ringlet::im {
namespace {

RosterSetParse Fail(StanzaErrorCondition condition, std::string text) {
  RosterSetParse parse;
  parse.error.condition = condition;
  parse.error.text = std::move(text);
  parse.error.text_lang = "en";
  return parse;
}

std::string_view SubscriptionName(storage::Subscription subscription) {
  switch (subscription) {
    case storage::Subscription::kNone:
      return "none";
    case storage::Subscription::kTo:
      return "to";
    case storage::Subscription::kFrom:
      return "from";
    case storage::Subscription::kBoth:
      return "both";
  }
  return "none";
}

bool HasTo(storage::Subscription s) {
  return s == storage::Subscription::kTo || s == storage::Subscription::kBoth;
}
bool HasFrom(storage::Subscription s) {
  return s == storage::Subscription::kFrom || s == storage::Subscription::kBoth;
}

}  // namespace

xml::ElementView RosterQuery(const xml::ElementView& iq) { return iq.Child("query", kNsRoster); }

RosterSetParse ParseRosterSet(const xml::ElementView& iq, const Jid& user,
                              const std::optional<Jid>& from, const RosterLimits& limits) {
  // §2.1.5: only the user may change the user's roster.
  if (from && from->Bare() != user.Bare()) {
    return Fail(StanzaErrorCondition::kForbidden, "roster of another user");
  }
  const xml::ElementView query = RosterQuery(iq);
  if (!query) return Fail(StanzaErrorCondition::kBadRequest, "no roster query");
  const xml::ElementView item = query.Child("item", kNsRoster);
  if (!item) return Fail(StanzaErrorCondition::kBadRequest, "no item");
  if (item.NextSibling("item", kNsRoster)) {
    return Fail(StanzaErrorCondition::kBadRequest, "more than one item");
  }
  const std::optional<std::string> jid_text = item.Attribute("jid");
  if (!jid_text) return Fail(StanzaErrorCondition::kBadRequest, "item without jid");
  absl::StatusOr<Jid> jid = Jid::Parse(*jid_text);
  if (!jid.ok()) return Fail(StanzaErrorCondition::kJidMalformed, "invalid jid");
  if (!jid->is_bare()) return Fail(StanzaErrorCondition::kBadRequest, "jid has a resource");

  RosterSet set;
  set.jid = *std::move(jid);
  set.remove = item.Attribute("subscription") == "remove";
  if (!set.remove) {
    set.name = item.Attribute("name").value_or("");
    if (set.name.size() > limits.name_bytes_max) {
      return Fail(StanzaErrorCondition::kNotAcceptable, "name too long");
    }
    for (xml::ElementView group = item.Child("group", kNsRoster); group;
         group = group.NextSibling("group", kNsRoster)) {
      std::string text = group.Text();
      if (text.empty()) return Fail(StanzaErrorCondition::kNotAcceptable, "empty group");
      if (text.size() > limits.group_bytes_max) {
        return Fail(StanzaErrorCondition::kNotAcceptable, "group name too long");
      }
      if (std::find(set.groups.begin(), set.groups.end(), text) != set.groups.end()) {
        return Fail(StanzaErrorCondition::kBadRequest, "duplicate group");
      }
      if (set.groups.size() == limits.groups_max) {
        return Fail(StanzaErrorCondition::kNotAcceptable, "too many groups");
      }
      set.groups.push_back(std::move(text));
    }
  }
  RosterSetParse parse;
  parse.set = std::move(set);
  return parse;
}

std::optional<std::string> ParseRosterGetVersion(const xml::ElementView& iq) {
  const xml::ElementView query = RosterQuery(iq);
  if (!query) return std::nullopt;
  return query.Attribute("ver");
}

RosterSetOutcome ApplyRosterSet(const RosterSet& set, const storage::RosterItem* stored) {
  RosterSetOutcome outcome;
  if (set.remove) {
    if (stored == nullptr) {
      outcome.change = RosterSetOutcome::Change::kError;
      outcome.error = StanzaErrorCondition::kItemNotFound;
      return outcome;
    }
    outcome.change = RosterSetOutcome::Change::kRemove;
    outcome.item = *stored;
    outcome.send_unsubscribe = HasTo(stored->subscription) || stored->ask;
    outcome.send_unsubscribed = HasFrom(stored->subscription) || stored->pending_in;
    return outcome;
  }
  outcome.change = RosterSetOutcome::Change::kStore;
  if (stored != nullptr) outcome.item = *stored;
  outcome.item.jid = set.jid.ToString();
  outcome.item.name = set.name;
  outcome.item.groups = set.groups;
  return outcome;
}

bool IsVisibleInRoster(const storage::RosterItem& item) {
  const bool only_pending_in = item.subscription == storage::Subscription::kNone && !item.ask &&
                               item.pending_in && item.name.empty() && item.groups.empty();
  return !only_pending_in;
}

std::string RosterVersionString(uint64_t version) { return absl::StrCat(version); }

void AppendRosterItem(const storage::RosterItem& item, std::string* out) {
  xml::XmlWriter w(out);
  w.Open("item").Attribute("jid", item.jid);
  if (!item.name.empty()) w.Attribute("name", item.name);
  w.Attribute("subscription", SubscriptionName(item.subscription));
  if (item.ask) w.Attribute("ask", "subscribe");
  for (const std::string& group : item.groups) w.Open("group").Text(group).Close();
  w.Close();
}

std::string BuildRosterResult(std::string_view id, std::string_view to,
                              const storage::Roster& roster,
                              const std::optional<std::string>& client_version,
                              bool versioning) {
  const std::string version = RosterVersionString(roster.version);
  std::string out;
  xml::XmlWriter w(&out);
  internal::OpenIq(w, "result", id, "", to);
  if (versioning && client_version == version) {
    // §2.6.3: the client's copy is current; the changes (none) come as
    // pushes.
    w.Close();
    return out;
  }
  w.Open("query").Attribute("xmlns", kNsRoster);
  if (versioning && client_version) w.Attribute("ver", version);
  w.Raw("");
  for (const storage::RosterItem& item : roster.items) {
    if (IsVisibleInRoster(item)) AppendRosterItem(item, &out);
  }
  w.Close().Close();
  return out;
}

std::string BuildRosterPush(std::string_view id, std::string_view to,
                            const storage::RosterItem& item, std::optional<uint64_t> version) {
  std::string out;
  xml::XmlWriter w(&out);
  internal::OpenIq(w, "set", id, "", to);
  w.Open("query").Attribute("xmlns", kNsRoster);
  if (version) w.Attribute("ver", RosterVersionString(*version));
  w.Raw("");
  AppendRosterItem(item, &out);
  w.Close().Close();
  return out;
}

std::string BuildRosterPushRemove(std::string_view id, std::string_view to,
                                  std::string_view contact, std::optional<uint64_t> version) {
  std::string out;
  xml::XmlWriter w(&out);
  internal::OpenIq(w, "set", id, "", to);
  w.Open("query").Attribute("xmlns", kNsRoster);
  if (version) w.Attribute("ver", RosterVersionString(*version));
  w.Open("item").Attribute("jid", contact).Attribute("subscription", "remove").Close();
  w.Close().Close();
  return out;
}

std::string BuildRosterSetResult(std::string_view id, std::string_view to) {
  std::string out;
  xml::XmlWriter w(&out);
  internal::OpenIq(w, "result", id, "", to).Close();
  return out;
}

}  // namespace ringlet::im
