#pragma once
// The kill switch's transport: a Unix stream socket in the state directory, mode 0600 (the
// daemon's user only; no network exposure at all). One request line in, one JSON line
// out, then the connection closes:   status | halt | flatten | resume
// The server runs on the ops thread's io_context; `exitbrain ctl` is the client.
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace exitbrain {

// The command line, without its newline -> the reply line, without its newline.
using ControlHandler = std::function<std::string(std::string_view command)>;

class ControlSocketServer {
 public:
  explicit ControlSocketServer(boost::asio::io_context& io) : io_(io) {}
  ~ControlSocketServer();
  // Replaces a stale socket file at `path` (the state directory's lock says no other
  // daemon runs there), binds it with mode 0600 and listens: "" or the error.
  std::string listen(const std::string& path, ControlHandler handler);
  // Stops accepting and removes the socket file. On the ops thread, or once it stopped.
  void close();

 private:
  void accept();

  boost::asio::io_context& io_;
  std::unique_ptr<boost::asio::local::stream_protocol::acceptor> acceptor_;
  std::shared_ptr<ControlHandler> handler_;
  std::string path_;
};

// The client: sends `command` to the daemon listening at `path` and returns its reply
// line, or sets `error` (no daemon, refused, timed out after `timeout_ms`).
std::string control_request(const std::string& path, std::string_view command, int timeout_ms,
                            std::string& error);

// The socket's path in a state directory.
inline std::string control_socket_path(const std::string& state_dir) {
  return state_dir + "/control.sock";
}

}  // namespace exitbrain
