// The kill switch's transport: a Unix socket of mode 0600 in the state directory, one line
// in and one line out; the client's errors when there is no daemon to ask.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "tests/support/test_files.hpp"
#include "tools/ops/control_socket.hpp"
#include "tools/ops/ops_thread.hpp"

namespace exitbrain {
namespace {

TEST(ControlSocket, OneCommandLineInOneReplyLineOutOnASocketOnlyItsOwnerMayUse) {
  const std::string dir = testing::make_test_dir("control_socket/roundtrip");
  const std::string path = control_socket_path(dir);
  {
    std::ofstream stale(path);  // a regular file of that name is never replaced
  }
  OpsThread ops;
  ControlSocketServer server(ops.io());
  const auto handler = [](std::string_view c) { return "{\"got\":\"" + std::string(c) + "\"}"; };
  const std::string refused = server.listen(path, handler);
  EXPECT_NE(refused.find("not a socket"), std::string::npos) << refused;
  std::filesystem::remove(path);
  ASSERT_EQ(server.listen(path, handler), "");
  ops.start();

  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  std::string error;
  EXPECT_EQ(control_request(path, "status", 2000, error), R"({"got":"status"})");
  EXPECT_EQ(error, "");
  EXPECT_EQ(control_request(path, "halt", 2000, error), R"({"got":"halt"})");
  // A line far longer than any command is refused, not read forever.
  const std::string reply = control_request(path, std::string(10'000, 'x'), 2000, error);
  EXPECT_NE(reply.find("too long"), std::string::npos) << reply << error;
  ops.stop([&] { server.close(); });
  EXPECT_FALSE(std::filesystem::exists(path)) << "closing removes the socket file";

  error.clear();
  EXPECT_EQ(control_request(path, "status", 500, error), "");
  EXPECT_NE(error.find("is exitbrain run running"), std::string::npos) << error;
}

TEST(ControlSocket, AStaleSocketIsReplacedAndATooLongPathIsAnError) {
  const std::string dir = testing::make_test_dir("control_socket/stale");
  const std::string path = control_socket_path(dir);
  {
    // What a daemon killed with SIGKILL leaves behind: a bound socket file, nobody on it.
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
    std::filesystem::remove(path);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ::close(fd);
  }
  ASSERT_TRUE(std::filesystem::exists(path));
  OpsThread ops;
  ControlSocketServer second(ops.io());
  ASSERT_EQ(second.listen(path, [](std::string_view) { return std::string("2"); }), "");
  ops.start();
  std::string error;
  EXPECT_EQ(control_request(path, "status", 2000, error), "2") << error;
  ops.stop([&] { second.close(); });

  ControlSocketServer far(ops.io());
  const std::string err = far.listen("/tmp/" + std::string(200, 'd') + "/control.sock",
                                     [](std::string_view) { return std::string(); });
  EXPECT_NE(err.find("longer than a Unix socket path"), std::string::npos) << err;
}

}  // namespace
}  // namespace exitbrain
