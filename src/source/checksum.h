#pragma once
// Flyway's checksum of a migration script: CRC32 over the UTF-8 bytes of each line without its
// terminator (\n, \r\n or \r), a byte-order mark removed from the first line, read as a signed
// 32-bit integer. Line endings and blank lines therefore do not change it; trailing spaces do.

#include <cstdint>
#include <string_view>

namespace tide::source {

int32_t FlywayChecksum(std::string_view content);

}  // namespace tide::source
