#include "tools/live/deployment_checks.hpp"

#include <algorithm>
#include <charconv>

#include "net/order_format.hpp"

namespace exitbrain {

const char* to_string(Verdict v) noexcept {
  switch (v) {
    case Verdict::kPass:
      return "PASS";
    case Verdict::kFail:
      return "FAIL";
    case Verdict::kSkip:
      return "SKIP";
  }
  return "?";
}

namespace {

// Does stop `a` (a hard stop of ours on the position's symbol) protect a position of `side`?
bool belongs_to(const AlgoOrderAnswer& a, Side side, Price mark) {
  using OS = AlgoOrderAnswer::OrderSide;
  if (a.position_side == PositionSideField::kLong) return side == Side::kLong;
  if (a.position_side == PositionSideField::kShort) return side == Side::kShort;
  if (a.side == OS::kSell) return side == Side::kLong;  // SELL closes a LONG
  if (a.side == OS::kBuy) return side == Side::kShort;
  if (!mark.is_positive()) return true;
  return side == Side::kLong ? a.trigger_price < mark : a.trigger_price > mark;
}

}  // namespace

std::vector<CheckLine> check_hard_stops(const StartupState& st) {
  std::vector<CheckLine> out;
  for (const PositionRisk& pr : st.positions) {
    const Side side = side_of(pr);
    CheckLine line;
    line.name = "hard_stop " + pr.symbol + " " + std::string(to_string(side));
    std::vector<const AlgoOrderAnswer*> mine;
    for (const AlgoOrderAnswer& a : st.our_hard_stops)
      if (a.symbol.view() == pr.symbol && belongs_to(a, side, pr.mark_price)) mine.push_back(&a);
    const std::string amount =
        to_string(pr.amount.is_negative() ? Decimal::from_units(-pr.amount.units()) : pr.amount);
    if (mine.empty()) {
      line.verdict = Verdict::kFail;
      line.reason = "no hard stop of ours protects this position of " + amount +
                    " (exitbrain places one within a second while it runs)";
    } else if (mine.size() > 1) {
      line.verdict = Verdict::kFail;
      line.reason = std::to_string(mine.size()) + " hard stops of ours:";
      for (const AlgoOrderAnswer* a : mine)
        line.reason +=
            " " + std::string(a->client_algo_id.view()) + " at " + to_string(a->trigger_price);
    } else {
      const AlgoOrderAnswer& a = *mine.front();
      const bool right =
          !pr.mark_price.is_positive() ||
          (side == Side::kLong ? a.trigger_price < pr.mark_price : a.trigger_price > pr.mark_price);
      line.verdict = right ? Verdict::kPass : Verdict::kFail;
      line.reason = std::string(right ? "one stop of ours, " : "its stop is on the wrong side: ") +
                    std::string(a.client_algo_id.view()) + " at " + to_string(a.trigger_price) +
                    (side == Side::kLong ? " for a LONG" : " for a SHORT") + " of " + amount +
                    ", mark " + to_string(pr.mark_price);
    }
    out.push_back(std::move(line));
  }
  if (out.empty())
    out.push_back(CheckLine{Verdict::kPass, "hard_stops",
                            "no open position on the managed symbols: nothing to protect"});
  return out;
}

CheckLine check_ilf_metadata(const std::string& prefix, const std::vector<std::string>& managed,
                             const std::vector<std::string>& present,
                             const std::vector<std::string>& with_levels) {
  const auto has = [](const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
  };
  std::string found, missing, waiting;
  for (const std::string& s : managed) {
    std::string& list = has(present, s) ? found : has(with_levels, s) ? missing : waiting;
    list += (list.empty() ? "" : " ") + s;
  }
  if (!missing.empty())
    return CheckLine{
        Verdict::kFail, "ilf_metadata",
        "no " + prefix + "<symbol> hash for " + missing + ", whose adaptive levels were published"};
  const std::string none_yet =
      waiting.empty() ? "" : "; none yet for " + waiting + " (no intent handled for them)";
  if (found.empty())
    return CheckLine{Verdict::kSkip, "ilf_metadata",
                     "no intent handled yet: no " + prefix + "<symbol> hash to check"};
  return CheckLine{Verdict::kPass, "ilf_metadata", prefix + "<symbol> for " + found + none_yet};
}

CheckLine check_levels_leverage(const std::vector<std::string>& levels, int lo, int hi) {
  CheckLine line{Verdict::kPass, "adaptive_levels", ""};
  if (levels.empty()) {
    line.verdict = Verdict::kFail;
    line.reason = "no adaptive levels published yet (no intent handled)";
    return line;
  }
  int min = hi + 1, max = lo - 1;
  for (const std::string& l : levels) {
    int v = 0;
    const auto [end, ec] = std::from_chars(l.data(), l.data() + l.size(), v);
    if (ec != std::errc() || end != l.data() + l.size()) {
      line.verdict = Verdict::kFail;
      line.reason = "a target_leverage that is not a number: \"" + l + "\"";
      return line;
    }
    min = std::min(min, v);
    max = std::max(max, v);
  }
  const bool in = min >= lo && max <= hi;
  line.verdict = in ? Verdict::kPass : Verdict::kFail;
  line.reason = std::to_string(levels.size()) + " latest levels, target leverage " +
                std::to_string(min) + "-" + std::to_string(max) + (in ? " within " : " outside ") +
                std::to_string(lo) + "-" + std::to_string(hi);
  return line;
}

}  // namespace exitbrain
