#pragma once
// A loopback TCP port the kernel just handed out: free now, and (ephemeral ports cycle
// slowly) for the moment a server started by a test takes to bind it. Callers retry if it
// was taken meanwhile.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace exitbrain::testing {

inline int free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
    port = ntohs(addr.sin_port);
  ::close(fd);
  return port;
}

}  // namespace exitbrain::testing
