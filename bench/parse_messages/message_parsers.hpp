#pragma once
// The parsers the benchmark compares, behind one interface:
//   explicit P(SymbolTable&);  bool extract(const std::string& frame, MarketEvent& out);
// `frame` is a combined-stream message with simdjson's padding readable past its end.
// Each does the whole job: parse, find "data", read and convert the fields.
#include <memory>
#include <string>

#include "core/events.hpp"
#include "core/symbol_table.hpp"
#include "net/binance_message_parser.hpp"

namespace exitbrain::bench {

// exitbrain's own parser, as it runs (kFastPaths: the markPriceUpdate, bookTicker and aggTrade fast
// paths, simdjson On-Demand for the rest and for any message not in Binance's exact layouts), or
// with its fast paths off (simdjson On-Demand for every message, reading only the fields it needs).
template <bool kFastPaths>
class OwnMessageParser {
 public:
  // `intern`: add unknown symbols (for the reference pass that fills the table).
  explicit OwnMessageParser(SymbolTable& symbols, bool intern = false) : parser_(symbols, intern) {
    parser_.set_fast_paths(kFastPaths);
  }
  bool extract(const std::string& frame, MarketEvent& out) {
    bool got = false;
    const ParseStatus s =
        parser_.parse(frame.data(), frame.size(), frame.capacity(), [&](const MarketEvent& ev) {
          out = ev;
          got = true;
        });
    return s == ParseStatus::kOk && got;
  }
  static constexpr const char* kName = kFastPaths ? "exitbrain" : "simdjson_ondemand";

 private:
  BinanceMessageParser parser_;
};
using ExitbrainMessageParser = OwnMessageParser<true>;
using SimdjsonMessageParser = OwnMessageParser<false>;

// RapidJSON: a full DOM in pool allocators over fixed buffers (its fastest documented use).
class RapidJsonMessageParser {
 public:
  explicit RapidJsonMessageParser(SymbolTable& symbols) : symbols_(symbols) {}
  bool extract(const std::string& frame, MarketEvent& out);
  static constexpr const char* kName = "rapidjson_dom";

 private:
  SymbolTable& symbols_;
  alignas(16) char values_[64 * 1024];
  alignas(16) char stack_[16 * 1024];
};

// nlohmann::json: json::parse into its tree, as most C++ code does.
class NlohmannMessageParser {
 public:
  explicit NlohmannMessageParser(SymbolTable& symbols) : symbols_(symbols) {}
  bool extract(const std::string& frame, MarketEvent& out);
  static constexpr const char* kName = "nlohmann_json";

 private:
  SymbolTable& symbols_;
};

// Boost.JSON: its parser kept across messages, the tree in a fixed monotonic buffer.
class BoostJsonMessageParser {
 public:
  explicit BoostJsonMessageParser(SymbolTable& symbols);
  ~BoostJsonMessageParser();
  bool extract(const std::string& frame, MarketEvent& out);
  static constexpr const char* kName = "boost_json";

 private:
  struct State;  // Boost.JSON's types stay in its one source file
  SymbolTable& symbols_;
  std::unique_ptr<State> state_;
};

}  // namespace exitbrain::bench
