// libcurl, loaded on the first outgoing HTTP request (dlopen), not when the process starts:
// its dependencies (GnuTLS, Kerberos, LDAP, ...) cost about 4 ms of dynamic linking at
// every start of `theater`, which most commands and most servers never use.
#pragma once

#include <curl/curl.h>

#include "common/status.h"

namespace theater::host {

// The functions of libcurl the HTTP client calls, with the header's exact types.
struct Curl {
  decltype(&::curl_global_init) global_init;
  decltype(&::curl_easy_init) easy_init;
  decltype(&::curl_easy_cleanup) easy_cleanup;
  decltype(&::curl_easy_setopt) easy_setopt;
  decltype(&::curl_easy_perform) easy_perform;
  decltype(&::curl_easy_getinfo) easy_getinfo;
  decltype(&::curl_easy_strerror) easy_strerror;
  decltype(&::curl_slist_append) slist_append;
  decltype(&::curl_slist_free_all) slist_free_all;
  decltype(&::curl_url) url;
  decltype(&::curl_url_cleanup) url_cleanup;
  decltype(&::curl_url_set) url_set;
  decltype(&::curl_url_get) url_get;
  decltype(&::curl_free) free;
};

// libcurl, loaded and initialized (curl_global_init) on the first call; the error names
// the library and what dlopen said when it cannot be loaded.
Result<const Curl*> LoadCurl();

}  // namespace theater::host
