// `exitbrain intents` as an operator runs it, against a real redis-server: --drain empties a
// stale backlog without executing anything and reports lag 0; --status reports the group;
// bad input names the option.
#include <gtest/gtest.h>

#include <string>

#include "net/redis_client.hpp"
#include "tests/support/paths.hpp"
#include "tests/support/redis_server.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/test_files.hpp"

namespace exitbrain {
namespace {

using testing::run_command;

class CmdIntents : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::make_test_dir(std::string("cmd_intents/") +
                                  ::testing::UnitTest::GetInstance()->current_test_info()->name());
    ASSERT_EQ(server_.start(dir_), "");
    RedisOptions o;
    o.url.port = server_.port();
    client_ = std::make_unique<RedisConnection>(o);
    ASSERT_EQ(client_->connect(), "");
  }

  std::string exitbrain(const std::string& args) const {
    return (testing::bin_dir() / "exitbrain").string() + " intents --redis " + server_.url() + " " +
           args;
  }

  // n intents of the seeds' day for NEARUSDT, and `bad` for a symbol nobody trades.
  void backlog(int n, int bad) {
    for (int i = 0; i < n + bad; ++i)
      client_->append({"XADD", "quantum:stream:trade.intent", "*", "symbol",
                       i < n ? "NEARUSDT" : "NOPEUSDT", "side", "BUY", "confidence", "0.72",
                       "entry_price", "1.465", "position_size_usd", "200", "volatility_factor",
                       "0.5513", "timestamp", "2025-12-24T04:32:14.062679"});
    for (int i = 0; i < n + bad; ++i) ASSERT_TRUE(client_->read_reply().ok());
  }

  std::string dir_;
  testing::RedisServer server_;
  std::unique_ptr<RedisConnection> client_;
};

TEST_F(CmdIntents, DrainEmptiesAStaleBacklogWithoutExecutingAndReportsLagZero) {
  backlog(300, 7);
  const auto r = run_command(exitbrain("--symbols NEARUSDT --drain"), false);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("read            307"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("expired         300"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("dead-lettered   7"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("observed        0"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("lag after       0"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("pending after   0"), std::string::npos) << r.output;
  EXPECT_EQ(
      client_->command({"XLEN", "quantum:stream:exitbrain.adaptive_levels"}).value().integer(),
      300);
  EXPECT_EQ(client_->command({"XLEN", "quantum:stream:trade.intent.dead"}).value().integer(), 7);

  // A second drain finds nothing new.
  const auto again = run_command(exitbrain("--symbols NEARUSDT --drain"), false);
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_NE(again.output.find("read            0"), std::string::npos) << again.output;

  const auto st = run_command(exitbrain("--status"), false);
  ASSERT_EQ(st.exit_code, 0) << st.output;
  EXPECT_NE(st.output.find("quantum:stream:trade.intent: exists, 307 entries"), std::string::npos)
      << st.output;
  EXPECT_NE(st.output.find("group exitbrain: lag 0, pending 0, consumers 1"), std::string::npos)
      << st.output;
}

TEST_F(CmdIntents, StatusShowsTheLagOfAGroupThatHasNotRun) {
  const auto none = run_command(exitbrain("--status"), false);
  ASSERT_EQ(none.exit_code, 0) << none.output;
  EXPECT_NE(none.output.find("group exitbrain: missing"), std::string::npos) << none.output;

  backlog(5, 0);
  ASSERT_TRUE(
      client_->command({"XGROUP", "CREATE", "quantum:stream:trade.intent", "exitbrain", "0"}).ok());
  const auto st = run_command(exitbrain("--status"), false);
  ASSERT_EQ(st.exit_code, 0) << st.output;
  EXPECT_NE(st.output.find("group exitbrain: lag 5, pending 0, consumers 0"), std::string::npos)
      << st.output;
}

TEST_F(CmdIntents, BadInputNamesTheOption) {
  auto r = run_command(exitbrain("--drain"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("--drain needs the symbols"), std::string::npos) << r.output;
  r = run_command(exitbrain("--symbols NEARUSDT --drain --status"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("give one of --drain or --status"), std::string::npos) << r.output;
  r = run_command((testing::bin_dir() / "exitbrain").string() +
                  " intents --redis redis://host:99999 --status");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("--redis: port must be in [1,65535]"), std::string::npos) << r.output;
  // Nobody listens on port 1: a clear error, exit 1, no password in it.
  r = run_command((testing::bin_dir() / "exitbrain").string() +
                  " intents --redis redis://:hunter2@127.0.0.1:1 --status");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("error: redis redis://:***@127.0.0.1:1"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("hunter2"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace exitbrain
