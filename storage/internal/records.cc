#include "storage/internal/records.h"

#include <cstring>

namespace ringlet::storage::internal {
namespace {

constexpr size_t kJidBytesMax = 3071;  // RFC 7622: three parts of 1023

// Appends fixed-width little-endian integers and length-prefixed strings.
class Encoder {
 public:
  Encoder() { out_.push_back(static_cast<char>(kFormatV1)); }
  Encoder& U8(uint8_t value) {
    out_.push_back(static_cast<char>(value));
    return *this;
  }
  Encoder& U32(uint32_t value) { return Fixed(value, 4); }
  Encoder& U64(uint64_t value) { return Fixed(value, 8); }
  Encoder& Bytes(std::string_view bytes) {
    U32(bytes.size());
    out_.append(bytes);
    return *this;
  }
  // The rest of the value, without a length (only last).
  Encoder& Rest(std::string_view bytes) {
    out_.append(bytes);
    return *this;
  }
  std::string Take() { return std::move(out_); }

 private:
  Encoder& Fixed(uint64_t value, int bytes) {
    for (int i = 0; i < bytes; ++i) out_.push_back(static_cast<char>(value >> (8 * i)));
    return *this;
  }
  std::string out_;
};

// Reads what Encoder wrote; every read fails once the input is exhausted.
class Decoder {
 public:
  explicit Decoder(std::string_view in) : in_(in) {
    ok_ = !in_.empty() && static_cast<uint8_t>(in_[0]) == kFormatV1;
    if (ok_) in_.remove_prefix(1);
  }
  Decoder& U8(uint8_t* value) {
    uint64_t wide = 0;
    Fixed(&wide, 1);
    *value = static_cast<uint8_t>(wide);
    return *this;
  }
  Decoder& U32(uint32_t* value) {
    uint64_t wide = 0;
    Fixed(&wide, 4);
    *value = static_cast<uint32_t>(wide);
    return *this;
  }
  Decoder& U64(uint64_t* value) { return Fixed(value, 8); }
  Decoder& Bytes(std::string* bytes) {
    uint32_t size = 0;
    U32(&size);
    if (!ok_ || in_.size() < size) {
      ok_ = false;
      return *this;
    }
    bytes->assign(in_.substr(0, size));
    in_.remove_prefix(size);
    return *this;
  }
  Decoder& Rest(std::string* bytes) {
    if (ok_) bytes->assign(in_);
    in_ = {};
    return *this;
  }
  absl::Status Finish(const char* what) const {
    if (ok_ && in_.empty()) return absl::OkStatus();
    return absl::DataLossError(std::string("corrupt or unknown format: ") + what);
  }

 private:
  Decoder& Fixed(uint64_t* value, int bytes) {
    *value = 0;
    if (!ok_ || in_.size() < static_cast<size_t>(bytes)) {
      ok_ = false;
      return *this;
    }
    for (int i = 0; i < bytes; ++i) {
      *value |= uint64_t{static_cast<uint8_t>(in_[i])} << (8 * i);
    }
    in_.remove_prefix(bytes);
    return *this;
  }
  std::string_view in_;
  bool ok_ = false;
};

}  // namespace

absl::Status ValidateJid(std::string_view jid) {
  if (jid.empty() || jid.size() > kJidBytesMax) {
    return absl::InvalidArgumentError("JID empty or longer than 3071 bytes");
  }
  for (char c : jid) {
    if (static_cast<uint8_t>(c) < 0x20) {
      return absl::InvalidArgumentError("JID contains a control character");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateAccountJid(std::string_view jid) {
  const size_t at = jid.find('@');
  if (at == 0 || at == std::string_view::npos || at + 1 == jid.size() ||
      jid.find('/') != std::string_view::npos) {
    return absl::InvalidArgumentError("account JID must be local@domain");
  }
  return ValidateJid(jid);
}

std::string UserPrefix(std::string_view user) {
  std::string key(user);
  key.push_back('\0');
  return key;
}

std::string UserKey(std::string_view user, Tag tag) {
  std::string key = UserPrefix(user);
  key.push_back(static_cast<char>(tag));
  return key;
}

std::string UserKey(std::string_view user, Tag tag, std::string_view suffix) {
  std::string key = UserKey(user, tag);
  key.append(suffix);
  return key;
}

std::string IdKeyPart(uint64_t id) {
  std::string part(8, '\0');
  for (int i = 0; i < 8; ++i) part[i] = static_cast<char>(id >> (56 - 8 * i));
  return part;
}

uint64_t ParseIdKeyPart(std::string_view eight_bytes) {
  uint64_t id = 0;
  for (size_t i = 0; i < 8 && i < eight_bytes.size(); ++i) {
    id = (id << 8) | static_cast<uint8_t>(eight_bytes[i]);
  }
  return id;
}

std::string ContactIndexPrefix(std::string_view user,
                               std::string_view contact) {
  std::string key = UserKey(user, Tag::kArchiveByContact, contact);
  key.push_back('\0');
  return key;
}

std::string DomainIndexPrefix(std::string_view domain) {
  std::string key = "\x01";
  key.append(domain);
  key.push_back('\0');
  return key;
}

std::string DomainIndexKey(std::string_view domain, std::string_view local) {
  std::string key = DomainIndexPrefix(domain);
  key.append(local);
  return key;
}

std::string EncodeCredentials(const ScramCredentials& credentials) {
  return Encoder()
      .U32(credentials.iterations)
      .Bytes(credentials.salt)
      .Bytes(credentials.stored_key)
      .Bytes(credentials.server_key)
      .Take();
}

absl::Status DecodeCredentials(std::string_view value, ScramCredentials* out) {
  return Decoder(value)
      .U32(&out->iterations)
      .Bytes(&out->salt)
      .Bytes(&out->stored_key)
      .Bytes(&out->server_key)
      .Finish("credentials");
}

std::string EncodeMeta(const UserMeta& meta) {
  return Encoder()
      .U64(meta.roster_version)
      .U32(meta.roster_items)
      .U64(meta.offline_last_id)
      .U32(meta.offline_messages)
      .U64(meta.archive_last_id)
      .Take();
}

absl::Status DecodeMeta(std::string_view value, UserMeta* out) {
  return Decoder(value)
      .U64(&out->roster_version)
      .U32(&out->roster_items)
      .U64(&out->offline_last_id)
      .U32(&out->offline_messages)
      .U64(&out->archive_last_id)
      .Finish("user meta");
}

std::string EncodeRosterItem(const RosterItem& item) {
  Encoder encoder;
  encoder.Bytes(item.name)
      .U8(static_cast<uint8_t>(item.subscription))
      .U8(item.ask ? 1 : 0)
      .U8(item.pending_in ? 1 : 0)
      .U32(item.groups.size());
  for (const std::string& group : item.groups) encoder.Bytes(group);
  return encoder.Take();
}

absl::Status DecodeRosterItem(std::string_view value, RosterItem* out) {
  uint8_t subscription = 0, ask = 0, pending_in = 0;
  uint32_t groups = 0;
  Decoder decoder(value);
  decoder.Bytes(&out->name).U8(&subscription).U8(&ask).U8(&pending_in).U32(
      &groups);
  // Each group takes at least 4 bytes, which bounds a corrupt count.
  if (groups > value.size() / 4) groups = 0;
  out->groups.resize(groups);
  for (std::string& group : out->groups) decoder.Bytes(&group);
  if (subscription > static_cast<uint8_t>(Subscription::kBoth)) {
    return absl::DataLossError("corrupt roster item subscription");
  }
  out->subscription = static_cast<Subscription>(subscription);
  out->ask = ask != 0;
  out->pending_in = pending_in != 0;
  return decoder.Finish("roster item");
}

std::string EncodeOfflineMessage(const OfflineMessage& message) {
  return Encoder()
      .U64(static_cast<uint64_t>(message.stored_at_ms))
      .Rest(message.stanza)
      .Take();
}

absl::Status DecodeOfflineMessage(std::string_view value, OfflineMessage* out) {
  uint64_t stored_at_ms = 0;
  absl::Status status =
      Decoder(value).U64(&stored_at_ms).Rest(&out->stanza).Finish(
          "offline message");
  out->stored_at_ms = static_cast<int64_t>(stored_at_ms);
  return status;
}

std::string EncodeArchivedMessage(const ArchivedMessage& message) {
  return Encoder()
      .U64(static_cast<uint64_t>(message.timestamp_ms))
      .U8(message.outgoing ? 1 : 0)
      .Bytes(message.with)
      .Rest(message.stanza)
      .Take();
}

absl::Status DecodeArchivedMessage(std::string_view value,
                                   ArchivedMessage* out) {
  uint64_t timestamp_ms = 0;
  uint8_t outgoing = 0;
  absl::Status status = Decoder(value)
                            .U64(&timestamp_ms)
                            .U8(&outgoing)
                            .Bytes(&out->with)
                            .Rest(&out->stanza)
                            .Finish("archived message");
  out->timestamp_ms = static_cast<int64_t>(timestamp_ms);
  out->outgoing = outgoing != 0;
  return status;
}

std::string EncodeU64(uint64_t value) { return Encoder().U64(value).Take(); }

absl::Status DecodeU64(std::string_view value, uint64_t* out) {
  return Decoder(value).U64(out).Finish("integer record");
}

}  // namespace ringlet::storage::internal
