#include "tools/state/journal_format.hpp"

#include <zlib.h>

#include <cstring>

#include "core/byte_codec.hpp"

namespace exitbrain {

std::uint64_t fingerprint(std::span<const std::uint8_t> bytes, std::uint64_t seed) {
  std::uint64_t h = 0xcbf29ce484222325ull ^ seed;
  for (const std::uint8_t b : bytes) {
    h ^= b;
    h *= 0x100000001b3ull;
  }
  return h;
}

std::uint64_t fingerprint(std::string_view text, std::uint64_t seed) {
  return fingerprint({reinterpret_cast<const std::uint8_t*>(text.data()), text.size()}, seed);
}

std::uint32_t record_crc(std::uint64_t seq, std::uint16_t kind,
                         std::span<const std::uint8_t> payload) {
  std::uint8_t head[10];
  std::memcpy(head, &seq, 8);
  std::memcpy(head + 8, &kind, 2);
  uLong c = crc32(0L, Z_NULL, 0);
  c = crc32(c, head, sizeof head);
  // Not for an empty payload: crc32() of a null buffer is its initial value (0), not `c`, so
  // an empty span's checksum would depend on whether it points anywhere (the writer's from
  // an empty vector does not, the reader's into the file does): a record the reader refuses.
  if (!payload.empty()) c = crc32(c, payload.data(), static_cast<uInt>(payload.size()));
  return static_cast<std::uint32_t>(c);
}

void append_identity(std::vector<std::uint8_t>& out, std::uint32_t magic,
                     const JournalIdentity& id) {
  ByteWriter w(out);
  w.put(magic).put(id.format).put(id.account).put(id.config).put_bytes(id.version);
}

std::optional<std::size_t> read_identity(std::span<const std::uint8_t> in, std::uint32_t magic,
                                         JournalIdentity& id) {
  ByteReader r(in);
  std::uint32_t m = 0;
  if (!r.get(m) || m != magic || !r.get(id.format) || !r.get(id.account) || !r.get(id.config) ||
      !r.get_bytes(id.version, 256))
    return std::nullopt;
  return r.position();
}

std::string identity_mismatch(const JournalIdentity& found, const JournalIdentity& expected) {
  if (found.format != expected.format)
    return "format " + std::to_string(found.format) + " (written by exitbrain " + found.version +
           "), this exitbrain reads format " + std::to_string(expected.format);
  if (expected.account != 0 && found.account != expected.account)
    return "another account (its API key differs from this run's)";
  if (found.config != expected.config)
    return "another config (symbols or profiles differ from this run's)";
  return {};
}

void append_record(std::vector<std::uint8_t>& out, std::uint64_t seq, std::uint16_t kind,
                   std::span<const std::uint8_t> payload) {
  ByteWriter w(out);
  w.put(static_cast<std::uint32_t>(payload.size())).put(record_crc(seq, kind, payload));
  w.put(seq).put(kind);
  out.insert(out.end(), payload.begin(), payload.end());
}

}  // namespace exitbrain
