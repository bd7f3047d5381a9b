#pragma once
// Shared by the SimExchange translation units: the request context and exact decimal
// arithmetic (products and weighted averages in 128 bits, rounded half away from zero).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/decimal.hpp"
#include "tools/sim/sim_exchange.hpp"
#include "tools/sim/sim_json.hpp"
#include "tools/sim/sim_params.hpp"

namespace exitbrain::sim {

struct SimExchange::Ctx {
  Ctx(const HttpRequestView& r, TimeMs now_ms, TimeMs skew)
      : req(r), params(Params::parse(r.query, r.body)), now(now_ms), server(now_ms + skew) {}
  const HttpRequestView& req;
  Params params;
  TimeMs now = 0;               // caller's clock
  TimeMs server = 0;            // now + clock skew
  bool order_endpoint = false;  // carries X-MBX-ORDER-COUNT-*
  bool logged = false;          // appears in orders_json()
  bool retry_after = false;     // a 429 answer
  // What the handler did, for orders_json().
  std::string outcome = "REJECTED";
  Decimal executed{};
  std::int64_t id_value = 0;
  std::string_view id_key;  // "order_id" / "algo_id" / empty
};

namespace detail {

__extension__ typedef __int128 i128;

inline constexpr i128 kInt64Max = INT64_MAX;

// (num / den) rounded half away from zero; den > 0.
inline i128 div_round(i128 num, i128 den) noexcept {
  const i128 q = num / den, r = num % den;
  if (2 * (r < 0 ? -r : r) >= den) return num < 0 ? q - 1 : q + 1;
  return q;
}

// a × b on the 8-decimal grid; nullopt when the result does not fit.
inline std::optional<Decimal> mul(Decimal a, Decimal b) noexcept {
  i128 p = 0;
  if (__builtin_mul_overflow(static_cast<i128>(a.units()), static_cast<i128>(b.units()), &p))
    return std::nullopt;
  const i128 r = div_round(p, Decimal::kOne);
  if (r > kInt64Max || r < -kInt64Max) return std::nullopt;
  return Decimal::from_units(static_cast<std::int64_t>(r));
}

// a × b, clamped to the representable range (for display values only).
inline Decimal mul_sat(Decimal a, Decimal b) noexcept {
  if (auto r = mul(a, b)) return *r;
  const bool negative = (a.units() < 0) != (b.units() < 0);
  return Decimal::from_units(negative ? -INT64_MAX : INT64_MAX);
}

// (q1·p1 + q2·p2) / (q1 + q2) for non-negative quantities, q1 + q2 > 0.
inline Decimal weighted_price(Decimal q1, Decimal p1, Decimal q2, Decimal p2) noexcept {
  i128 a = 0, b = 0, sum = 0;
  const i128 den = static_cast<i128>(q1.units()) + q2.units();
  if (den <= 0) return p2;
  if (!__builtin_mul_overflow(static_cast<i128>(q1.units()), static_cast<i128>(p1.units()), &a) &&
      !__builtin_mul_overflow(static_cast<i128>(q2.units()), static_cast<i128>(p2.units()), &b) &&
      !__builtin_add_overflow(a, b, &sum)) {
    const i128 r = div_round(sum, den);
    if (r <= kInt64Max && r >= -kInt64Max) return Decimal::from_units(static_cast<std::int64_t>(r));
  }
  // Out of 128-bit range: only with absurd inputs; a double average is good enough there.
  const long double v = (static_cast<long double>(q1.units()) * p1.units() +
                         static_cast<long double>(q2.units()) * p2.units()) /
                        static_cast<long double>(den);
  if (!(v < 9.0e18L && v > -9.0e18L)) return p2;
  return Decimal::from_units(static_cast<std::int64_t>(v));
}

inline Decimal abs(Decimal d) noexcept {
  return d.is_negative() ? -d : d;
}

inline std::string_view ps_name(int ps) noexcept {
  return ps == 1 ? "LONG" : ps == 2 ? "SHORT" : "BOTH";
}

}  // namespace detail
}  // namespace exitbrain::sim
