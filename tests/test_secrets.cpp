#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <string>
#include <type_traits>
#include <utility>

#include "net/secrets.hpp"

namespace exitbrain {
namespace {

// Streaming a Secret must not compile.
template <class T>
concept Streamable = requires(std::ostream& os, const T& t) {
  os << t;
};
static_assert(!Streamable<Secret>);
static_assert(!std::is_copy_constructible_v<Secret>);
static_assert(std::is_nothrow_move_constructible_v<Secret>);

constexpr const char* kEnv = "EXITBRAIN_TEST_SECRET_7F3A";
constexpr std::string_view kText =
    "2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9";

class SecretsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::unsetenv(kEnv);
    char tmpl[] = "/tmp/exitbrain-secrets-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    ::unsetenv(kEnv);
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::string write_file(const std::string& name, std::string_view content, mode_t mode) {
    const std::string path = dir_ + "/" + name;
    {
      std::ofstream out(path, std::ios::binary);
      out << content;
    }
    EXPECT_EQ(::chmod(path.c_str(), mode), 0);
    return path;
  }
  // Every error must name something and never leak the secret.
  static void expect_clean_error(const SecretResult& r) {
    EXPECT_FALSE(r.ok());
    EXPECT_FALSE(r.error.empty());
    EXPECT_EQ(r.error.find(kText), std::string::npos) << r.error;
    EXPECT_EQ(r.error.find(kText.substr(0, 8)), std::string::npos) << r.error;
    EXPECT_TRUE(r.secret.empty());
  }
  std::string dir_;
};

TEST_F(SecretsTest, FromTheEnvironment) {
  ASSERT_EQ(::setenv(kEnv, (std::string(kText) + "\n").c_str(), 1), 0);
  const SecretResult r = load_secret(kEnv, "");
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.secret.reveal(), kText);
  EXPECT_EQ(r.secret.size(), 64u);
}

TEST_F(SecretsTest, EnvironmentWinsOverTheFile) {
  const std::string path = write_file("key", "from-the-file\n", 0600);
  ASSERT_EQ(::setenv(kEnv, "from-the-env", 1), 0);
  SecretResult r = load_secret(kEnv, path);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.secret.reveal(), "from-the-env");
  // An empty variable counts as unset: the file is read.
  ASSERT_EQ(::setenv(kEnv, "", 1), 0);
  r = load_secret(kEnv, path);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.secret.reveal(), "from-the-file");
}

TEST_F(SecretsTest, FromAPrivateFile) {
  SecretResult r = load_secret(kEnv, write_file("k600", std::string(kText) + "\n", 0600));
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.secret.reveal(), kText);
  r = load_secret(kEnv, write_file("k400", std::string(kText) + "\r\n", 0400));
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.secret.reveal(), kText);
  r = load_secret(kEnv, write_file("nonl", kText, 0600));
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.secret.reveal(), kText);
  r = load_secret("", write_file("noenv", "abc\n", 0600));
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.secret.reveal(), "abc");
}

TEST_F(SecretsTest, OpenPermissionsAreRefusedWithoutShowingTheContent) {
  for (const mode_t mode : {0644, 0640, 0604, 0660, 0601, 0610, 0700 | 0004}) {
    const std::string path = write_file("open", kText, mode);
    const SecretResult r = load_secret(kEnv, path);
    expect_clean_error(r);
    char mode_text[8];
    std::snprintf(mode_text, sizeof mode_text, "%04o", static_cast<unsigned>(mode));
    EXPECT_NE(r.error.find(path), std::string::npos) << r.error;
    EXPECT_NE(r.error.find(mode_text), std::string::npos) << r.error;
    EXPECT_NE(r.error.find("chmod 600"), std::string::npos) << r.error;
  }
  const std::string path = write_file("k644", kText, 0644);
  EXPECT_EQ(load_secret(kEnv, path).error,
            "secret file '" + path +
                "' has mode 0644: group and other permission bits must be clear (chmod 600 or "
                "400)");
}

TEST_F(SecretsTest, EmptyOrMissingIsAnErrorNamingTheVariable) {
  SecretResult r = load_secret(kEnv, "");
  expect_clean_error(r);
  EXPECT_EQ(r.error, std::string("environment variable ") + kEnv +
                         " is not set and no secret file is configured");
  ASSERT_EQ(::setenv(kEnv, "\n", 1), 0);
  r = load_secret(kEnv, "");
  expect_clean_error(r);
  EXPECT_EQ(r.error, std::string("environment variable ") + kEnv +
                         " is empty and no secret file is configured");
  ::unsetenv(kEnv);

  const std::string empty = write_file("empty", "", 0600);
  r = load_secret(kEnv, empty);
  expect_clean_error(r);
  EXPECT_NE(r.error.find(kEnv), std::string::npos) << r.error;
  EXPECT_NE(r.error.find(empty), std::string::npos) << r.error;
  r = load_secret(kEnv, write_file("newline", "\n\r\n", 0600));
  expect_clean_error(r);
  EXPECT_NE(r.error.find("is empty"), std::string::npos) << r.error;
}

TEST_F(SecretsTest, NotARegularFileOrNotThere) {
  const std::string missing = dir_ + "/nope";
  SecretResult r = load_secret(kEnv, missing);
  expect_clean_error(r);
  EXPECT_NE(r.error.find("cannot open secret file '" + missing + "'"), std::string::npos)
      << r.error;
  ASSERT_EQ(::chmod(dir_.c_str(), 0700), 0);
  r = load_secret(kEnv, dir_);
  expect_clean_error(r);
  EXPECT_EQ(r.error, "secret file '" + dir_ + "' is not a regular file");
  const std::string fifo = dir_ + "/fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  r = load_secret(kEnv, fifo);  // must not block
  expect_clean_error(r);
  EXPECT_NE(r.error.find("not a regular file"), std::string::npos) << r.error;
}

TEST_F(SecretsTest, TooLargeFile) {
  const SecretResult r = load_secret(kEnv, write_file("big", std::string(70000, 'x'), 0600));
  expect_clean_error(r);
  EXPECT_NE(r.error.find("larger than"), std::string::npos) << r.error;
}

TEST(Secret, RedactedMoveAndClear) {
  Secret s(kText);
  EXPECT_EQ(s.redacted(), "****(64 bytes)");
  EXPECT_EQ(s.redacted().find(kText.substr(0, 4)), std::string::npos);
  Secret moved(std::move(s));
  EXPECT_TRUE(s.empty());  // NOLINT(bugprone-use-after-move): documented state
  EXPECT_EQ(s.reveal(), "");
  EXPECT_EQ(moved.reveal(), kText);
  Secret assigned;
  EXPECT_EQ(assigned.redacted(), "****(0 bytes)");
  assigned = std::move(moved);
  EXPECT_EQ(assigned.reveal(), kText);
  assigned = Secret("short");
  EXPECT_EQ(assigned.reveal(), "short");
  assigned.clear();
  EXPECT_TRUE(assigned.empty());
  EXPECT_EQ(assigned.reveal(), "");
}

}  // namespace
}  // namespace exitbrain
