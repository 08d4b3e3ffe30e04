#pragma once
// A JSON Schema compiled once (at registration) and checked many times (every call).
// Built on valijson with the draft-07 keyword set, which also covers the everyday 2020-12
// keywords ($defs, const, if/then/else, exclusiveMinimum as a number); keywords valijson
// does not know are ignored, as JSON Schema asks. Remote $refs are refused at compile time.
//
// Threading: compile() is a start-up call; validate() is const and safe from any thread.
#include <memory>
#include <optional>
#include <string>

#include "shield/mcp/tool.hpp"
#include "shield/util/error.hpp"

namespace shield::mcp {

// The first problem found, phrased for a person (or a model) to fix the input:
// pointer "/count", reason "expected integer, got string".
struct SchemaViolation {
  std::string pointer;  // JSON Pointer into the instance; "" is the instance itself
  std::string reason;
  // "/count: expected integer, got string"; the whole instance shows as "(root)".
  [[nodiscard]] std::string to_string() const;
};

class SchemaValidator {
 public:
  // kInvalidArgument, saying why, when `schema` is not a schema valijson can use.
  static Result<std::shared_ptr<const SchemaValidator>> compile(const Json& schema);

  ~SchemaValidator();
  SchemaValidator(const SchemaValidator&) = delete;
  SchemaValidator& operator=(const SchemaValidator&) = delete;

  // nullopt when `instance` conforms.
  [[nodiscard]] std::optional<SchemaViolation> validate(const Json& instance) const;

  [[nodiscard]] const Json& schema() const { return schema_; }

 private:
  struct Compiled;
  SchemaValidator(Json schema, std::unique_ptr<Compiled> compiled);

  Json schema_;
  std::unique_ptr<Compiled> compiled_;
};

}  // namespace shield::mcp
