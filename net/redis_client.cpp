#include "net/redis_client.hpp"

#include <hiredis/hiredis.h>
#include <sys/time.h>

#include <charconv>

namespace exitbrain {

namespace {

timeval to_timeval(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

bool parse_int(std::string_view s, int& out) {
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

std::string RedisUrl::redacted() const {
  std::string out = "redis://";
  if (!user.empty() || !password.empty()) out += user + (password.empty() ? "@" : ":***@");
  out += host + ":" + std::to_string(port);
  if (db != 0) out += "/" + std::to_string(db);
  return out;
}

RedisUrlResult parse_redis_url(std::string_view text) {
  RedisUrlResult r;
  std::string_view s = text;
  if (s.empty()) {
    r.error = "empty";
    return r;
  }
  if (s.starts_with("redis://")) {
    s.remove_prefix(8);
  } else if (s.find("://") != std::string_view::npos) {
    r.error = "only redis:// URLs are supported (no TLS: keep Redis on a trusted network)";
    return r;
  }
  if (const auto at = s.rfind('@'); at != std::string_view::npos) {
    const std::string_view auth = s.substr(0, at);
    s.remove_prefix(at + 1);
    const auto colon = auth.find(':');
    if (colon == std::string_view::npos) {
      r.url.user = std::string(auth);
    } else {
      r.url.user = std::string(auth.substr(0, colon));
      r.url.password = std::string(auth.substr(colon + 1));
    }
  }
  if (const auto slash = s.find('/'); slash != std::string_view::npos) {
    const std::string_view db = s.substr(slash + 1);
    s = s.substr(0, slash);
    if (!db.empty() && (!parse_int(db, r.url.db) || r.url.db < 0)) {
      r.error = "database must be a number >= 0";
      return r;
    }
  }
  if (const auto colon = s.rfind(':'); colon != std::string_view::npos) {
    if (!parse_int(s.substr(colon + 1), r.url.port) || r.url.port < 1 || r.url.port > 65535) {
      r.error = "port must be in [1,65535]";
      return r;
    }
    s = s.substr(0, colon);
  }
  if (s.empty()) {
    r.error = "missing host";
    return r;
  }
  r.url.host = std::string(s);
  return r;
}

// ---- replies ---------------------------------------------------------------------------

bool RedisValue::is_null() const noexcept {
  return r_ == nullptr || r_->type == REDIS_REPLY_NIL;
}
bool RedisValue::is_error() const noexcept {
  return r_ != nullptr && r_->type == REDIS_REPLY_ERROR;
}
bool RedisValue::is_string() const noexcept {
  return r_ != nullptr && (r_->type == REDIS_REPLY_STRING || r_->type == REDIS_REPLY_STATUS);
}
bool RedisValue::is_integer() const noexcept {
  return r_ != nullptr && r_->type == REDIS_REPLY_INTEGER;
}
bool RedisValue::is_array() const noexcept {
  return r_ != nullptr && r_->type == REDIS_REPLY_ARRAY;
}
std::string_view RedisValue::text() const noexcept {
  if (r_ == nullptr || r_->str == nullptr) return {};
  if (r_->type != REDIS_REPLY_STRING && r_->type != REDIS_REPLY_STATUS &&
      r_->type != REDIS_REPLY_ERROR)
    return {};
  return {r_->str, r_->len};
}
long long RedisValue::integer() const noexcept {
  return is_integer() ? r_->integer : 0;
}
std::size_t RedisValue::size() const noexcept {
  return is_array() ? r_->elements : 0;
}
RedisValue RedisValue::operator[](std::size_t i) const noexcept {
  return RedisValue(i < size() ? r_->element[i] : nullptr);
}

RedisReply::RedisReply(redisReply* r, std::string error) : reply_(r), io_error_(std::move(error)) {}
RedisReply::~RedisReply() = default;

void RedisReply::Free::operator()(redisReply* r) const noexcept {
  freeReplyObject(r);
}

std::string RedisReply::error() const {
  if (!reply_) return io_error_.empty() ? "no reply" : io_error_;
  if (value().is_error()) return std::string(value().text());
  return {};
}

// ---- connection ------------------------------------------------------------------------

RedisConnection::RedisConnection(RedisOptions options) : options_(std::move(options)) {}

RedisConnection::~RedisConnection() {
  close();
}

void RedisConnection::close() noexcept {
  if (ctx_ != nullptr) redisFree(ctx_);
  ctx_ = nullptr;
}

RedisReply RedisConnection::fail(const char* what) {
  std::string err = what;
  if (ctx_ != nullptr && ctx_->err != 0) err += std::string(": ") + ctx_->errstr;
  close();
  return RedisReply(nullptr, err);
}

std::string RedisConnection::connect() {
  close();
  pending_error_.clear();
  const RedisUrl& u = options_.url;
  ctx_ = redisConnectWithTimeout(u.host.c_str(), u.port, to_timeval(options_.connect_timeout));
  if (ctx_ == nullptr) return "cannot allocate a Redis context";
  if (ctx_->err != 0) {
    std::string err = "connect " + u.host + ":" + std::to_string(u.port) + ": " + ctx_->errstr;
    close();
    return err;
  }
  if (redisSetTimeout(ctx_, to_timeval(options_.command_timeout)) != REDIS_OK)
    return fail("set timeout").error();
  (void)redisEnableKeepAlive(ctx_);
  if (!u.password.empty()) {
    RedisReply r =
        u.user.empty() ? command({"AUTH", u.password}) : command({"AUTH", u.user, u.password});
    // Redis's own error text never echoes the password.
    if (!r.ok()) {
      const std::string err = "AUTH: " + r.error();
      close();
      return err;
    }
  }
  if (u.db != 0) {
    RedisReply r = command({"SELECT", std::to_string(u.db)});
    if (!r.ok()) {
      const std::string err = "SELECT: " + r.error();
      close();
      return err;
    }
  }
  return {};
}

void RedisConnection::append(std::span<const std::string_view> args) {
  if (ctx_ == nullptr) return;
  argv_.clear();
  argv_len_.clear();
  for (std::string_view a : args) {
    argv_.push_back(a.data());
    argv_len_.push_back(a.size());
  }
  if (redisAppendCommandArgv(ctx_, static_cast<int>(argv_.size()), argv_.data(),
                             argv_len_.data()) != REDIS_OK) {
    pending_error_ = fail("append").error();
  }
}

RedisReply RedisConnection::read_reply() {
  if (ctx_ == nullptr)
    return RedisReply(nullptr, pending_error_.empty() ? "not connected" : pending_error_);
  void* reply = nullptr;
  if (redisGetReply(ctx_, &reply) != REDIS_OK || reply == nullptr) return fail("read");
  return RedisReply(static_cast<redisReply*>(reply), {});
}

RedisReply RedisConnection::command(std::span<const std::string_view> args) {
  if (ctx_ == nullptr) return RedisReply(nullptr, "not connected");
  append(args);
  return read_reply();
}

}  // namespace exitbrain
