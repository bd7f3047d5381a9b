#pragma once
// The loop of an I/O thread (the market feeds on md, the user-data stream on user): its
// io_context run by the thread's wait strategy until `stop`. spin and spin-yield poll;
// block sleeps in the io_context for up to 100 ms, which bounds how late `stop` is seen.
#include <atomic>
#include <boost/asio/io_context.hpp>

#include "core/wait_strategy.hpp"

namespace exitbrain {

void run_io(boost::asio::io_context& io, WaitStrategy wait, const std::atomic<bool>& stop);

}  // namespace exitbrain
