#include "tools/sim/market_feed.hpp"

#include <cctype>
#include <cstdlib>

namespace exitbrain::sim {

std::string_view route_of_stream(std::string_view stream) {
  std::string_view kind;
  if (stream.starts_with('!')) {
    kind = stream.substr(1);  // "!bookTicker", "!markPrice@arr@1s"
  } else if (const std::size_t at = stream.find('@'); at != std::string_view::npos) {
    kind = stream.substr(at + 1);  // "bookTicker", "depth5@100ms", "kline_1m"
  } else {
    return "/private";  // a listen key
  }
  kind = kind.substr(0, kind.find('@'));
  if (kind == "bookTicker" || kind.starts_with("depth")) return "/public";
  return "/market";
}

std::string wrap_combined(std::string_view stream, std::string_view payload) {
  std::string out;
  out.reserve(stream.size() + payload.size() + 22);
  out += "{\"stream\":\"";
  out += stream;
  out += "\",\"data\":";
  out += payload;
  out += '}';
  return out;
}

std::string lower_symbol(std::string_view symbol) {
  std::string out(symbol);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

TimeMs next_funding_time(TimeMs t) noexcept {
  constexpr TimeMs kFundingPeriodMs = 8 * 3600 * 1000;
  return (t / kFundingPeriodMs + 1) * kFundingPeriodMs;
}

std::string format_fixed(Decimal d, int decimals) {
  if (decimals < 0) decimals = 0;
  if (decimals > Decimal::kScale) decimals = Decimal::kScale;
  const std::int64_t units = d.units();
  // The magnitude as unsigned: -INT64_MIN does not fit in int64.
  const std::uint64_t magnitude = units < 0 ? std::uint64_t{0} - static_cast<std::uint64_t>(units)
                                            : static_cast<std::uint64_t>(units);
  const auto one = static_cast<std::uint64_t>(Decimal::kOne);
  std::string out = units < 0 ? "-" : "";
  out += std::to_string(magnitude / one);
  if (decimals > 0) {
    std::string fraction = std::to_string(magnitude % one);
    fraction.insert(0, static_cast<std::size_t>(Decimal::kScale) - fraction.size(), '0');
    out += '.';
    out.append(fraction, 0, static_cast<std::size_t>(decimals));
  }
  return out;
}

std::string mark_price_payload(std::string_view symbol, TimeMs time, Price mark, Price index,
                               std::string_view funding_rate) {
  const std::string p = format_fixed(mark, Decimal::kScale);
  std::string out;
  out.reserve(160);
  out += "{\"e\":\"markPriceUpdate\",\"E\":";
  out += std::to_string(time);
  out += ",\"s\":\"";
  out += symbol;
  out += "\",\"p\":\"";
  out += p;
  out += "\",\"i\":\"";
  out += format_fixed(index, Decimal::kScale);
  out += "\",\"P\":\"";
  out += p;
  out += "\",\"r\":\"";
  out += funding_rate;
  out += "\",\"T\":";
  out += std::to_string(next_funding_time(time));
  out += '}';
  return out;
}

}  // namespace exitbrain::sim
