// The head of an HTTP/1.1 request, for the dashboard (server/dashboard.h): read with
// Boost.Beast's parser from bytes as they arrive, within a size limit, so that nothing a
// client sends is trusted before it has been checked.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

namespace theater::server {

struct HttpRequest {
  std::string method;   // "GET"
  std::string target;   // "/app.js?x=1"
  std::string path;     // the target without its query: "/app.js"
  std::map<std::string, std::string> headers;  // names in lower case; a repeated one joined with ", "
  bool has_body = false;  // Content-Length > 0 or chunked: the dashboard takes no bodies

  // The header's value, or "".
  std::string Header(const std::string& lower_case_name) const;
  // Whether a comma-separated header (Connection, Upgrade) lists `token`, ignoring case.
  bool HeaderHasToken(const std::string& lower_case_name, std::string_view token) const;
};

class HttpRequestReader {
 public:
  explicit HttpRequestReader(size_t max_head_bytes);
  ~HttpRequestReader();
  HttpRequestReader(const HttpRequestReader&) = delete;
  HttpRequestReader& operator=(const HttpRequestReader&) = delete;

  // Takes the bytes that arrived. Returns true once the head is whole (then request() has
  // it, and *used says how many of these bytes were its last); false when more are needed.
  // An error says what is wrong (a malformed head, or one larger than the limit).
  Result<bool> Feed(std::string_view bytes, size_t* used);
  const HttpRequest& request() const { return request_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  HttpRequest request_;
};

}  // namespace theater::server
