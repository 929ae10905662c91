#include "server/http_request.h"

#include <algorithm>
#include <cctype>

#include <boost/beast/http.hpp>

namespace theater::server {
namespace http = boost::beast::http;

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string HttpRequest::Header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

bool HttpRequest::HeaderHasToken(const std::string& name, std::string_view token) const {
  std::string value = Lower(Header(name));
  std::string wanted = Lower(token);
  std::string_view rest = value;
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    if (Trim(rest.substr(0, comma)) == wanted) return true;
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return false;
}

struct HttpRequestReader::Impl {
  http::request_parser<http::empty_body> parser;
};

HttpRequestReader::HttpRequestReader(size_t max_head_bytes) : impl_(std::make_unique<Impl>()) {
  impl_->parser.header_limit(static_cast<std::uint32_t>(max_head_bytes));
  impl_->parser.eager(false);  // stop at the end of the head
}

HttpRequestReader::~HttpRequestReader() = default;

Result<bool> HttpRequestReader::Feed(std::string_view bytes, size_t* used) {
  *used = 0;
  auto& p = impl_->parser;
  while (*used < bytes.size() && !p.is_header_done()) {
    boost::beast::error_code ec;
    size_t n = p.put(boost::asio::buffer(bytes.data() + *used, bytes.size() - *used), ec);
    *used += n;
    if (ec == http::error::need_more) {
      // Beast wants the whole head in one buffer: the caller keeps the bytes and feeds
      // them again with more. Nothing was taken.
      *used = 0;
      return false;
    }
    if (ec == http::error::header_limit) return Status::Error("the request's head is larger than the limit");
    if (ec) return Status::Error("not a valid HTTP request: " + ec.message());
    if (n == 0) break;
  }
  if (!p.is_header_done()) return false;
  const auto& m = p.get();
  request_.method = std::string(m.method_string());
  request_.target = std::string(m.target());
  request_.path = request_.target.substr(0, request_.target.find('?'));
  for (const auto& field : m) {
    std::string name = Lower(std::string_view(field.name_string().data(), field.name_string().size()));
    auto [it, added] = request_.headers.emplace(name, std::string(field.value()));
    if (!added) it->second += ", " + std::string(field.value());
  }
  request_.has_body = p.chunked() || (p.content_length() && *p.content_length() > 0);
  return true;
}

}  // namespace theater::server
