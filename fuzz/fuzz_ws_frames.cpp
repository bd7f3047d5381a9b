// A WebSocket feed's bytes through a real Beast client, as the market feed reads them, and
// every message through the market ingest's parse. The client is a websocket::stream over
// Beast's in-memory test stream; the "server" answers the handshake with a 101 and then
// sends server -> client frames built from the input (unmasked or masked text, binary,
// ping, pong, close and continuation frames, any flags, any declared length), or the raw
// input bytes. The server's bytes reach the client in chunks cut at input-chosen points,
// as hiredis's reader fuzzer splits its input.
//
// Invariants: the same bytes sent whole and cut up (and parsed with other garbage in the
// padding) give the same handshake result, the same messages (opcode and bytes), the same
// parse results (status, events, error field and reason) and the same end (the error, or
// the close and its reason); the read always ends once the server's side is closed; a
// message parsed kOk has events, a kMalformed one names its field; and while the frames
// are ones RFC 6455 defines the outcome of (clean data frames, fragmented or not, pings,
// pongs, a normal close), the client delivers exactly the messages that were sent, in
// order, and ends with end-of-stream or with the close.
//
// Input (FuzzedDataProvider: the integers from the back, the texts from the front): a flags
// byte (1: raw frame bytes; 2: extra header text in the 101), up to 16 chunk sizes (none:
// one byte per chunk), the extra header text, then per frame its first byte (FIN, RSV,
// opcode: as sent), a form byte (1: masked; 6: length encoding minimal / 16-bit / 64-bit;
// 8: a declared length that is not the payload's) and its payload. fuzz/make_seeds.py
// writes the seeds in this layout.
#include <fuzzer/FuzzedDataProvider.h>

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/_experimental/test/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/detail/hybi13.hpp>
#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include "core/symbol_table.hpp"
#include "fuzz/fuzz_support.hpp"
#include "net/binance_message_parser.hpp"

namespace exitbrain {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using boost::system::error_code;

struct Message {
  bool text = false;
  std::string bytes;
  ParseStatus status = ParseStatus::kOk;
  std::vector<MarketEvent> events;
  const char* field = "";
  const char* reason = "";
};

struct Outcome {
  bool handshook = false;
  bool ended = false;
  error_code end;
  websocket::close_reason close;
  std::vector<Message> messages;
};

// What the model of RFC 6455 expects of the frames built from the input.
struct Expected {
  std::vector<std::pair<bool, std::string>> messages;  // (text, bytes), in order
  bool complete = false;  // every frame understood: the messages and the end are known
  bool closed = false;    // a normal close ends them
};

bool valid_utf8(std::string_view s) {
  static constexpr std::uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    }
    if ((c & 0xE0) == 0xC0) {
      n = 1, cp = c & 0x1Fu;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2, cp = c & 0x0Fu;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3, cp = c & 0x07u;
    } else {
      return false;
    }
    if (s.size() - i - 1 < n) return false;
    for (std::size_t k = 1; k <= n; ++k) {
      const auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3Fu);
    }
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n + 1;
  }
  return true;
}

void put_big_endian(std::string& out, std::uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

// Server -> client frames from the input, and what a client that keeps RFC 6455 delivers.
std::string build_frames(FuzzedDataProvider& in, Expected& want) {
  std::string out;
  bool known = true;  // every frame so far is one the model understands
  bool ended = false;
  bool in_message = false, message_text = false;
  std::string message;
  for (int frame = 0; frame < 64 && in.remaining_bytes() > 0; ++frame) {
    const auto head = in.ConsumeIntegral<std::uint8_t>();
    const auto form = in.ConsumeIntegral<std::uint8_t>();
    std::string payload = in.ConsumeRandomLengthString(4096);
    const bool masked = (form & 1) != 0;
    const int length_form = (form >> 1) & 3;
    std::uint64_t declared = payload.size();
    if (form & 8)
      declared = length_form == 2 ? in.ConsumeIntegral<std::uint64_t>()
                                  : in.ConsumeIntegral<std::uint16_t>();
    out.push_back(static_cast<char>(head));
    const char mask_bit = masked ? '\x80' : '\0';
    bool minimal = true;
    if (length_form == 1) {
      declared &= 0xFFFF;
      out.push_back(static_cast<char>(mask_bit | 126));
      put_big_endian(out, declared, 2);
      minimal = declared >= 126;
    } else if (length_form == 2) {
      out.push_back(static_cast<char>(mask_bit | 127));
      put_big_endian(out, declared, 8);
      minimal = declared > 0xFFFF;
    } else if (declared < 126) {
      out.push_back(static_cast<char>(mask_bit | static_cast<char>(declared)));
    } else if (declared <= 0xFFFF) {
      out.push_back(static_cast<char>(mask_bit | 126));
      put_big_endian(out, declared, 2);
    } else {
      out.push_back(static_cast<char>(mask_bit | 127));
      put_big_endian(out, declared, 8);
    }
    std::string sent = payload;
    if (masked) {
      const auto key = in.ConsumeIntegral<std::uint32_t>();
      char k[4];
      std::memcpy(k, &key, 4);
      out.append(k, 4);
      for (std::size_t i = 0; i < sent.size(); ++i) sent[i] = static_cast<char>(sent[i] ^ k[i % 4]);
    }
    out += sent;
    if (!known || ended) continue;
    const bool fin = (head & 0x80) != 0;
    const int opcode = head & 0x0F;
    if (masked || !minimal || declared != payload.size() || (head & 0x70) != 0) {
      known = false;
    } else if (opcode >= 8) {  // control: whole and short
      if (!fin || payload.size() > 125 || opcode > 10) {
        known = false;
      } else if (opcode == 8) {
        if (payload.empty() || payload == std::string("\x03\xe8", 2))
          ended = want.closed = true;
        else
          known = false;  // other codes and reasons: Beast's rules, not modelled
      }
    } else if (opcode == 1 || opcode == 2) {
      if (in_message) {
        known = false;
      } else {
        in_message = true;
        message_text = opcode == 1;
        message = payload;
      }
    } else if (opcode == 0 && in_message) {
      message += payload;
    } else {
      known = false;
    }
    if (known && in_message && fin && opcode < 8) {
      in_message = false;
      if (message_text && !valid_utf8(message))
        known = false;
      else
        want.messages.emplace_back(message_text, message);
    }
  }
  want.complete = known && (ended || !in_message);
  return out;
}

// The market ingest's parse, fed as WsClient::on_frame feeds it: a copy of the message in
// a buffer reused across messages, 64 KiB + kJsonPadding, grown to len + kJsonPadding.
class Ingest {
 public:
  explicit Ingest(SymbolTable& symbols) : parser_(symbols) {}
  // `scribble`: garbage of another kind in the padding (the parser must not care).
  void reset(bool scribble) {
    frame_.assign(64 * 1024 + kJsonPadding, '\0');
    scribble_ = scribble;
  }
  void on_frame(const char* data, std::size_t len, Message& m) {
    if (frame_.size() < len + kJsonPadding) frame_.resize(len + kJsonPadding);
    std::memcpy(frame_.data(), data, len);
    if (scribble_) {  // what simdjson may read: the padding
      static constexpr char kJunk[] = "\"}],:\\\x00\xff 0e";
      for (std::size_t i = len; i < len + kJsonPadding; ++i)
        frame_[i] = kJunk[i % (sizeof kJunk - 1)];
    }
    m.status = parser_.parse(frame_.data(), len, frame_.size(),
                             [&](const MarketEvent& e) { m.events.push_back(e); });
    if (m.status == ParseStatus::kMalformed) {
      m.field = parser_.last_error().field;
      m.reason = parser_.last_error().reason;
    }
  }

 private:
  BinanceMessageParser parser_;
  std::vector<char> frame_;
  bool scribble_ = false;
};

// One connection: the handshake, then async_read after async_read as
// WsClient::ConnectionImpl reads, until the read fails (end of stream, close, error).
class Session {
 public:
  Session(Ingest& ingest, Outcome& out) : ingest_(ingest), out_(out) {
    ws_.next_layer().connect(server_);
    // WsClient::ConnectionImpl::start_websocket's settings (net/ has no helper for them:
    // mirrored here): the client's suggested timeouts with the handshake bounded by
    // WsClientOptions::connect_timeout_ms (10 s), its user agent, a 16 MiB message limit;
    // its read buffer reserved to 64 KiB.
    auto t = websocket::stream_base::timeout::suggested(beast::role_type::client);
    t.handshake_timeout = std::chrono::milliseconds(10'000);
    ws_.set_option(t);
    ws_.set_option(websocket::stream_base::decorator([](websocket::request_type& req) {
      req.set(beast::http::field::user_agent, "exitbrain");
    }));
    ws_.read_message_max(16u << 20);
    buffer_.reserve(64 * 1024);
  }

  // The server answers with `extra` among its 101's headers, then sends `frames`, cut
  // after each of `cuts` bytes in turn (empty: all at once), then closes its side.
  void run(std::string_view extra, std::string_view frames, const std::vector<std::size_t>& cuts) {
    ws_.async_handshake("fstream.binance.com", "/market/stream?streams=btcusdt@markPrice@1s",
                        [this](error_code ec) {
                          if (ec) return finish(ec);
                          out_.handshook = true;
                          read();
                        });
    poll();
    std::string stream =
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Accept: " +
        accept_for(server_.str()) + "\r\n";
    stream.append(extra).append("\r\n").append(frames);
    std::size_t at = 0;
    for (std::size_t i = 0; at < stream.size(); ++i) {
      const std::size_t n =
          cuts.empty() ? stream.size() : std::min(cuts[i % cuts.size()], stream.size() - at);
      error_code ignored;  // a client that has closed takes no more
      asio::write(server_, asio::buffer(stream.data() + at, n), ignored);
      at += n;
      poll();
    }
    server_.close();
    poll();
  }

 private:
  static std::string accept_for(const std::string& request) {
    static constexpr std::string_view kKey = "Sec-WebSocket-Key: ";
    const std::size_t from = request.find(kKey);
    FUZZ_INVARIANT(from != std::string::npos);
    const std::size_t to = request.find("\r\n", from);
    websocket::detail::sec_ws_accept_type accept;
    websocket::detail::make_sec_ws_accept(
        accept, std::string_view(request).substr(from + kKey.size(), to - from - kKey.size()));
    return std::string(accept.data(), accept.size());
  }

  void poll() {
    io_.restart();
    io_.poll();
  }

  void read() {
    ws_.async_read(buffer_, [this](error_code ec, std::size_t n) {
      if (ec) return finish(ec);
      Message m;
      m.text = ws_.got_text();
      const char* data = static_cast<const char*>(buffer_.cdata().data());
      m.bytes.assign(data, n);
      ingest_.on_frame(data, n, m);
      out_.messages.push_back(std::move(m));
      buffer_.consume(n);
      read();
    });
  }

  void finish(error_code ec) {
    out_.ended = true;
    out_.end = ec;
    out_.close = ws_.reason();
  }

  Ingest& ingest_;
  Outcome& out_;
  asio::io_context io_;
  beast::test::stream server_{io_};
  websocket::stream<beast::test::stream> ws_{io_};
  beast::flat_buffer buffer_;
};

bool same(const MarketEvent& x, const MarketEvent& y) {
  const bool funding = x.funding_rate == y.funding_rate ||
                       (x.funding_rate != x.funding_rate && y.funding_rate != y.funding_rate);
  return x.event_time == y.event_time && x.symbol == y.symbol && x.kind == y.kind &&
         x.kline_closed == y.kline_closed && x.price == y.price && x.bid == y.bid &&
         x.ask == y.ask && x.kline.open_time == y.kline.open_time &&
         x.kline.interval_ms == y.kline.interval_ms && x.kline.open == y.kline.open &&
         x.kline.high == y.kline.high && x.kline.low == y.kline.low &&
         x.kline.close == y.kline.close && funding;
}

void check_same(const Outcome& a, const Outcome& b) {
  FUZZ_INVARIANT(a.handshook == b.handshook);
  // A failed handshake fails either way, but not always with the same code: Beast's HTTP
  // parser reads a header block it has whole field by field, and one that came in pieces
  // only once its blank line is there, so a bad field line with no blank line after it is
  // "bad field" at once or "partial message" at the end of the stream.
  if (a.handshook) FUZZ_INVARIANT(a.end == b.end);
  FUZZ_INVARIANT(a.close.code == b.close.code && a.close.reason == b.close.reason);
  FUZZ_INVARIANT(a.messages.size() == b.messages.size());
  for (std::size_t i = 0; i < a.messages.size(); ++i) {
    const Message &x = a.messages[i], &y = b.messages[i];
    FUZZ_INVARIANT(x.text == y.text && x.bytes == y.bytes);
    FUZZ_INVARIANT(x.status == y.status);
    FUZZ_INVARIANT(std::strcmp(x.field, y.field) == 0 && std::strcmp(x.reason, y.reason) == 0);
    FUZZ_INVARIANT(x.events.size() == y.events.size());
    for (std::size_t k = 0; k < x.events.size(); ++k)
      FUZZ_INVARIANT(same(x.events[k], y.events[k]));
  }
}

// Two ingests, one per way of sending, each reused from input to input as the live one is
// from frame to frame.
struct Harness {
  SymbolTable symbols;
  Ingest whole{symbols}, cut{symbols};
  Harness() {
    (void)symbols.intern("BTCUSDT");
    (void)symbols.intern("ETHUSDT");
  }
};

}  // namespace
}  // namespace exitbrain

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace exitbrain;
  static Harness h;
  FuzzedDataProvider in(data, size);
  const auto flags = in.ConsumeIntegral<std::uint8_t>();
  std::vector<std::size_t> cuts(in.ConsumeIntegralInRange<std::size_t>(0, 16));
  for (std::size_t& c : cuts) c = 1 + std::size_t{in.ConsumeIntegral<std::uint8_t>()};
  if (cuts.empty()) cuts.push_back(1);
  const std::string extra = (flags & 2) ? in.ConsumeRandomLengthString(256) : std::string();
  Expected want;
  const std::string frames =
      (flags & 1) ? in.ConsumeRemainingBytesAsString() : build_frames(in, want);

  Outcome whole, cut;
  h.whole.reset(false);
  h.cut.reset(true);
  Session(h.whole, whole).run(extra, frames, {});
  Session(h.cut, cut).run(extra, frames, cuts);
  FUZZ_INVARIANT(whole.ended && cut.ended);
  check_same(whole, cut);

  for (const Message& m : whole.messages) {
    if (m.status == ParseStatus::kOk) FUZZ_INVARIANT(!m.events.empty());
    if (m.status == ParseStatus::kMalformed) FUZZ_INVARIANT(m.field[0] != '\0');
    for (const MarketEvent& e : m.events) FUZZ_INVARIANT(e.symbol < h.symbols.size());
  }
  if (extra.empty()) FUZZ_INVARIANT(whole.handshook);
  if (!(flags & 1) && extra.empty()) {
    FUZZ_INVARIANT(whole.messages.size() >= want.messages.size());
    for (std::size_t i = 0; i < want.messages.size(); ++i) {
      FUZZ_INVARIANT(whole.messages[i].text == want.messages[i].first);
      FUZZ_INVARIANT(whole.messages[i].bytes == want.messages[i].second);
    }
    if (want.complete) {
      FUZZ_INVARIANT(whole.messages.size() == want.messages.size());
      if (want.closed)
        FUZZ_INVARIANT(whole.end == websocket::error::closed);
      else
        FUZZ_INVARIANT(whole.end == asio::error::eof);
    }
  }
  return 0;
}
