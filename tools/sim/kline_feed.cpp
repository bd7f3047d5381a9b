#include "tools/sim/kline_feed.hpp"

#include <exception>

#include "core/symbol_table.hpp"
#include "tools/market_data/market_reader.hpp"

namespace exitbrain::sim {
namespace {

class KlineCsvFeed final : public MarketFeed {
 public:
  explicit KlineCsvFeed(const std::vector<std::string>& paths) {
    for (const auto& p : paths) merger_.add(p, symbols_);
    for (std::size_t i = 0; i < merger_.size(); ++i) {
      const SymbolId s = merger_.reader(i).symbol();
      if (s != kNoSymbol) names_.emplace_back(symbols_.name(s));
    }
  }

  std::optional<FeedMessage> next() override {
    MarketEvent ev;
    while (merger_.next(ev)) {
      if (ev.kind != MarketEventKind::kSynthetic) continue;  // the closed-candle events
      FeedMessage m;
      m.time = ev.event_time;
      m.symbol = std::string(symbols_.name(ev.symbol));
      m.stream = lower_symbol(m.symbol) + "@markPrice@1s";
      m.is_mark = true;
      m.mark = ev.price;
      m.payload = mark_price_payload(m.symbol, m.time, ev.price, ev.price);
      return m;
    }
    return std::nullopt;
  }

  std::vector<std::string> symbols() const override { return names_; }

 private:
  SymbolTable symbols_;
  MarketMerger merger_;
  std::vector<std::string> names_;
};

}  // namespace

std::unique_ptr<MarketFeed> open_kline_csv_feed(const std::vector<std::string>& paths,
                                                std::string* error) {
  try {
    return std::make_unique<KlineCsvFeed>(paths);
  } catch (const std::exception& e) {
    if (error) *error = e.what();
    return nullptr;
  }
}

}  // namespace exitbrain::sim
