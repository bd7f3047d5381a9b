#include "tools/ops/ops_thread.hpp"

#include <boost/asio/post.hpp>
#include <future>

#include "core/thread_affinity.hpp"

namespace exitbrain {

OpsThread::OpsThread() = default;

OpsThread::~OpsThread() {
  stop();
}

void OpsThread::every(std::chrono::milliseconds period, std::function<void()> fn) {
  periodic_.push_back(Periodic{boost::asio::steady_timer(io_), period, std::move(fn)});
}

void OpsThread::arm(Periodic& p) {
  p.timer.expires_after(p.period);
  p.timer.async_wait([this, &p](boost::system::error_code ec) {
    if (ec) return;
    p.fn();
    arm(p);
  });
}

void OpsThread::start() {
  if (running_) return;
  running_ = true;
  for (Periodic& p : periodic_) arm(p);
  thread_ = std::thread([this] {
    name_current_thread("eb-ops");
    // Handlers catch nothing: everything they call reports errors as values.
    io_.run();
  });
}

void OpsThread::stop(std::function<void()> before_stop) {
  if (!running_) return;
  running_ = false;
  std::promise<void> done;
  boost::asio::post(io_, [&] {
    for (Periodic& p : periodic_) p.timer.cancel();
    if (before_stop) before_stop();
    io_.stop();
    done.set_value();
  });
  done.get_future().wait();
  thread_.join();
}

}  // namespace exitbrain
