#pragma once
// The live tables of the config file, read by `exitbrain run`:
//   [exchange] rest_url, ws_market_url, ws_public_url, ws_private_url, api_key_env,
//              api_secret_env, api_key_file, api_secret_file, ca_file, recv_window_ms,
//              timeout_ms
//   [symbols]  list = ["BTCUSDT", ...]          (per-symbol tables as for replay)
//   [threads]  md_cpu, state_cpu, decide_cpu, orders_cpu, user_cpu, wait,
//              <stage>_wait, fused
//   [run]      mode, foreign_positions, stale_after_ms, hard_stop, hard_stop_buffer,
//              hard_stop_min_move, hard_stop_min_interval_ms, shutdown_grace_ms,
//              mark_stream, kline_stream, state_dir, journal_*, max_conditional_orders,
//              daily_loss_limit, max_consecutive_errors, flatten_on_limit
//   [ops]      listen, max_clock_offset_ms
// Secrets never come from this file: only the names of the variables (or 0600 files)
// that hold them.
#include <cstdint>
#include <string>
#include <vector>

#include "core/wait_strategy.hpp"
#include "strategies/hard_stop_manager.hpp"

namespace exitbrain {

struct ExchangeSettings {
  std::string rest_url = "https://fapi.binance.com";
  std::string ws_market_url = "wss://fstream.binance.com/market";
  std::string ws_public_url = "wss://fstream.binance.com/public";
  std::string ws_private_url = "wss://fstream.binance.com/private";
  std::string api_key_env = "BINANCE_API_KEY";
  std::string api_secret_env = "BINANCE_API_SECRET";
  std::string api_key_file;     // used when the variable is unset; must be 0600
  std::string api_secret_file;  // idem
  std::string ca_file;          // empty: the system CA store
  std::int64_t recv_window_ms = 5000;
  std::int64_t timeout_ms = 5000;
};

// The pipeline threads of DESIGN.md §2.
enum class Stage : std::uint8_t { kMd, kState, kDecide, kOrders, kUser };
inline constexpr int kStageCount = 5;
const char* to_string(Stage s) noexcept;

struct ThreadSettings {
  int cpu[kStageCount] = {-1, -1, -1, -1, -1};  // -1: not pinned
  WaitStrategy wait[kStageCount] = {WaitStrategy::kBlock, WaitStrategy::kBlock,
                                    WaitStrategy::kBlock, WaitStrategy::kBlock,
                                    WaitStrategy::kBlock};
  bool fused = false;  // state and decide on one thread
};

// What to do with a position on a managed symbol that exitbrain did not open.
enum class ForeignPolicy : std::uint8_t { kAdopt, kIgnore, kAlert };
const char* to_string(ForeignPolicy p) noexcept;

// live: exitbrain trades. shadow: it reads the real account and market, decides and
// journals everything, and sends no order at all (no exit, no hard stop, no entry): it
// says what it would have done (README "Shadow mode").
enum class RunMode : std::uint8_t { kLive, kShadow };
const char* to_string(RunMode m) noexcept;

struct RunSettings {
  RunMode mode = RunMode::kLive;
  ForeignPolicy foreign_positions = ForeignPolicy::kAdopt;
  std::int64_t stale_after_ms = 10'000;
  bool hard_stop = true;
  HardStopPolicy hard_stop_policy{};
  // The account's open conditional-order limit (Binance: 200), shared by our hard stops and
  // every other algo order on the account; when it is short, the stops go to the positions
  // that need them most (README "Hard stops and the 200-order limit").
  std::int64_t max_conditional_orders = 200;
  std::int64_t shutdown_grace_ms = 5'000;
  std::string mark_stream = "markPrice@1s";  // or "markPrice" (3 s)
  bool kline_stream = true;                  // <symbol>@kline_1m for exchange candles
  // The state journal (README "The state directory"): a relative path is taken from the
  // config file's directory.
  std::string state_dir = "state";
  std::string journal_sync = "interval";  // off | interval | every_batch
  std::int64_t journal_sync_interval_ms = 1000;
  std::int64_t snapshot_interval_s = 60;
  std::int64_t journal_retention_h = 24;  // kept for `exitbrain replay --journal`
  // The automatic kill switch (README "Operating exitbrain"): entries halt once the
  // realised loss of the UTC day reaches daily_loss_limit (quote asset, before fees; 0:
  // no limit), or after max_consecutive_errors order answers in a row were errors (0: no
  // limit); with flatten_on_limit every open position is exited as well.
  double daily_loss_limit = 0;
  std::int64_t max_consecutive_errors = 10;
  bool flatten_on_limit = false;
};

// The operations endpoint: /metrics and /health over HTTP on a loopback address
// ("" turns it off). The control socket needs no setting: it is <state_dir>/control.sock.
struct OpsSettings {
  std::string listen = "127.0.0.1:9464";
  // /health is degraded beyond this offset between the server's clock and ours.
  std::int64_t max_clock_offset_ms = 1000;
};

struct LiveConfig {
  ExchangeSettings exchange;
  std::vector<std::string> symbols;  // [symbols] list
  ThreadSettings threads;
  RunSettings run;
  OpsSettings ops;
};

}  // namespace exitbrain
