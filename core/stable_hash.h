#pragma once

// A fixed hash for choosing home shards. It must give the same value in every
// process and every build (unlike absl::Hash, which is seeded per process), so
// that a restart finds every user and domain on the same shard. Nothing that
// is stored depends on it modulo the shard count.

#include <cstdint>
#include <string_view>

namespace ringlet {

// Returns the 64-bit FNV-1a hash of `bytes`, finished with a 64-bit mixer so
// that the low bits (used for `% shards`) are well distributed.
constexpr uint64_t StableHash(std::string_view bytes) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (char c : bytes) {
    hash ^= static_cast<uint8_t>(c);
    hash *= 0x100000001b3ULL;
  }
  // splitmix64 finaliser.
  hash ^= hash >> 30;
  hash *= 0xbf58476d1ce4e5b9ULL;
  hash ^= hash >> 27;
  hash *= 0x94d049bb133111ebULL;
  hash ^= hash >> 31;
  return hash;
}

// Returns the home shard of a key (a bare JID or a domain, already
// normalised by the caller) among `shard_count` shards.
constexpr uint32_t HomeShard(std::string_view key, uint32_t shard_count) {
  return static_cast<uint32_t>(StableHash(key) % shard_count);
}

}  // namespace ringlet
