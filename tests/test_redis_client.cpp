// net/redis_client against a real redis-server on a free loopback port: URLs, replies,
// pipelining, Redis errors versus lost connections, and a password that never shows.
#include <gtest/gtest.h>

#include "net/redis_client.hpp"
#include "tests/support/redis_server.hpp"
#include "tests/support/test_files.hpp"

namespace exitbrain {
namespace {

TEST(RedisUrl, ParsesTheFormsAndRedactsThePassword) {
  RedisUrlResult r = parse_redis_url("redis://:s3cret@10.1.2.3:6380/4");
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.url.host, "10.1.2.3");
  EXPECT_EQ(r.url.port, 6380);
  EXPECT_EQ(r.url.password, "s3cret");
  EXPECT_EQ(r.url.db, 4);
  EXPECT_EQ(r.url.redacted(), "redis://:***@10.1.2.3:6380/4");
  EXPECT_EQ(r.url.redacted().find("s3cret"), std::string::npos);

  r = parse_redis_url("redis://app:pw@host");
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.url.user, "app");
  EXPECT_EQ(r.url.port, 6379);
  r = parse_redis_url("127.0.0.1:7000");
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.url.port, 7000);

  EXPECT_EQ(parse_redis_url("").error, "empty");
  EXPECT_EQ(parse_redis_url("redis://host:0").error, "port must be in [1,65535]");
  EXPECT_EQ(parse_redis_url("redis://host:abc").error, "port must be in [1,65535]");
  EXPECT_EQ(parse_redis_url("redis://host/x").error, "database must be a number >= 0");
  EXPECT_EQ(parse_redis_url("redis://:6379").error, "missing host");
  EXPECT_NE(parse_redis_url("http://host").error, "");
}

class RedisClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::make_test_dir(std::string("redis_client/") +
                                  ::testing::UnitTest::GetInstance()->current_test_info()->name());
    ASSERT_EQ(server_.start(dir_), "");
    options_.url.port = server_.port();
  }
  std::string dir_;
  testing::RedisServer server_;
  RedisOptions options_;
};

TEST_F(RedisClientTest, CommandsRepliesAndPipelining) {
  RedisConnection c(options_);
  ASSERT_EQ(c.connect(), "");
  EXPECT_EQ(c.command({"SET", "k", std::string_view("a\0b", 3)}).value().text(), "OK");
  EXPECT_EQ(c.command({"GET", "k"}).value().text(), std::string_view("a\0b", 3)) << "binary safe";
  EXPECT_TRUE(c.command({"GET", "missing"}).value().is_null());
  EXPECT_EQ(c.command({"INCRBY", "n", "41"}).value().integer(), 41);

  for (int i = 0; i < 100; ++i) c.append({"RPUSH", "list", std::to_string(i)});
  for (int i = 0; i < 100; ++i) EXPECT_EQ(c.read_reply().value().integer(), i + 1);
  const RedisReply all = c.command({"LRANGE", "list", "0", "-1"});
  ASSERT_TRUE(all.value().is_array());
  ASSERT_EQ(all.value().size(), 100u);
  EXPECT_EQ(all.value()[99].text(), "99");
  EXPECT_TRUE(all.value()[100].is_null()) << "out of range is null, not a crash";
}

TEST_F(RedisClientTest, ARedisErrorIsAReplyAndALostServerIsAConnectionFailure) {
  RedisConnection c(options_);
  ASSERT_EQ(c.connect(), "");
  const RedisReply wrong = c.command({"INCR", "a", "b"});
  EXPECT_FALSE(wrong.ok());
  EXPECT_FALSE(wrong.io_error());
  EXPECT_NE(wrong.error().find("wrong number of arguments"), std::string::npos) << wrong.error();
  EXPECT_TRUE(c.connected()) << "an error reply keeps the connection";

  server_.kill();
  const RedisReply lost = c.command({"PING"});
  EXPECT_TRUE(lost.io_error());
  EXPECT_FALSE(c.connected());
  EXPECT_TRUE(c.command({"PING"}).io_error()) << "stays closed until connect()";
  EXPECT_NE(c.connect(), "");
  ASSERT_EQ(server_.restart(), "");
  EXPECT_EQ(c.connect(), "");
  EXPECT_EQ(c.command({"PING"}).value().text(), "PONG");
}

TEST_F(RedisClientTest, AuthFailureNeverShowsThePassword) {
  RedisConnection admin(options_);
  ASSERT_EQ(admin.connect(), "");
  ASSERT_TRUE(admin.command({"CONFIG", "SET", "requirepass", "right-one"}).ok());

  RedisOptions bad = options_;
  bad.url.password = "wrong-password-xyz";
  RedisConnection c(bad);
  const std::string err = c.connect();
  EXPECT_NE(err, "");
  EXPECT_EQ(err.find("wrong-password-xyz"), std::string::npos) << err;
  EXPECT_FALSE(c.connected());

  RedisOptions good = options_;
  good.url.password = "right-one";
  RedisConnection ok(good);
  EXPECT_EQ(ok.connect(), "");
  EXPECT_EQ(ok.command({"PING"}).value().text(), "PONG");
}

}  // namespace
}  // namespace exitbrain
