#pragma once
// The loop of an I/O thread (the market feeds on md, the user-data stream on user): its
// io_context run by the thread's wait strategy until `stop`. spin and spin-yield poll;
// block sleeps in the io_context for up to 100 ms, which bounds how late `stop` is seen.
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <cstdint>

#include "core/wait_strategy.hpp"

namespace exitbrain {

// `heartbeat`, if given, is stored (monotonic ns) every time round: the watchdog's proof
// that the thread is alive.
void run_io(boost::asio::io_context& io, WaitStrategy wait, const std::atomic<bool>& stop,
            std::atomic<std::int64_t>* heartbeat = nullptr);

}  // namespace exitbrain
