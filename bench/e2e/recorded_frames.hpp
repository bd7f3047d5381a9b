#pragma once
// The frames exitbrain-bench feeds the pipeline: websocket messages recorded from Binance
// (../shared/data/ws), loaded into memory before anything is timed, each with the padding
// simdjson reads past its end. Only combined-stream messages are kept, without depth:
// exitbrain never subscribes to depth, and REST snapshots never come over the socket. Without
// recorded data, a synthetic stream of the same shape.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace exitbrain::bench {

struct FrameSet {
  std::vector<std::string> frames;   // capacity() >= size() + kJsonPadding
  std::vector<std::string> sources;  // the files read, or "synthetic"
  std::size_t dropped = 0;           // depth and snapshot lines left out
};

// Reads every capture in `paths`, interleaving the files message by message (each file
// keeps its own order, so every symbol's event times still rise). Throws InputError
// naming the file when one cannot be read.
FrameSet load_recorded_frames(const std::vector<std::string>& paths);

// The messages of one kind of stream ("@markPrice", say) from `paths`, file after file
// (for captures of one symbol that follow each other in time).
FrameSet load_stream_frames(const std::vector<std::string>& paths, std::string_view stream);

// `n` frames for BTCUSDT and ETHUSDT: markPrice@1s, aggTrade and closed 1m klines, as the
// combined stream sends them, with prices on a smooth random walk.
FrameSet synthetic_frames(std::size_t n);

// The default captures (trades and book tickers of BTC and ETH, 2024-08-08) under
// `data_dir` (normally ../shared/data), the ones that exist. Empty when none does.
std::vector<std::string> default_capture_paths(const std::string& data_dir);

}  // namespace exitbrain::bench
