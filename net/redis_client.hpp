#pragma once
// A blocking Redis connection (hiredis 0.14, Debian 12) for the threads off the hot path:
// the trade-intent consumer and the publishers. One connection, one thread; nothing here
// is shared. Commands are argument vectors (binary safe, never formatted into text), and
// pipelining (append, then read the replies in order) lets a backlog drain in batches.
//
// Failure model: any I/O error (refused, reset, timeout) closes the connection and is
// reported as such; the caller reconnects with backoff. A Redis error reply ("-ERR ...",
// "-NOGROUP ...") is a reply, not a connection failure.
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

struct redisContext;
struct redisReply;

namespace exitbrain {

// redis://[[user]:password@]host[:port][/db], or host:port. The password is a secret:
// redacted() is what may be printed.
struct RedisUrl {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string user;
  std::string password;
  int db = 0;

  std::string redacted() const;  // "redis://:***@host:port/db"
};

struct RedisUrlResult {
  RedisUrl url;
  std::string error;  // empty when the text is a valid URL
};
RedisUrlResult parse_redis_url(std::string_view text);

// A read-only view of one reply (or of an element inside one).
class RedisValue {
 public:
  explicit RedisValue(const redisReply* r) noexcept : r_(r) {}

  bool is_null() const noexcept;  // nil, or no reply at all
  bool is_error() const noexcept;
  bool is_string() const noexcept;  // bulk string or status ("OK")
  bool is_integer() const noexcept;
  bool is_array() const noexcept;
  std::string_view text() const noexcept;  // string, status or error text ("" otherwise)
  long long integer() const noexcept;      // 0 unless an integer
  std::size_t size() const noexcept;       // array length (0 otherwise)
  RedisValue operator[](std::size_t i) const noexcept;

 private:
  const redisReply* r_;
};

// An owned reply. Empty (io_error() true) when the connection failed: `error` says why.
class RedisReply {
 public:
  RedisReply() = default;
  RedisReply(redisReply* r, std::string error);
  RedisReply(RedisReply&&) noexcept = default;
  RedisReply& operator=(RedisReply&&) noexcept = default;
  ~RedisReply();

  bool io_error() const noexcept { return reply_ == nullptr; }
  // A reply that is not a Redis error.
  bool ok() const noexcept { return reply_ != nullptr && !value().is_error(); }
  RedisValue value() const noexcept { return RedisValue(reply_.get()); }
  // The I/O error, or the Redis error text; "" when ok().
  std::string error() const;

 private:
  struct Free {
    void operator()(redisReply* r) const noexcept;
  };
  std::unique_ptr<redisReply, Free> reply_;
  std::string io_error_;
};

struct RedisOptions {
  RedisUrl url;
  std::chrono::milliseconds connect_timeout{2000};
  // Longest wait for one reply. A blocking read (XREADGROUP BLOCK n) must stay below it.
  std::chrono::milliseconds command_timeout{5000};
};

class RedisConnection {
 public:
  explicit RedisConnection(RedisOptions options);
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;
  ~RedisConnection();

  // Connects, authenticates and selects the database. Returns "" or why it failed (the
  // password never appears in it).
  std::string connect();
  bool connected() const noexcept { return ctx_ != nullptr; }
  void close() noexcept;

  // One command, one reply.
  RedisReply command(std::span<const std::string_view> args);
  RedisReply command(std::initializer_list<std::string_view> args) {
    return command(std::span<const std::string_view>(args.begin(), args.size()));
  }

  // Pipelining: queue commands, then read exactly one reply per queued command, in order.
  // A failed append closes the connection; read_reply() then reports it.
  void append(std::span<const std::string_view> args);
  void append(std::initializer_list<std::string_view> args) {
    append(std::span<const std::string_view>(args.begin(), args.size()));
  }
  RedisReply read_reply();

  const RedisOptions& options() const noexcept { return options_; }

 private:
  RedisReply fail(const char* what);

  RedisOptions options_;
  redisContext* ctx_ = nullptr;
  std::string pending_error_;  // from a failed append, reported by the next read
  std::vector<const char*> argv_;
  std::vector<std::size_t> argv_len_;
};

}  // namespace exitbrain
