#include "tools/settings/live_config.hpp"

#include <array>

#include "core/symbol_table.hpp"
#include "net/endpoint_url.hpp"
#include "net/loopback_address.hpp"
#include "tools/settings/toml_fields.hpp"

namespace exitbrain {
namespace {

constexpr std::array<const char*, kStageCount> kStageNames = {"md", "state", "decide", "orders",
                                                              "user"};

void read_url(const toml::table& t, const Where& w, const char* key, bool websocket,
              std::string& out) {
  auto s = get_string(t, w, key);
  if (!s) return;
  const EndpointUrlResult url = parse_endpoint_url(*s);
  if (!url.ok()) w.fail(key, url.error);
  const bool is_ws = url.url.scheme == UrlScheme::kWs || url.url.scheme == UrlScheme::kWss;
  if (is_ws != websocket)
    w.fail(key, websocket ? "must be a ws:// or wss:// URL" : "must be an http:// or https:// URL");
  out = *s;
}

void read_exchange(const toml::table& t, const Where& w, ExchangeSettings& e) {
  reject_unknown_keys(t, w,
                      {"rest_url", "ws_market_url", "ws_public_url", "ws_private_url",
                       "api_key_env", "api_secret_env", "api_key_file", "api_secret_file",
                       "ca_file", "recv_window_ms", "timeout_ms", "api_key", "api_secret"});
  if (t.contains("api_key") || t.contains("api_secret"))
    w.fail(t.contains("api_key") ? "api_key" : "api_secret",
           "secrets are never read from the config file: name an environment variable "
           "(api_key_env / api_secret_env) or a 0600 file (api_key_file / api_secret_file)");
  read_url(t, w, "rest_url", false, e.rest_url);
  read_url(t, w, "ws_market_url", true, e.ws_market_url);
  read_url(t, w, "ws_public_url", true, e.ws_public_url);
  read_url(t, w, "ws_private_url", true, e.ws_private_url);
  if (auto s = get_string(t, w, "api_key_env")) e.api_key_env = *s;
  if (auto s = get_string(t, w, "api_secret_env")) e.api_secret_env = *s;
  if (auto s = get_string(t, w, "api_key_file")) e.api_key_file = *s;
  if (auto s = get_string(t, w, "api_secret_file")) e.api_secret_file = *s;
  if (auto s = get_string(t, w, "ca_file")) e.ca_file = *s;
  e.recv_window_ms = get_int(t, w, "recv_window_ms", e.recv_window_ms);
  // binance-api.md §3.1: recvWindow may not exceed 60000.
  if (e.recv_window_ms < 1 || e.recv_window_ms > 60'000)
    w.fail("recv_window_ms", "must be in [1, 60000]");
  e.timeout_ms = get_int(t, w, "timeout_ms", e.timeout_ms);
  if (e.timeout_ms < 100 || e.timeout_ms > 60'000) w.fail("timeout_ms", "must be in [100, 60000]");
}

bool valid_symbol_name(const std::string& s) {
  if (s.empty() || s.size() > SymbolTable::kMaxSymbolLength) return false;
  for (char c : s)
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return false;
  return true;
}

void read_symbol_list(const toml::table& t, const Where& w, std::vector<std::string>& out) {
  const toml::node* n = t.get("list");
  if (!n) return;
  const toml::array* a = n->as_array();
  if (!a) w.fail("list", "must be an array of symbol names");
  for (const auto& item : *a) {
    auto s = item.value_exact<std::string>();
    if (!s || !valid_symbol_name(*s))
      w.fail("list", "each entry must be an upper-case symbol name such as \"BTCUSDT\"");
    for (const auto& seen : out)
      if (seen == *s) w.fail("list", "\"" + *s + "\" is listed twice");
    out.push_back(*s);
  }
}

void read_threads(const toml::table& t, const Where& w, ThreadSettings& th) {
  std::set<std::string> known = {"wait", "fused"};
  for (const char* stage : kStageNames) {
    known.insert(std::string(stage) + "_cpu");
    known.insert(std::string(stage) + "_wait");
  }
  reject_unknown_keys(t, w, known);
  auto read_wait = [&](const char* key, WaitStrategy current) {
    auto s = get_string(t, w, key);
    if (!s) return current;
    auto v = parse_wait_strategy(*s);
    if (!v) w.fail(key, "must be \"spin\", \"spin-yield\" or \"block\"");
    return *v;
  };
  const WaitStrategy all = read_wait("wait", th.wait[0]);
  for (int i = 0; i < kStageCount; ++i) {
    const std::string cpu_key = std::string(kStageNames[i]) + "_cpu";
    const std::string wait_key = std::string(kStageNames[i]) + "_wait";
    const std::int64_t cpu = get_int(t, w, cpu_key.c_str(), th.cpu[i]);
    if (cpu < -1 || cpu > 1023) w.fail(cpu_key, "must be a CPU number (or -1: not pinned)");
    th.cpu[i] = static_cast<int>(cpu);
    th.wait[i] = read_wait(wait_key.c_str(), all);
  }
  th.fused = get_bool(t, w, "fused", th.fused);
}

void read_run(const toml::table& t, const Where& w, RunSettings& r) {
  reject_unknown_keys(
      t, w,
      {"mode", "foreign_positions", "stale_after_ms", "hard_stop", "hard_stop_buffer",
       "hard_stop_min_move", "hard_stop_min_interval_ms", "shutdown_grace_ms", "mark_stream",
       "kline_stream", "state_dir", "journal_sync", "journal_sync_interval_ms",
       "snapshot_interval_s", "journal_retention_h", "max_conditional_orders", "daily_loss_limit",
       "max_consecutive_errors", "flatten_on_limit"});
  if (auto s = get_string(t, w, "mode")) {
    if (*s == "live")
      r.mode = RunMode::kLive;
    else if (*s == "shadow")
      r.mode = RunMode::kShadow;
    else
      w.fail("mode", "must be \"live\" or \"shadow\"");
  }
  if (auto s = get_string(t, w, "foreign_positions")) {
    if (*s == "adopt")
      r.foreign_positions = ForeignPolicy::kAdopt;
    else if (*s == "ignore")
      r.foreign_positions = ForeignPolicy::kIgnore;
    else if (*s == "alert")
      r.foreign_positions = ForeignPolicy::kAlert;
    else
      w.fail("foreign_positions", "must be \"adopt\", \"ignore\" or \"alert\"");
  }
  r.stale_after_ms = get_int(t, w, "stale_after_ms", r.stale_after_ms);
  if (r.stale_after_ms < 100 || r.stale_after_ms > 3'600'000)
    w.fail("stale_after_ms", "must be in [100, 3600000]");
  r.hard_stop = get_bool(t, w, "hard_stop", r.hard_stop);
  auto& hp = r.hard_stop_policy;
  hp.buffer = get_double(t, w, "hard_stop_buffer", hp.buffer);
  if (!(hp.buffer >= 0 && hp.buffer <= 0.2)) w.fail("hard_stop_buffer", "must be in [0, 0.2]");
  hp.min_move = get_double(t, w, "hard_stop_min_move", hp.min_move);
  if (!(hp.min_move >= 0 && hp.min_move <= 0.2))
    w.fail("hard_stop_min_move", "must be in [0, 0.2]");
  hp.min_interval_ms = get_int(t, w, "hard_stop_min_interval_ms", hp.min_interval_ms);
  if (hp.min_interval_ms < 0 || hp.min_interval_ms > 600'000)
    w.fail("hard_stop_min_interval_ms", "must be in [0, 600000]");
  r.max_conditional_orders = get_int(t, w, "max_conditional_orders", r.max_conditional_orders);
  if (r.max_conditional_orders < 1 || r.max_conditional_orders > 10'000)
    w.fail("max_conditional_orders", "must be in [1, 10000]");
  r.shutdown_grace_ms = get_int(t, w, "shutdown_grace_ms", r.shutdown_grace_ms);
  if (r.shutdown_grace_ms < 0 || r.shutdown_grace_ms > 600'000)
    w.fail("shutdown_grace_ms", "must be in [0, 600000]");
  if (auto s = get_string(t, w, "mark_stream")) {
    if (*s != "markPrice" && *s != "markPrice@1s")
      w.fail("mark_stream", "must be \"markPrice@1s\" or \"markPrice\"");
    r.mark_stream = *s;
  }
  r.kline_stream = get_bool(t, w, "kline_stream", r.kline_stream);
  if (auto s = get_string(t, w, "state_dir")) {
    if (s->empty()) w.fail("state_dir", "must not be empty");
    r.state_dir = *s;
  }
  if (auto s = get_string(t, w, "journal_sync")) {
    if (*s != "off" && *s != "interval" && *s != "every_batch")
      w.fail("journal_sync", "must be \"off\", \"interval\" or \"every_batch\"");
    r.journal_sync = *s;
  }
  r.journal_sync_interval_ms =
      get_int(t, w, "journal_sync_interval_ms", r.journal_sync_interval_ms);
  if (r.journal_sync_interval_ms < 1 || r.journal_sync_interval_ms > 60'000)
    w.fail("journal_sync_interval_ms", "must be in [1, 60000]");
  r.snapshot_interval_s = get_int(t, w, "snapshot_interval_s", r.snapshot_interval_s);
  if (r.snapshot_interval_s < 1 || r.snapshot_interval_s > 86'400)
    w.fail("snapshot_interval_s", "must be in [1, 86400]");
  r.journal_retention_h = get_int(t, w, "journal_retention_h", r.journal_retention_h);
  if (r.journal_retention_h < 0 || r.journal_retention_h > 24 * 90)
    w.fail("journal_retention_h", "must be in [0, 2160]");
  r.daily_loss_limit = get_double(t, w, "daily_loss_limit", r.daily_loss_limit);
  if (!(r.daily_loss_limit >= 0 && r.daily_loss_limit <= 1e12))
    w.fail("daily_loss_limit", "must be in [0, 1e12] (quote asset; 0: no limit)");
  r.max_consecutive_errors = get_int(t, w, "max_consecutive_errors", r.max_consecutive_errors);
  if (r.max_consecutive_errors < 0 || r.max_consecutive_errors > 1'000'000)
    w.fail("max_consecutive_errors", "must be in [0, 1000000] (0: no limit)");
  r.flatten_on_limit = get_bool(t, w, "flatten_on_limit", r.flatten_on_limit);
}

void read_ops(const toml::table& t, const Where& w, OpsSettings& o) {
  reject_unknown_keys(t, w, {"listen", "max_clock_offset_ms"});
  if (auto s = get_string(t, w, "listen")) {
    if (!s->empty()) {
      const LoopbackAddress a = parse_loopback_address(*s);
      if (!a.error.empty()) w.fail("listen", a.error + " (\"\" turns the endpoint off)");
    }
    o.listen = *s;
  }
  o.max_clock_offset_ms = get_int(t, w, "max_clock_offset_ms", o.max_clock_offset_ms);
  if (o.max_clock_offset_ms < 1 || o.max_clock_offset_ms > 600'000)
    w.fail("max_clock_offset_ms", "must be in [1, 600000]");
}

}  // namespace

const char* to_string(Stage s) noexcept {
  return kStageNames[static_cast<int>(s)];
}

const char* to_string(RunMode m) noexcept {
  return m == RunMode::kShadow ? "shadow" : "live";
}

const char* to_string(ForeignPolicy p) noexcept {
  switch (p) {
    case ForeignPolicy::kAdopt:
      return "adopt";
    case ForeignPolicy::kIgnore:
      return "ignore";
    case ForeignPolicy::kAlert:
      return "alert";
  }
  return "?";
}

void read_live_tables(const toml::table& root, const std::string& source, LiveConfig& out) {
  auto table = [&](const char* name) -> const toml::table* {
    const toml::node* n = root.get(name);
    if (!n) return nullptr;
    if (!n->as_table()) Where{source, "(top level)"}.fail(name, "must be a table");
    return n->as_table();
  };
  if (auto* t = table("exchange")) read_exchange(*t, Where{source, "exchange"}, out.exchange);
  if (auto* t = table("symbols")) read_symbol_list(*t, Where{source, "symbols"}, out.symbols);
  if (auto* t = table("threads")) read_threads(*t, Where{source, "threads"}, out.threads);
  if (auto* t = table("run")) read_run(*t, Where{source, "run"}, out.run);
  if (auto* t = table("ops")) read_ops(*t, Where{source, "ops"}, out.ops);
}

}  // namespace exitbrain
