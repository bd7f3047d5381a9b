// make_synthetic_feed(): seeded synthetic marks, book tickers and aggregate trades.
#include <cctype>
#include <cmath>
#include <deque>
#include <stdexcept>

#include "core/symbol_table.hpp"
#include "tools/market_data/synthetic_walk.hpp"
#include "tools/sim/market_feed.hpp"

namespace exitbrain::sim {
namespace {

// 10^(floor(log10(price)) - 5) within [1e-8, 1], as a power of ten so it can be written
// with a fixed number of decimals.
int tick_decimals(double start_price) {
  const int magnitude = static_cast<int>(std::floor(std::log10(start_price)));
  const int decimals = 5 - magnitude;
  return decimals < 0 ? 0 : decimals > Decimal::kScale ? Decimal::kScale : decimals;
}

// SymbolTable's rule: 1..16 characters of [A-Za-z0-9_].
bool valid_symbol_name(std::string_view name) {
  if (name.empty() || name.size() > SymbolTable::kMaxSymbolLength) return false;
  for (const char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

std::int64_t pow10(int n) {
  std::int64_t v = 1;
  while (n-- > 0) v *= 10;
  return v;
}

class SyntheticFeed final : public MarketFeed {
 public:
  explicit SyntheticFeed(const SyntheticFeedOptions& o) : options_(o), now_(o.start_ms) {
    for (std::size_t i = 0; i < o.symbols.size(); ++i) {
      const auto& [raw_name, price] = o.symbols[i];
      if (!valid_symbol_name(raw_name)) {
        throw std::invalid_argument("synthetic feed: not a symbol name: \"" + raw_name + "\"");
      }
      if (!(price > 0) || !Decimal::from_double(price)) {
        throw std::invalid_argument("synthetic feed: " + raw_name +
                                    ": start price must be positive and finite");
      }
      std::string name = raw_name;
      for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      const int decimals = tick_decimals(price);
      symbols_.push_back(Symbol{.name = name,
                                .lower = lower_symbol(name),
                                .walk = SyntheticWalk(o.seed + i, price),
                                .extras = SplitMix64((o.seed + i) ^ 0xB00C'71C4'E5A6'7A11ull),
                                .decimals = decimals,
                                .tick = Decimal::from_units(pow10(Decimal::kScale - decimals))});
    }
  }

  std::optional<FeedMessage> next() override {
    if (queue_.empty()) fill_second();
    if (queue_.empty()) return std::nullopt;
    FeedMessage m = std::move(queue_.front());
    queue_.pop_front();
    ++stats_.delivered;
    return m;
  }

  std::vector<std::string> symbols() const override {
    std::vector<std::string> out;
    for (const Symbol& s : symbols_) out.push_back(s.name);
    return out;
  }

  FeedStats stats() const override { return stats_; }

 private:
  struct Symbol {
    std::string name;   // upper case
    std::string lower;  // stream prefix
    SyntheticWalk walk;
    SplitMix64 extras;  // quantities and trade sides: never touches the walk
    int decimals = 0;   // of the tick
    Price tick{};
    std::uint64_t update_id = 0;
    std::uint64_t trade_id = 0;
  };

  void fill_second() {
    if (symbols_.empty()) return;
    if (options_.end_ms != 0 && now_ >= options_.end_ms) return;
    const TimeMs t = now_;
    now_ += 1000;
    for (Symbol& s : symbols_) {
      const double raw = s.walk.step();
      const std::int64_t tick_units = s.tick.units();
      const std::int64_t units =
          Decimal::from_double(raw).value_or(s.tick).units() + tick_units / 2;
      Price mark = Decimal::from_units(units - units % tick_units);
      // Two ticks of room so the bid stays positive.
      if (mark.units() < 2 * tick_units) mark = Decimal::from_units(2 * tick_units);
      push(t, s, s.lower + "@markPrice@1s", mark_price_payload(s.name, t, mark, mark), mark);

      const Price bid = mark - s.tick, ask = mark + s.tick;
      if (options_.book_ticker) {
        const std::string payload =
            "{\"e\":\"bookTicker\",\"u\":" + std::to_string(++s.update_id) +
            ",\"E\":" + std::to_string(t) + ",\"T\":" + std::to_string(t) + ",\"s\":\"" + s.name +
            "\",\"b\":\"" + format_fixed(bid, s.decimals) + "\",\"B\":\"" + quantity(s) +
            "\",\"a\":\"" + format_fixed(ask, s.decimals) + "\",\"A\":\"" + quantity(s) + "\"}";
        push(t, s, s.lower + "@bookTicker", payload, std::nullopt);
      }
      if (options_.agg_trades) {
        const bool buyer_is_maker = s.extras.uniform() < 0.5;  // a sell hits the bid
        const std::string qty = quantity(s);
        const std::string id = std::to_string(++s.trade_id);
        const std::string payload =
            "{\"e\":\"aggTrade\",\"E\":" + std::to_string(t) + ",\"s\":\"" + s.name +
            "\",\"a\":" + id + ",\"p\":\"" + format_fixed(buyer_is_maker ? bid : ask, s.decimals) +
            "\",\"q\":\"" + qty + "\",\"nq\":\"" + qty + "\",\"f\":" + id + ",\"l\":" + id +
            ",\"T\":" + std::to_string(t) + ",\"m\":" + (buyer_is_maker ? "true" : "false") + "}";
        push(t, s, s.lower + "@aggTrade", payload, std::nullopt);
      }
    }
  }

  // 0.001 .. 5.000, three decimals.
  static std::string quantity(Symbol& s) {
    const auto thousandths = 1 + static_cast<std::int64_t>(s.extras.uniform() * 5000);
    return format_fixed(Decimal::from_units(thousandths * 100'000), 3);
  }

  void push(TimeMs t, const Symbol& s, std::string stream, std::string payload,
            std::optional<Price> mark) {
    FeedMessage m;
    m.time = t;
    m.symbol = s.name;
    m.stream = std::move(stream);
    m.payload = std::move(payload);
    m.is_mark = mark.has_value();
    m.mark = mark.value_or(Decimal{});
    queue_.push_back(std::move(m));
  }

  SyntheticFeedOptions options_;
  std::vector<Symbol> symbols_;
  TimeMs now_;
  std::deque<FeedMessage> queue_;
  FeedStats stats_;
};

}  // namespace

std::unique_ptr<MarketFeed> make_synthetic_feed(const SyntheticFeedOptions& o) {
  return std::make_unique<SyntheticFeed>(o);
}

}  // namespace exitbrain::sim
