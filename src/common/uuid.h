// Random (version 4) UUIDs, in their 36-character text form.
#pragma once

#include <string>
#include <string_view>

namespace theater {

std::string NewUuidV4();
bool IsUuid(std::string_view text);

}  // namespace theater
