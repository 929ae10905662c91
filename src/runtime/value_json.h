// How component values are written into chain events (as JSON, stored as CBOR):
//   bool, integers, floats -> JSON scalars (NaN/inf as the strings "NaN", "inf", "-inf")
//   string, enum case      -> JSON string           char -> {"char": "x"}
//   list<u8>               -> byte string (CBOR major type 2)
//   list, tuple            -> array                 record -> object (field order kept)
//   option                 -> null | {"some": v}    result -> {"ok": v|null} | {"err": v|null}
//   variant                -> {"case": name, "value": v|null}    flags -> {"flags": [names]}
// Types are not recorded: a reader that needs them (replay) has the function's signature.
#pragma once

#include <nlohmann/json.hpp>

#include "common/cbor_writer.h"
#include "engine/failure.h"
#include "engine/value.h"

namespace theater {

using ordered_json = nlohmann::ordered_json;

ordered_json ValueToJson(const Value& v);
ordered_json ValuesToJson(const ValueList& values);
ordered_json BytesToJson(const Bytes& b);
ordered_json OptionalBytesToJson(const std::optional<Bytes>& b);

// The same mapping written straight as CBOR (no JSON tree; bytes copied once): the bytes
// equal to_cbor() of the functions above.
void WriteValue(CborWriter& w, const Value& v);
void WriteValues(CborWriter& w, const ValueList& values);
void WriteOptionalBytes(CborWriter& w, const std::optional<Bytes>& b);

// Large byte strings by reference (common/cbor_writer.h) in a JSON tree: whether `j` holds
// one that would be, and a copy with each such binary replaced by its reference (the tag
// as the binary's subtype), listed in `refs` (when given) with spans into `j`.
bool HasLargeBytes(const ordered_json& j);
ordered_json WithLargeBytesByRef(const ordered_json& j, std::vector<BytesByRef>* refs);

// How a failure is recorded: {"function", "kind", "message", "backtrace"}.
ordered_json FailureToJson(const Failure& f);

// For people: byte strings become {"utf8": ...} when valid UTF-8, else {"hex": ...}.
nlohmann::ordered_json ReadableJson(const nlohmann::ordered_json& j);

}  // namespace theater
