#pragma once
// The exact bytes of exitbrain's orders (binance-api.md §2.3, §2.4, §3). Written into a
// fixed buffer: no allocation, no formatting library, nothing that throws.
//
// Rules that the seeds' system broke and that are encoded here once:
//  - exits are MARKET and reduce-only: `reduceOnly=true` in one-way mode only; in hedge mode
//    `positionSide` says which position is reduced (-1106 / -4061 otherwise);
//  - the hard stop goes to /fapi/v1/algoOrder (STOP_MARKET moved there on 2025-12-09,
//    -4120 on the old endpoint) with closePosition=true, never with reduceOnly;
//  - client ids are deterministic, so a resend after a timeout reuses the same id and the
//    exchange answers -4116 (duplicate) instead of filling twice.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "core/decimal.hpp"
#include "core/types.hpp"

namespace exitbrain {

class HmacSha256Signer;

enum class PositionMode : std::uint8_t { kOneWay, kHedge };

// `^[\.A-Z\:/a-z0-9_-]{1,36}$` (newClientOrderId and clientAlgoId).
class ClientId {
 public:
  static constexpr std::size_t kMaxLength = 36;
  std::string_view view() const noexcept { return {chars_.data(), len_}; }

  // Exit `exit_seq` of the position identified by `position_key`: "xbx-<key>-<seq>".
  static ClientId for_exit(std::uint64_t position_key, std::uint32_t exit_seq) noexcept;
  // Hard stop number `stop_seq` of the position: "xbs-<key>-<seq>".
  static ClientId for_hard_stop(std::uint64_t position_key, std::uint32_t stop_seq) noexcept;
  // The entry of the trade intent with stream id <ms>-<seq>: "xbn-<ms>-<seq>". The same
  // intent always gives the same id, so its order can be looked up after any failure.
  static ClientId for_entry(std::int64_t intent_ms, std::uint64_t intent_seq) noexcept;

 private:
  static ClientId make(char kind, std::uint64_t key, std::uint32_t seq) noexcept;
  std::array<char, kMaxLength> chars_{};
  std::uint8_t len_ = 0;
};

// Orders whose client id carries our prefix (exits, hard stops, entries); anything else on a
// managed symbol is foreign.
bool is_exitbrain_client_id(std::string_view id) noexcept;

// The parts of one of our client ids, read back from an answer or a user-data event.
struct ClientIdParts {
  bool hard_stop = false;  // "xbs-" (else an exit, "xbx-"); entries ("xbn-") do not parse
  std::uint64_t position_key = 0;
  std::uint32_t seq = 0;
};
std::optional<ClientIdParts> parse_client_id(std::string_view id) noexcept;

// A query string built in place. Overflow is sticky and reported, never truncated silently.
class QueryWriter {
 public:
  static constexpr std::size_t kCapacity = 768;
  QueryWriter& add(std::string_view key, std::string_view value) noexcept;
  QueryWriter& add(std::string_view key, Decimal value) noexcept;
  QueryWriter& add(std::string_view key, std::int64_t value) noexcept;
  // Appends "&signature=<hex>" over everything written so far (it must come last).
  QueryWriter& sign(const HmacSha256Signer& signer) noexcept;
  bool ok() const noexcept { return !overflow_; }
  std::string_view view() const noexcept { return {buf_.data(), len_}; }
  void clear() noexcept {
    len_ = 0;
    overflow_ = false;
  }

 private:
  void append(std::string_view s) noexcept;
  std::array<char, kCapacity> buf_{};
  std::size_t len_ = 0;
  bool overflow_ = false;
};

struct RequestTiming {
  TimeMs timestamp = 0;  // local clock + the server-time offset
  std::int64_t recv_window = 5000;
};

// POST /fapi/v1/order: close `qty` of a position (the order side is the opposite).
void write_exit_order(QueryWriter& q, std::string_view symbol, Side position_side, Qty qty,
                      const ClientId& id, PositionMode mode, const RequestTiming& timing) noexcept;

// POST /fapi/v1/order: the MARKET entry of an executed trade intent (opens `position_side`).
void write_entry_order(QueryWriter& q, std::string_view symbol, Side position_side, Qty qty,
                       const ClientId& id, PositionMode mode, const RequestTiming& timing) noexcept;

// POST /fapi/v1/algoOrder: the exchange-resident stop behind the engine's stop.
void write_hard_stop(QueryWriter& q, std::string_view symbol, Side position_side, Price trigger,
                     const ClientId& id, PositionMode mode, const RequestTiming& timing) noexcept;

}  // namespace exitbrain
