#include "bench/e2e/recorded_frames.hpp"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "net/binance_message_parser.hpp"
#include "tools/market_data/market_reader.hpp"

namespace exitbrain::bench {

namespace {

std::string padded(std::string_view json) {
  std::string s;
  s.reserve(padded_capacity(json.size()));
  s.assign(json);
  return s;
}

}  // namespace

FrameSet load_recorded_frames(const std::vector<std::string>& paths) {
  FrameSet out;
  std::vector<std::unique_ptr<GzLineReader>> readers;
  for (const std::string& p : paths) {
    readers.push_back(std::make_unique<GzLineReader>(p));
    out.sources.push_back(p);
  }
  std::vector<bool> done(readers.size(), false);
  std::size_t open = readers.size();
  while (open > 0) {
    for (std::size_t i = 0; i < readers.size(); ++i) {
      if (done[i]) continue;
      std::string_view line;
      if (!readers[i]->next(line)) {
        done[i] = true;
        --open;
        continue;
      }
      const CaptureLine c = classify_capture_line(line);
      if (c.kind != CaptureLineKind::kJson) {
        if (c.kind == CaptureLineKind::kRestSnapshot) ++out.dropped;
        continue;
      }
      if (!c.json.starts_with(R"({"stream":)") || c.json.find("@depth") != std::string_view::npos) {
        ++out.dropped;
        continue;
      }
      out.frames.push_back(padded(c.json));
    }
  }
  return out;
}

FrameSet load_stream_frames(const std::vector<std::string>& paths, std::string_view stream) {
  FrameSet out;
  for (const std::string& p : paths) {
    GzLineReader reader(p);
    out.sources.push_back(p);
    std::string_view line;
    while (reader.next(line)) {
      const CaptureLine c = classify_capture_line(line);
      if (c.kind != CaptureLineKind::kJson) continue;
      const std::size_t at = c.json.find(R"("stream":")");
      const std::size_t end = at == std::string_view::npos ? at : c.json.find('"', at + 10);
      if (end == std::string_view::npos ||
          c.json.substr(at + 10, end - at - 10).find(stream) == std::string_view::npos) {
        ++out.dropped;
        continue;
      }
      out.frames.push_back(padded(c.json));
    }
  }
  return out;
}

FrameSet synthetic_frames(std::size_t n) {
  FrameSet out;
  out.sources.push_back("synthetic");
  out.frames.reserve(n);
  const long long t0 = 1'771'000'000'000LL;
  double btc = 65000, eth = 3400;
  char buf[640];
  for (std::size_t i = 0; out.frames.size() < n; ++i) {
    const long long t = t0 + static_cast<long long>(i) * 100;
    const double x = static_cast<double>(i);
    btc *= 1.0 + 0.00004 * std::sin(x / 37.0) + 0.00001 * std::cos(x / 5.0);
    eth *= 1.0 + 0.00005 * std::sin(x / 53.0);
    std::snprintf(
        buf, sizeof buf,
        R"({"stream":"btcusdt@aggTrade","data":{"e":"aggTrade","E":%lld,"s":"BTCUSDT","a":%zu,"p":"%.1f","q":"0.015","f":1,"l":2,"T":%lld,"m":true}})",
        t, i, btc, t);
    out.frames.push_back(padded(buf));
    std::snprintf(
        buf, sizeof buf,
        R"({"stream":"ethusdt@aggTrade","data":{"e":"aggTrade","E":%lld,"s":"ETHUSDT","a":%zu,"p":"%.2f","q":"1.5","f":1,"l":2,"T":%lld,"m":false}})",
        t, i, eth, t);
    out.frames.push_back(padded(buf));
    if (i % 10 == 9) {
      std::snprintf(
          buf, sizeof buf,
          R"({"stream":"btcusdt@markPrice@1s","data":{"e":"markPriceUpdate","E":%lld,"s":"BTCUSDT","p":"%.2f","i":"%.2f","P":"%.2f","r":"0.00010000","T":%lld}})",
          t, btc, btc, btc, t + 3'600'000);
      out.frames.push_back(padded(buf));
    }
    if (i % 600 == 599) {
      std::snprintf(
          buf, sizeof buf,
          R"({"stream":"btcusdt@kline_1m","data":{"e":"kline","E":%lld,"s":"BTCUSDT","k":{"t":%lld,"T":%lld,"s":"BTCUSDT","i":"1m","f":1,"L":2,"o":"%.1f","c":"%.1f","h":"%.1f","l":"%.1f","v":"10","n":5,"x":true,"q":"1","V":"1","Q":"1","B":"0"}}})",
          t, t - 59'900, t + 99, btc, btc, btc * 1.0005, btc * 0.9995);
      out.frames.push_back(padded(buf));
    }
  }
  out.frames.resize(n);
  return out;
}

std::vector<std::string> default_capture_paths(const std::string& data_dir) {
  std::vector<std::string> out;
  for (const char* name : {"ws/usdm/btcusdt_20240808.gz", "ws/usdm/ethusdt_20240808.gz"}) {
    const std::string p = data_dir + "/" + name;
    if (std::filesystem::exists(p)) out.push_back(p);
  }
  return out;
}

}  // namespace exitbrain::bench
