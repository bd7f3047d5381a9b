#include "net/order_format.hpp"

#include <charconv>

#include "net/hmac_signer.hpp"

namespace exitbrain {
namespace {

// Base 36 keeps a 64-bit key within 13 characters: "xbx-" + 13 + "-" + 10 digits = 28 <= 36.
std::size_t base36(std::uint64_t v, char* out) noexcept {
  static constexpr char kDigits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  char tmp[16];
  std::size_t n = 0;
  do {
    tmp[n++] = kDigits[v % 36];
    v /= 36;
  } while (v != 0);
  for (std::size_t i = 0; i < n; ++i) out[i] = tmp[n - 1 - i];
  return n;
}

std::string_view order_side(Side position_side) noexcept {
  return position_side == Side::kLong ? "SELL" : "BUY";
}

void write_mode(QueryWriter& q, Side position_side, PositionMode mode) noexcept {
  if (mode == PositionMode::kHedge)
    q.add("positionSide", position_side == Side::kLong ? "LONG" : "SHORT");
}

}  // namespace

ClientId ClientId::make(char kind, std::uint64_t key, std::uint32_t seq) noexcept {
  ClientId id;
  char* p = id.chars_.data();
  *p++ = 'x';
  *p++ = 'b';
  *p++ = kind;
  *p++ = '-';
  p += base36(key, p);
  *p++ = '-';
  p = std::to_chars(p, id.chars_.data() + id.chars_.size(), seq).ptr;
  id.len_ = static_cast<std::uint8_t>(p - id.chars_.data());
  return id;
}

ClientId ClientId::for_exit(std::uint64_t position_key, std::uint32_t exit_seq) noexcept {
  return make('x', position_key, exit_seq);
}

ClientId ClientId::for_hard_stop(std::uint64_t position_key, std::uint32_t stop_seq) noexcept {
  return make('s', position_key, stop_seq);
}

ClientId ClientId::for_entry(std::int64_t intent_ms, std::uint64_t intent_seq) noexcept {
  // A stream id's sequence passes 2^32 only with 4 billion entries in one millisecond.
  return make('n', static_cast<std::uint64_t>(intent_ms), static_cast<std::uint32_t>(intent_seq));
}

std::optional<ClientIdParts> parse_client_id(std::string_view id) noexcept {
  if (!is_exitbrain_client_id(id) || id[2] == 'n') return std::nullopt;
  ClientIdParts parts;
  parts.hard_stop = id[2] == 's';
  id.remove_prefix(4);
  const auto dash = id.find('-');
  if (dash == 0 || dash == std::string_view::npos || dash > 13) return std::nullopt;
  for (char c : id.substr(0, dash)) {
    const int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'z' ? c - 'a' + 10 : -1;
    if (digit < 0) return std::nullopt;
    const auto d = static_cast<std::uint64_t>(digit);
    if (parts.position_key > (UINT64_MAX - d) / 36) return std::nullopt;
    parts.position_key = parts.position_key * 36 + d;
  }
  const std::string_view seq = id.substr(dash + 1);
  const auto r = std::from_chars(seq.data(), seq.data() + seq.size(), parts.seq);
  if (seq.empty() || r.ec != std::errc() || r.ptr != seq.data() + seq.size()) return std::nullopt;
  return parts;
}

bool is_exitbrain_client_id(std::string_view id) noexcept {
  return id.size() > 4 && id[0] == 'x' && id[1] == 'b' &&
         (id[2] == 'x' || id[2] == 's' || id[2] == 'n') && id[3] == '-';
}

void QueryWriter::append(std::string_view s) noexcept {
  if (overflow_ || len_ + s.size() > buf_.size()) {
    overflow_ = true;
    return;
  }
  for (char c : s) buf_[len_++] = c;
}

QueryWriter& QueryWriter::add(std::string_view key, std::string_view value) noexcept {
  if (len_ > 0) append("&");
  append(key);
  append("=");
  append(value);
  return *this;
}

QueryWriter& QueryWriter::add(std::string_view key, Decimal value) noexcept {
  char tmp[kMaxDecimalChars];
  return add(key, std::string_view(tmp, format_decimal(value, tmp)));
}

QueryWriter& QueryWriter::add(std::string_view key, std::int64_t value) noexcept {
  char tmp[24];
  const auto r = std::to_chars(tmp, tmp + sizeof tmp, value);
  return add(key, std::string_view(tmp, static_cast<std::size_t>(r.ptr - tmp)));
}

QueryWriter& QueryWriter::sign(const HmacSha256Signer& signer) noexcept {
  char hex[HmacSha256Signer::kHexLength];
  signer.sign(view(), hex);
  return add("signature", std::string_view(hex, sizeof hex));
}

void write_exit_order(QueryWriter& q, std::string_view symbol, Side position_side, Qty qty,
                      const ClientId& id, PositionMode mode, const RequestTiming& timing) noexcept {
  q.add("symbol", symbol).add("side", order_side(position_side));
  write_mode(q, position_side, mode);
  q.add("type", "MARKET").add("quantity", qty);
  // reduceOnly is refused in hedge mode (-1106); there positionSide already says it reduces.
  if (mode == PositionMode::kOneWay) q.add("reduceOnly", "true");
  q.add("newClientOrderId", id.view()).add("newOrderRespType", "RESULT");
  q.add("recvWindow", timing.recv_window).add("timestamp", timing.timestamp);
}

void write_entry_order(QueryWriter& q, std::string_view symbol, Side position_side, Qty qty,
                       const ClientId& id, PositionMode mode,
                       const RequestTiming& timing) noexcept {
  q.add("symbol", symbol).add("side", position_side == Side::kLong ? "BUY" : "SELL");
  write_mode(q, position_side, mode);
  q.add("type", "MARKET").add("quantity", qty);
  q.add("newClientOrderId", id.view()).add("newOrderRespType", "RESULT");
  q.add("recvWindow", timing.recv_window).add("timestamp", timing.timestamp);
}

void write_hard_stop(QueryWriter& q, std::string_view symbol, Side position_side, Price trigger,
                     const ClientId& id, PositionMode mode, const RequestTiming& timing) noexcept {
  q.add("algoType", "CONDITIONAL").add("symbol", symbol).add("side", order_side(position_side));
  write_mode(q, position_side, mode);
  // closePosition closes whatever is left when it fires; it must not carry quantity or
  // reduceOnly (-1106), and mark price keeps it from firing on a last-trade wick.
  q.add("type", "STOP_MARKET").add("triggerPrice", trigger).add("workingType", "MARK_PRICE");
  q.add("closePosition", "true").add("clientAlgoId", id.view());
  q.add("recvWindow", timing.recv_window).add("timestamp", timing.timestamp);
}

}  // namespace exitbrain
