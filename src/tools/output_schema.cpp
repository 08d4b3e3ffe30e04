#include "shield/tools/output_schema.hpp"

#include <utility>

namespace shield::tools {

mcp::Json output_schema_with_error(mcp::Json success) {
  using mcp::Json;
  const Json error{{"type", "object"},
                   {"description", "Present instead of the result when isError is true."},
                   {"required", {"code", "message"}},
                   {"properties",
                    {{"code", {{"type", "string"}}},
                     {"message", {{"type", "string"}}},
                     {"backend", {{"type", "string"}}},
                     {"retry_after_s", {{"type", {"integer", "null"}}}},
                     {"detail", {{"type", "string"}}},
                     {"http_status", {{"type", "integer"}}}}}};
  Json required = success.value("required", Json::array());
  success["properties"]["error"] = error;
  success.erase("required");
  success["anyOf"] = Json::array(
      {Json{{"required", std::move(required)}}, Json{{"required", Json::array({"error"})}}});
  return success;
}

}  // namespace shield::tools
