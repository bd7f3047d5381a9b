#include "tools/ops/control_socket.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>

namespace exitbrain {

namespace asio = boost::asio;
using local = asio::local::stream_protocol;

namespace {

constexpr std::size_t kMaxCommand = 256;

class ControlSession : public std::enable_shared_from_this<ControlSession> {
 public:
  ControlSession(local::socket s, std::shared_ptr<ControlHandler> h)
      : socket_(std::move(s)), handler_(std::move(h)), in_(kMaxCommand) {}

  void read() {
    asio::async_read_until(socket_, in_, '\n',
                           [self = shared_from_this()](boost::system::error_code ec,
                                                       std::size_t n) { self->answer(ec, n); });
  }

 private:
  void answer(boost::system::error_code ec, std::size_t n) {
    if (ec == asio::error::not_found) {
      reply_ = R"({"ok":false,"error":"command too long"})";
    } else if (ec) {
      return;  // the client went away
    } else {
      std::string line(asio::buffers_begin(in_.data()),
                       asio::buffers_begin(in_.data()) + static_cast<std::ptrdiff_t>(n - 1));
      if (!line.empty() && line.back() == '\r') line.pop_back();
      reply_ = (*handler_)(line);
    }
    reply_ += '\n';
    asio::async_write(socket_, asio::buffer(reply_),
                      [self = shared_from_this()](boost::system::error_code, std::size_t) {
                        boost::system::error_code ignored;
                        self->socket_.shutdown(local::socket::shutdown_both, ignored);
                      });
  }

  local::socket socket_;
  std::shared_ptr<ControlHandler> handler_;
  asio::streambuf in_;
  std::string reply_;
};

}  // namespace

ControlSocketServer::~ControlSocketServer() {
  close();
}

std::string ControlSocketServer::listen(const std::string& path, ControlHandler handler) {
  if (path.size() >= sizeof(sockaddr_un{}.sun_path))
    return path + ": longer than a Unix socket path may be (" +
           std::to_string(sizeof(sockaddr_un{}.sun_path) - 1) + " bytes)";
  // Only a socket is ever replaced: a regular file of that name is someone else's.
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) return path + ": exists and is not a socket";
    ::unlink(path.c_str());
  }
  boost::system::error_code ec;
  auto acceptor = std::make_unique<local::acceptor>(io_);
  acceptor->open(local(), ec);
  if (ec) return path + ": " + ec.message();
  // Created with no permission for group and others from the first instant (bind makes
  // the file under the umask); chmod then sets exactly 0600.
  const mode_t old = ::umask(0177);
  acceptor->bind(local::endpoint(path), ec);
  ::umask(old);
  if (ec) return path + ": " + ec.message();
  if (::chmod(path.c_str(), 0600) != 0) return path + ": chmod 0600: " + std::strerror(errno);
  acceptor->listen(16, ec);
  if (ec) return path + ": " + ec.message();
  acceptor_ = std::move(acceptor);
  handler_ = std::make_shared<ControlHandler>(std::move(handler));
  path_ = path;
  accept();
  return {};
}

void ControlSocketServer::accept() {
  acceptor_->async_accept([this](boost::system::error_code ec, local::socket s) {
    if (ec == asio::error::operation_aborted || !acceptor_ || !acceptor_->is_open()) return;
    if (!ec) std::make_shared<ControlSession>(std::move(s), handler_)->read();
    accept();
  });
}

void ControlSocketServer::close() {
  if (!acceptor_) return;
  boost::system::error_code ec;
  acceptor_->close(ec);
  acceptor_.reset();
  ::unlink(path_.c_str());
}

std::string control_request(const std::string& path, std::string_view command, int timeout_ms,
                            std::string& error) {
  sockaddr_un addr{};
  if (path.size() >= sizeof addr.sun_path) {
    error = path + ": too long for a Unix socket path";
    return {};
  }
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = std::string("socket: ") + std::strerror(errno);
    return {};
  }
  std::string reply;
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    error = path + ": " + std::strerror(errno) + " (is exitbrain run running on this state_dir?)";
    ::close(fd);
    return {};
  }
  std::string line(command);
  line += '\n';
  if (::send(fd, line.data(), line.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(line.size())) {
    error = path + ": send: " + std::strerror(errno);
    ::close(fd);
    return {};
  }
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  char buf[4096];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          until - std::chrono::steady_clock::now())
                          .count();
    if (left <= 0) {
      error = path + ": no answer within " + std::to_string(timeout_ms) + " ms";
      break;
    }
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) <= 0) continue;
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    reply.append(buf, static_cast<std::size_t>(n));
    if (reply.back() == '\n') break;
  }
  ::close(fd);
  if (!error.empty()) return {};
  if (reply.empty()) {
    error = path + ": the daemon closed the connection without an answer";
    return {};
  }
  if (reply.back() == '\n') reply.pop_back();
  return reply;
}

}  // namespace exitbrain
