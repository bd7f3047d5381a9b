// The owner lease against a real redis-server: one holder at a time, the refused one told
// who holds it; a holder that finds the key taken over, or cannot reach Redis for two
// thirds of the TTL, says once that it lost the lease; a graceful stop releases it.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "tests/support/redis_server.hpp"
#include "tests/support/test_files.hpp"
#include "tools/intents/owner_lease.hpp"

namespace exitbrain {
namespace {

class OwnerLeaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(server_.start(testing::make_test_dir(
                  "owner_lease/" +
                  std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()))),
              "");
  }
  RedisOptions options() const {
    RedisOptions o;
    o.url.port = server_.port();
    return o;
  }
  std::string get(const std::string& key) {
    RedisConnection c(options());
    EXPECT_EQ(c.connect(), "");
    const RedisReply r = c.command({"GET", key});
    return r.ok() && r.value().is_string() ? std::string(r.value().text()) : std::string();
  }
  testing::RedisServer server_;
};

// Waits up to `ms` for `flag`.
bool wait_for(const std::atomic<bool>& flag, int ms) {
  for (int i = 0; i < ms / 10 && !flag.load(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return flag.load();
}

TEST_F(OwnerLeaseTest, OneHolderAtATimeAndTheRefusedOneIsToldWho) {
  OwnerLease first(options(), "lease:acct", "host-a:1:100", 1'500);
  ASSERT_EQ(first.acquire(), "");
  std::atomic<bool> lost{false};
  first.start([&](const std::string&) { lost = true; });
  OwnerLease second(options(), "lease:acct", "host-b:2:200", 1'500);
  const std::string err = second.acquire();
  EXPECT_NE(err.find("is held by host-a:1:100"), std::string::npos) << err;
  // Renewed past several TTLs: still held, never lost.
  std::this_thread::sleep_for(std::chrono::milliseconds(3'500));
  EXPECT_FALSE(lost.load());
  EXPECT_EQ(get("lease:acct"), "host-a:1:100");
  first.stop(true);
  EXPECT_EQ(get("lease:acct"), "") << "a graceful stop releases it";
  EXPECT_EQ(second.acquire(), "");
}

TEST_F(OwnerLeaseTest, AKeyTakenOverIsALostLease) {
  OwnerLease lease(options(), "lease:acct", "host-a:1:100", 1'500);
  ASSERT_EQ(lease.acquire(), "");
  std::atomic<bool> lost{false};
  std::string why;
  lease.start([&](const std::string& w) {
    why = w;
    lost = true;
  });
  {
    RedisConnection c(options());
    ASSERT_EQ(c.connect(), "");
    ASSERT_TRUE(c.command({"SET", "lease:acct", "host-b:2:200"}).ok());
  }
  ASSERT_TRUE(wait_for(lost, 3'000));
  EXPECT_NE(why.find("no longer ours"), std::string::npos) << why;
  EXPECT_TRUE(lease.lost());
  lease.stop(true);
  EXPECT_EQ(get("lease:acct"), "host-b:2:200") << "never deletes a lease that is not its own";
}

TEST_F(OwnerLeaseTest, RedisAwayForTwoThirdsOfTheTtlIsALostLease) {
  OwnerLease lease(options(), "lease:acct", "host-a:1:100", 1'500);
  ASSERT_EQ(lease.acquire(), "");
  std::atomic<bool> lost{false};
  std::string why;
  lease.start([&](const std::string& w) {
    why = w;
    lost = true;
  });
  const auto t0 = std::chrono::steady_clock::now();
  server_.stop();
  ASSERT_TRUE(wait_for(lost, 5'000));
  const auto after =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
  EXPECT_LT(after.count(), 1'500) << "lost before the key could expire and be taken";
  EXPECT_NE(why.find("could not be renewed"), std::string::npos) << why;
}

TEST_F(OwnerLeaseTest, WithoutRedisTheLeaseCannotBeTaken) {
  RedisOptions o = options();
  server_.stop();
  OwnerLease lease(o, "lease:acct", "host-a:1:100", 1'500);
  const std::string err = lease.acquire();
  EXPECT_NE(err.find("cannot be taken"), std::string::npos) << err;
}

}  // namespace
}  // namespace exitbrain
