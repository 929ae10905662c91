// Talking HTTP to servers under test: curl, and raw sockets for what curl will not send.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "loopback.h"
#include "test_util.h"

namespace theater::testing {

struct HttpResult {
  int status = 0;  // 0: no HTTP answer (refused, reset)
  std::string body;
  std::string headers;
};

// curl ARGS against http://127.0.0.1:PORT PATH.
inline HttpResult Curl(uint16_t port, const std::string& path, const std::string& args = "") {
  TempDir dir;
  std::string headers = (dir.path() / "headers").string();
  auto r = RunShell("curl -s --max-time 10 -D '" + headers + "' -w '\\n%{http_code}' " + args + " 'http://127.0.0.1:" +
                    std::to_string(port) + path + "'");
  HttpResult out;
  size_t nl = r.out.rfind('\n');
  if (nl == std::string::npos) return out;
  out.status = std::atoi(r.out.c_str() + nl + 1);
  out.body = r.out.substr(0, nl);
  out.headers = FileText(headers);
  return out;
}

// Sends `request` as it is and reads the answer until the server closes (or 5 s pass).
inline std::string RawExchange(uint16_t port, const std::string& request) {
  int fd = Connect(port);
  if (fd < 0) return "";
  (void)!::write(fd, request.data(), request.size());
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, n);
  ::close(fd);
  return out;
}

}  // namespace theater::testing
