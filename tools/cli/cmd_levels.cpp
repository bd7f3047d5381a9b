// exitbrain levels: adaptive leverage and dynamic TP/SL for one trade intent, as one
// line of JSON (strategies/adaptive_levels.hpp has the formulas).
#include <array>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

#include "core/decimal.hpp"
#include "strategies/adaptive_levels.hpp"
#include "tools/cli/commands.hpp"
#include "tools/common/number_text.hpp"

namespace exitbrain::cli {
namespace {

// Numbers arrive as text so that every bad value gets our "--flag: why, got X" message
// instead of a generic parser error.
struct LevelsArgs {
  std::string side;
  std::string entry;
  std::string confidence;
  std::string volatility_factor;
  std::string regime = "UNKNOWN";
  std::string funding_rate;
  std::string exchange_divergence;
  std::string stop_loss;
  std::string mmr;
  std::string maint_amount;
  std::string notional;
  std::string liquidation_buffer;
};

// Which option carries which input field, so library errors name what the user typed.
struct FieldFlag {
  std::string_view field;
  const char* flag;
  const std::string LevelsArgs::*text;
};
constexpr std::array<FieldFlag, 11> kFieldFlags = {{
    {"side", "--side", &LevelsArgs::side},
    {"entry_price", "--entry", &LevelsArgs::entry},
    {"confidence", "--confidence", &LevelsArgs::confidence},
    {"volatility_factor", "--volatility-factor", &LevelsArgs::volatility_factor},
    {"funding_rate", "--funding-rate", &LevelsArgs::funding_rate},
    {"exchange_divergence", "--exchange-divergence", &LevelsArgs::exchange_divergence},
    {"stop_loss", "--stop-loss", &LevelsArgs::stop_loss},
    {"maint_margin_rate", "--mmr", &LevelsArgs::mmr},
    {"maint_amount", "--maint-amount", &LevelsArgs::maint_amount},
    {"notional", "--notional", &LevelsArgs::notional},
    {"liquidation_buffer", "--liquidation-buffer", &LevelsArgs::liquidation_buffer},
}};

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// Empty text keeps the library default.
void parse_number(const std::string& text, const char* flag, double& out) {
  if (text.empty()) return;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, out);
  if (ec != std::errc() || ptr != end)
    throw InputError(std::string(flag) + ": not a number, got '" + text + "'");
}

Side parse_side(const std::string& text) {
  const std::string s = upper(text);
  if (s == "BUY" || s == "LONG") return Side::kLong;
  if (s == "SELL" || s == "SHORT") return Side::kShort;
  throw InputError("--side: must be BUY or SELL, got '" + text + "'");
}

Regime parse_regime(const std::string& text) {
  const std::string s = upper(text);
  if (s == "UNKNOWN") return Regime::kUnknown;
  if (s == "RANGE" || s == "RANGING") return Regime::kRange;
  if (s == "TRENDING") return Regime::kTrending;
  if (s == "VOLATILE") return Regime::kVolatile;
  throw InputError("--regime: must be RANGE, TRENDING, VOLATILE or UNKNOWN, got '" + text + "'");
}

AdaptiveLevelsInput to_input(const LevelsArgs& a) {
  AdaptiveLevelsInput in;
  in.side = parse_side(a.side);
  in.regime = parse_regime(a.regime);
  parse_number(a.entry, "--entry", in.entry_price);
  parse_number(a.confidence, "--confidence", in.confidence);
  parse_number(a.volatility_factor, "--volatility-factor", in.volatility_factor);
  parse_number(a.funding_rate, "--funding-rate", in.funding_rate);
  parse_number(a.exchange_divergence, "--exchange-divergence", in.exchange_divergence);
  parse_number(a.stop_loss, "--stop-loss", in.stop_loss);
  parse_number(a.mmr, "--mmr", in.maint_margin_rate);
  parse_number(a.maint_amount, "--maint-amount", in.maint_amount);
  parse_number(a.notional, "--notional", in.notional);
  parse_number(a.liquidation_buffer, "--liquidation-buffer", in.liquidation_buffer);
  return in;
}

[[noreturn]] void throw_field_error(const AdaptiveLevelsResult& r, const LevelsArgs& a) {
  for (const FieldFlag& f : kFieldFlags) {
    if (f.field != r.error_field) continue;
    const std::string& text = a.*(f.text);
    std::string msg = std::string(f.flag) + ": " + r.error_reason;
    if (!text.empty()) msg += ", got " + text;
    throw InputError(msg);
  }
  throw InputError(std::string(r.error_field) + ": " + r.error_reason);
}

std::string to_json(const AdaptiveLevelsInput& in, const AdaptiveLevels& l) {
  std::string j = "{";
  auto field = [&j](const char* key, const std::string& value) {
    if (j.size() > 1) j += ',';
    j += '"';
    j += key;
    j += "\":";
    j += value;
  };
  field("side", in.side == Side::kLong ? "\"BUY\"" : "\"SELL\"");
  field("entry", shortest_text(in.entry_price));
  field("confidence", shortest_text(in.confidence));
  field("volatility_factor", shortest_text(in.volatility_factor));
  field("regime", "\"" + std::string(to_string(in.regime)) + "\"");
  field("funding_rate", shortest_text(in.funding_rate));
  field("exchange_divergence", shortest_text(in.exchange_divergence));
  field("stop_loss", in.stop_loss > 0 ? shortest_text(in.stop_loss) : "null");
  field("maint_margin_rate", shortest_text(in.maint_margin_rate));
  field("liquidation_buffer", shortest_text(in.liquidation_buffer));
  field("target_leverage", std::to_string(l.target_leverage));
  field("formula_leverage", std::to_string(l.formula_leverage));
  field("raw_leverage", eight_decimals_text(l.raw_leverage));
  field("dynamic_tp", eight_decimals_text(l.dynamic_tp));
  field("dynamic_sl", eight_decimals_text(l.dynamic_sl));
  field("tp_distance", eight_decimals_text(l.tp_distance));
  field("sl_distance", eight_decimals_text(l.sl_distance));
  field("guarded_stop", eight_decimals_text(l.guarded_stop));
  field("liquidation_price", eight_decimals_text(l.liquidation_price));
  const std::string clamped = clamp_names(l.clamps, "\",\"");
  field("clamped", clamped.empty() ? "[]" : "[\"" + clamped + "\"]");
  return j + "}";
}

void run_levels(const LevelsArgs& args, int& exit_code) {
  const AdaptiveLevelsInput in = to_input(args);
  const AdaptiveLevelsResult r = compute_adaptive_levels(in);
  if (!r.ok()) throw_field_error(r, args);
  std::printf("%s\n", to_json(in, r.levels).c_str());
  exit_code = 0;
}

}  // namespace

void add_levels_command(CLI::App& root, int& exit_code) {
  auto args = std::make_shared<LevelsArgs>();
  CLI::App* cmd = root.add_subcommand(
      "levels", "Adaptive leverage and dynamic TP/SL for one trade intent (one JSON line)");
  cmd->add_option("--side", args->side, "BUY or SELL")->required();
  cmd->add_option("--entry", args->entry, "Entry price (> 0)")->required();
  cmd->add_option("--confidence", args->confidence, "Signal confidence in [0,1]")->required();
  cmd->add_option("--volatility-factor", args->volatility_factor, "ILF volatility factor in [0,1]")
      ->required();
  cmd->add_option("--regime", args->regime, "RANGE, TRENDING, VOLATILE or UNKNOWN (default)");
  cmd->add_option("--funding-rate", args->funding_rate, "Funding rate in [-1,1] (default 0)");
  cmd->add_option("--exchange-divergence", args->exchange_divergence,
                  "Cross-exchange divergence; |x| capped at 1 (default 0)");
  cmd->add_option("--stop-loss", args->stop_loss,
                  "The intent's stop price, checked against liquidation (default: dynamic SL)");
  cmd->add_option("--mmr", args->mmr, "Maintenance margin rate in [0,1) (default 0.004)");
  cmd->add_option("--maint-amount", args->maint_amount,
                  "Bracket maintenance amount (cum); used only with --notional (default 0)");
  cmd->add_option("--notional", args->notional, "Position notional at entry (default unknown)");
  cmd->add_option("--liquidation-buffer", args->liquidation_buffer,
                  "How far inside the liquidation price the stop must sit (default 0.005)");
  cmd->callback([args, &exit_code] { run_levels(*args, exit_code); });
}

}  // namespace exitbrain::cli
