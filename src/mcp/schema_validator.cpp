#include "shield/mcp/schema_validator.hpp"

#include <exception>
#include <vector>

#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#if !VALIJSON_USE_EXCEPTIONS
#error \
    "valijson must report schema errors as exceptions (VALIJSON_USE_EXCEPTIONS=1); without it a bad schema aborts the process"
#endif

namespace shield::mcp {

struct SchemaValidator::Compiled {
  valijson::Schema schema;
};

namespace {

std::string escape_pointer_token(const std::string& token) {
  std::string out;
  for (char c : token) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string type_name(const Json& value) {
  switch (value.type()) {
    case Json::value_t::null:
      return "null";
    case Json::value_t::boolean:
      return "boolean";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
      return "integer";
    case Json::value_t::number_float:
      return "number";
    case Json::value_t::string:
      return "string";
    case Json::value_t::array:
      return "array";
    case Json::value_t::object:
      return "object";
    default:
      return "unknown";
  }
}

std::string short_json(const Json& value) {
  std::string text = value.dump();
  if (text.size() > 80) text = text.substr(0, 77) + "...";
  return text;
}

// Follows a local "$ref" ("#/$defs/x", "#/definitions/x", "#") within `root`; other
// subschemas come back unchanged. Null when the reference cannot be followed.
const Json* resolve_ref(const Json& root, const Json* node) {
  for (int hops = 0; node != nullptr && node->is_object() && hops < 16; ++hops) {
    const auto ref = node->find("$ref");
    if (ref == node->end() || !ref->is_string()) return node;
    const std::string& target = ref->get_ref<const std::string&>();
    if (target.empty() || target[0] != '#') return nullptr;
    try {
      node = &root.at(Json::json_pointer(target.substr(1)));
    } catch (const std::exception&) {
      return nullptr;
    }
  }
  return node;
}

// The subschema that governs the instance value at `steps` (object keys or array indexes,
// decided by the instance), for the simple shapes error messages need: properties,
// additionalProperties, items, prefixItems. Null when the schema is more intricate there.
const Json* subschema_at(const Json& root, const Json& instance,
                         const std::vector<std::string>& steps) {
  const Json* schema = resolve_ref(root, &root);
  const Json* value = &instance;
  for (const auto& step : steps) {
    if (schema == nullptr || !schema->is_object()) return nullptr;
    if (value->is_object()) {
      const auto props = schema->find("properties");
      if (props != schema->end() && props->is_object() && props->contains(step)) {
        schema = &(*props)[step];
      } else {
        const auto extra = schema->find("additionalProperties");
        if (extra == schema->end() || !extra->is_object()) return nullptr;
        schema = &*extra;
      }
      const auto next = value->find(step);
      if (next == value->end()) return nullptr;
      value = &*next;
    } else if (value->is_array()) {
      std::size_t index = 0;
      try {
        index = static_cast<std::size_t>(std::stoul(step));
      } catch (const std::exception&) {
        return nullptr;
      }
      const auto prefix = schema->find("prefixItems");
      const auto items = schema->find("items");
      if (prefix != schema->end() && prefix->is_array() && index < prefix->size()) {
        schema = &(*prefix)[index];
      } else if (items != schema->end() && items->is_array() && index < items->size()) {
        schema = &(*items)[index];
      } else if (items != schema->end() && items->is_object()) {
        schema = &*items;
      } else {
        return nullptr;
      }
      if (index >= value->size()) return nullptr;
      value = &(*value)[index];
    } else {
      return nullptr;
    }
    schema = resolve_ref(root, schema);
  }
  return schema;
}

std::string expected_types(const Json* schema) {
  if (schema == nullptr || !schema->is_object()) return {};
  const auto type = schema->find("type");
  if (type == schema->end()) return {};
  if (type->is_string()) return type->get<std::string>();
  if (!type->is_array()) return {};
  std::string out;
  for (std::size_t i = 0; i < type->size(); ++i) {
    if (!(*type)[i].is_string()) continue;
    if (!out.empty()) out += i + 1 == type->size() ? " or " : ", ";
    out += (*type)[i].get<std::string>();
  }
  return out;
}

std::string keyword_value(const Json* schema, const char* keyword) {
  if (schema == nullptr || !schema->is_object()) return {};
  const auto it = schema->find(keyword);
  return it == schema->end() ? std::string() : short_json(*it);
}

bool starts_with(const std::string& text, std::string_view prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

// Valijson's wording for the keywords people hit most, rephrased with the schema's own
// numbers (valijson prints limits with six decimals).
std::string rephrase(const std::string& description, const Json* schema, const Json* value) {
  const std::string got = value != nullptr ? type_name(*value) : std::string("another type");
  if (starts_with(description, "Value type not permitted")) {
    const std::string want = expected_types(schema);
    return want.empty() ? "value of type " + got + " is not allowed here"
                        : "expected " + want + ", got " + got;
  }
  if (starts_with(description, "Failed to match against any enum values")) {
    const std::string options = keyword_value(schema, "enum");
    return options.empty() ? "value is not one of the allowed values" : "must be one of " + options;
  }
  if (starts_with(description, "Failed to match expected value set by 'const'")) {
    const std::string expected = keyword_value(schema, "const");
    return expected.empty() ? "value differs from the required constant" : "must be " + expected;
  }
  struct Limit {
    std::string_view prefix;
    const char* keyword;
    const char* phrase;
  };
  static constexpr Limit kLimits[] = {
      {"Expected number greater than or equal to", "minimum", "must be >= "},
      {"Expected number greater than", "exclusiveMinimum", "must be > "},
      {"Expected number less than or equal to", "maximum", "must be <= "},
      {"Expected number less than", "exclusiveMaximum", "must be < "},
      {"String should be no fewer than", "minLength", "must be at least this many characters: "},
      {"String should be no more than", "maxLength", "must be at most this many characters: "},
      {"Array should contain no fewer than", "minItems", "must have at least this many items: "},
      {"Array should contain no more than", "maxItems", "must have at most this many items: "},
      {"Failed to match regex", "pattern", "must match the pattern "},
  };
  for (const auto& limit : kLimits) {
    if (!starts_with(description, limit.prefix)) continue;
    const std::string bound = keyword_value(schema, limit.keyword);
    if (!bound.empty()) return limit.phrase + bound;
    break;
  }
  std::string plain = description;
  if (!plain.empty() && plain.back() == '.') plain.pop_back();
  if (!plain.empty() && plain[0] >= 'A' && plain[0] <= 'Z') {
    plain[0] = static_cast<char>(plain[0] - 'A' + 'a');
  }
  return plain;
}

// Valijson reports a failure at every level it passes on the way up ("Failed to validate
// against schema associated with property name 'x'"); the leaf says what is wrong.
bool is_summary(const std::string& description) {
  return starts_with(description, "Failed to validate");
}

}  // namespace

std::string SchemaViolation::to_string() const {
  return (pointer.empty() ? std::string("(root)") : pointer) + ": " + reason;
}

SchemaValidator::SchemaValidator(Json schema, std::unique_ptr<Compiled> compiled)
    : schema_(std::move(schema)), compiled_(std::move(compiled)) {}

SchemaValidator::~SchemaValidator() = default;

Result<std::shared_ptr<const SchemaValidator>> SchemaValidator::compile(const Json& schema) {
  if (!schema.is_object() && !schema.is_boolean()) {
    return fail(ErrorCode::kInvalidArgument,
                "a JSON Schema must be an object or a boolean, not " + type_name(schema));
  }
  auto compiled = std::make_unique<Compiled>();
  try {
    valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
    valijson::adapters::NlohmannJsonAdapter adapter(schema);
    parser.populateSchema(adapter, compiled->schema);
  } catch (const std::exception& e) {
    return fail(ErrorCode::kInvalidArgument, std::string("unusable JSON Schema: ") + e.what());
  }
  return std::shared_ptr<const SchemaValidator>(new SchemaValidator(schema, std::move(compiled)));
}

std::optional<SchemaViolation> SchemaValidator::validate(const Json& instance) const {
  valijson::Validator validator(valijson::Validator::kStrongTypes);
  valijson::ValidationResults results;
  valijson::adapters::NlohmannJsonAdapter target(instance);
  bool ok = false;
  try {
    ok = validator.validate(compiled_->schema, target, &results);
  } catch (const std::exception& e) {
    return SchemaViolation{"", std::string("could not be validated: ") + e.what()};
  }
  if (ok) return std::nullopt;

  std::vector<valijson::ValidationResults::Error> errors;
  valijson::ValidationResults::Error error;
  while (results.popError(error)) errors.push_back(error);
  if (errors.empty()) return SchemaViolation{"", "does not match the schema"};

  const valijson::ValidationResults::Error* best = nullptr;
  for (const auto& candidate : errors) {
    if (best == nullptr) {
      best = &candidate;
      continue;
    }
    const bool candidate_leaf = !is_summary(candidate.description);
    const bool best_leaf = !is_summary(best->description);
    if (candidate_leaf != best_leaf) {
      if (candidate_leaf) best = &candidate;
      continue;
    }
    if (candidate.context.size() > best->context.size()) best = &candidate;
  }

  // Context is {"<root>", "[key]", "[0]", ...}; the instance tells keys from indexes.
  std::vector<std::string> steps;
  for (std::size_t i = 1; i < best->context.size(); ++i) {
    const std::string& part = best->context[i];
    steps.push_back(part.size() >= 2 && part.front() == '[' && part.back() == ']'
                        ? part.substr(1, part.size() - 2)
                        : part);
  }
  std::string pointer;
  for (const auto& step : steps) pointer += "/" + escape_pointer_token(step);

  const Json* value = &instance;
  for (const auto& step : steps) {
    if (value == nullptr) break;
    if (value->is_object()) {
      const auto it = value->find(step);
      value = it == value->end() ? nullptr : &*it;
    } else if (value->is_array()) {
      try {
        const auto index = static_cast<std::size_t>(std::stoul(step));
        value = index < value->size() ? &(*value)[index] : nullptr;
      } catch (const std::exception&) {
        value = nullptr;
      }
    } else {
      value = nullptr;
    }
  }
  const Json* schema = subschema_at(schema_, instance, steps);

  const std::string& description = best->description;
  static constexpr std::string_view kMissing = "Missing required property '";
  if (starts_with(description, kMissing)) {
    std::string name = description.substr(kMissing.size());
    const auto end = name.rfind('\'');
    if (end != std::string::npos) name.resize(end);
    return SchemaViolation{pointer + "/" + escape_pointer_token(name),
                           "required property '" + name + "' is missing"};
  }
  static constexpr std::string_view kUnwanted = "' constraints: '";
  if (const auto at = description.find(kUnwanted);
      starts_with(description, "Object contains a property") && at != std::string::npos) {
    std::string name = description.substr(at + kUnwanted.size());
    const auto end = name.rfind('\'');
    if (end != std::string::npos) name.resize(end);
    return SchemaViolation{pointer + "/" + escape_pointer_token(name),
                           "property '" + name + "' is not allowed"};
  }
  return SchemaViolation{pointer, rephrase(description, schema, value)};
}

}  // namespace shield::mcp
