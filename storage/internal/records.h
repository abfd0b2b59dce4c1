#pragma once

// The key layout and value encodings of the embedded engine (documented in
// storage/README.md). Pure functions, any thread. Every value starts with a
// format byte (kFormatV1) so that an encoding can change later without a
// migration of everything at once; a decoder refuses formats it does not
// know.

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "storage/storage.h"

namespace ringlet::storage::internal {

inline constexpr uint8_t kFormatV1 = 1;

// Per-user record tags: the byte after "<bare jid>\0".
enum class Tag : char {
  kAccount = 'A',
  kCredentials = 'C',      // + hash byte
  kMeta = 'M',
  kRoster = 'R',           // + contact
  kOffline = 'O',          // + big-endian u64 id
  kArchive = 'H',          // + big-endian u64 id
  kArchiveByContact = 'W', // + contact + \0 + big-endian u64 id
  kReadMarker = 'K',       // + contact
};

// Counters and versions of one user, kept in one record so that appends
// need no scan.
struct UserMeta {
  uint64_t roster_version = 0;
  uint32_t roster_items = 0;
  uint64_t offline_last_id = 0;
  uint32_t offline_messages = 0;
  uint64_t archive_last_id = 0;
};

// Checks a bare JID used as a key part: 1..3071 bytes, no byte below 0x20
// (so that \0 and \1 can separate key parts).
absl::Status ValidateJid(std::string_view jid);
// Also requires a non-empty local part and domain around the first '@'.
absl::Status ValidateAccountJid(std::string_view jid);

// "<user>\0": every record of a user starts with it.
std::string UserPrefix(std::string_view user);
// UserPrefix + tag.
std::string UserKey(std::string_view user, Tag tag);
// UserKey + suffix.
std::string UserKey(std::string_view user, Tag tag, std::string_view suffix);
// Big-endian, so that keys sort by id.
std::string IdKeyPart(uint64_t id);
uint64_t ParseIdKeyPart(std::string_view eight_bytes);
// kArchiveByContact prefix of one contact: UserKey(W) + contact + \0.
std::string ContactIndexPrefix(std::string_view user, std::string_view contact);

// "\1<domain>\0<local>": the per-domain list of accounts.
std::string DomainIndexKey(std::string_view domain, std::string_view local);
std::string DomainIndexPrefix(std::string_view domain);
// "\2format": the database's layout version.
inline constexpr std::string_view kDatabaseFormatKey = "\x02" "format";

std::string EncodeCredentials(const ScramCredentials& credentials);
absl::Status DecodeCredentials(std::string_view value, ScramCredentials* out);

std::string EncodeMeta(const UserMeta& meta);
absl::Status DecodeMeta(std::string_view value, UserMeta* out);

std::string EncodeRosterItem(const RosterItem& item);
absl::Status DecodeRosterItem(std::string_view value, RosterItem* out);

std::string EncodeOfflineMessage(const OfflineMessage& message);
absl::Status DecodeOfflineMessage(std::string_view value, OfflineMessage* out);

std::string EncodeArchivedMessage(const ArchivedMessage& message);
absl::Status DecodeArchivedMessage(std::string_view value,
                                   ArchivedMessage* out);

std::string EncodeU64(uint64_t value);  // format byte + u64 (read markers)
absl::Status DecodeU64(std::string_view value, uint64_t* out);

}  // namespace ringlet::storage::internal
