#pragma once
// Point ids for qdrant_store: a name-based UUID (RFC 4122 version 5, SHA-1) of the collection
// and the text, so storing the same text in the same collection again overwrites the point
// instead of adding a duplicate.
#include <string>
#include <string_view>

#include <boost/uuid/uuid.hpp>

namespace shield::tools {

// The project's own namespace for point ids. Changing it would orphan every stored point.
inline constexpr std::string_view kPointIdNamespace = "3c7a6b1e-0f52-5d1c-9a4e-6b8f2d7e1c90";

// RFC 4122 version-5 UUID of `name` in `name_space`, lower-case and hyphenated.
[[nodiscard]] std::string uuid_v5(const boost::uuids::uuid& name_space, std::string_view name);

// uuid_v5(kPointIdNamespace, collection + "\n" + text).
[[nodiscard]] std::string point_id(std::string_view collection, std::string_view text);

}  // namespace shield::tools
