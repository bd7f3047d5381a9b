#include "tools/live/state_records.hpp"

namespace exitbrain {

const char* to_string(AdoptSource s) noexcept {
  switch (s) {
    case AdoptSource::kStartup:
      return "startup";
    case AdoptSource::kUserStream:
      return "user_stream";
    case AdoptSource::kIntent:
      return "intent";
  }
  return "?";
}

const char* to_string(ControlKind k) noexcept {
  switch (k) {
    case ControlKind::kHalt:
      return "halt";
    case ControlKind::kFlatten:
      return "flatten";
    case ControlKind::kResume:
      return "resume";
  }
  return "?";
}

const char* to_string(ControlSource s) noexcept {
  switch (s) {
    case ControlSource::kOperator:
      return "operator";
    case ControlSource::kLossLimit:
      return "daily_loss_limit";
    case ControlSource::kErrorLimit:
      return "max_consecutive_errors";
  }
  return "?";
}

namespace {

std::size_t size_of(StateRecordKind k) noexcept {
  switch (k) {
    case StateRecordKind::kRunStarted:
      return sizeof(RunStarted);
    case StateRecordKind::kPrice:
      return sizeof(PriceState);
    case StateRecordKind::kAccount:
    case StateRecordKind::kAwaitLapsed:
      return sizeof(AccountInput);
    case StateRecordKind::kEntry:
      return sizeof(EntryInput);
    case StateRecordKind::kAdjustments:
      return sizeof(LevelAdjustments);
    case StateRecordKind::kAdopt:
      return sizeof(AdoptInput);
    case StateRecordKind::kOpen:
      return sizeof(NewPosition);
    case StateRecordKind::kOrder:
      return sizeof(OrderRecord);
    case StateRecordKind::kSymbol:
      return sizeof(SymbolRecord);
    case StateRecordKind::kControl:
      return sizeof(ControlInput);
  }
  return 0;
}

}  // namespace

std::span<const std::uint8_t> StateRecord::payload() const noexcept {
  // Every member starts at the union's address.
  return {reinterpret_cast<const std::uint8_t*>(&price), size_of(kind)};
}

bool StateRecord::assign(std::uint16_t k, std::span<const std::uint8_t> bytes) noexcept {
  const auto kk = static_cast<StateRecordKind>(k);
  const std::size_t n = size_of(kk);
  if (n == 0 || bytes.size() != n) return false;
  kind = kk;
  std::memcpy(static_cast<void*>(&price), bytes.data(), n);
  return true;
}

}  // namespace exitbrain
