#include "shield/tools/metadata_filter.hpp"

#include <array>
#include <cctype>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace shield::tools {
namespace {

using Json = nlohmann::json;

constexpr std::size_t kMaxDepth = 3;
constexpr std::size_t kMaxClauseItems = 64;
constexpr std::size_t kMaxConditions = 100;
constexpr std::size_t kMaxMatchValues = 256;
constexpr std::size_t kMaxKeyLength = 256;
constexpr std::string_view kPrefix = "metadata.";
constexpr std::array<std::string_view, 3> kClauses = {"must", "should", "must_not"};
constexpr std::array<std::string_view, 4> kRangeBounds = {"gt", "gte", "lt", "lte"};

bool is_clause(std::string_view name) {
  for (const auto clause : kClauses) {
    if (clause == name) return true;
  }
  return false;
}

std::string type_name(const Json& value) {
  return value.type_name();
}

// Validates one filter; counts field conditions into `conditions`.
class FilterCheck {
 public:
  Result<void> filter(const Json& node, const std::string& path, std::size_t depth) {
    if (!node.is_object()) {
      return problem(path, fmt::format("expected an object with must, should or must_not, got {}",
                                       type_name(node)));
    }
    if (node.empty()) return problem(path, "an empty filter; give must, should or must_not");
    if (depth > kMaxDepth) {
      return problem(path, fmt::format("filters nest at most {} levels deep", kMaxDepth));
    }
    for (const auto& [name, clause] : node.items()) {
      if (!is_clause(name)) {
        return problem(path, fmt::format("'{}' is not allowed; a filter has only must, should "
                                         "and must_not",
                                         name));
      }
      const std::string clause_path = path + "." + name;
      if (clause.is_array()) {
        if (clause.empty()) return problem(clause_path, "an empty list of conditions");
        if (clause.size() > kMaxClauseItems) {
          return problem(clause_path,
                         fmt::format("{} conditions; at most {}", clause.size(), kMaxClauseItems));
        }
        for (std::size_t i = 0; i < clause.size(); ++i) {
          if (auto ok = condition(clause[i], fmt::format("{}[{}]", clause_path, i), depth); !ok) {
            return ok;
          }
        }
      } else if (auto ok = condition(clause, clause_path, depth); !ok) {
        return ok;
      }
    }
    return {};
  }

 private:
  Result<void> condition(const Json& node, const std::string& path, std::size_t depth) {
    if (!node.is_object()) {
      return problem(path, fmt::format("expected a condition object, got {}", type_name(node)));
    }
    if (!node.contains("key")) {
      // Not a field condition: it must be a nested filter.
      for (const auto& [name, unused] : node.items()) {
        (void)unused;
        if (!is_clause(name)) {
          return problem(path, fmt::format("'{}' is not allowed; a condition is {{key, match}}, "
                                           "{{key, range}} or a nested filter",
                                           name));
        }
      }
      return filter(node, path, depth + 1);
    }
    if (++conditions_ > kMaxConditions) {
      return problem(path, fmt::format("more than {} conditions in one filter", kMaxConditions));
    }
    for (const auto& [name, unused] : node.items()) {
      (void)unused;
      if (name != "key" && name != "match" && name != "range") {
        return problem(path, fmt::format("'{}' is not allowed; a field condition is {{key, "
                                         "match}} or {{key, range}}",
                                         name));
      }
    }
    if (auto ok = key(node["key"], path + ".key"); !ok) return ok;
    const bool has_match = node.contains("match");
    const bool has_range = node.contains("range");
    if (has_match == has_range) {
      return problem(path, "a field condition needs exactly one of match or range");
    }
    return has_match ? match(node["match"], path + ".match")
                     : range(node["range"], path + ".range");
  }

  static Result<void> key(const Json& node, const std::string& path) {
    if (!node.is_string()) return problem(path, "expected a string");
    const auto& text = node.get_ref<const std::string&>();
    if (text.size() > kMaxKeyLength) {
      return problem(path, fmt::format("longer than {} characters", kMaxKeyLength));
    }
    if (!text.starts_with(kPrefix)) {
      return problem(path, fmt::format("'{}' is not a metadata key; filters apply to the "
                                       "metadata stored with each entry, e.g. 'metadata.{}'",
                                       text, text.empty() ? "source" : text));
    }
    std::string_view rest = std::string_view(text).substr(kPrefix.size());
    if (rest.empty()) return problem(path, "'metadata.' needs a field name after the dot");
    while (!rest.empty()) {
      const std::size_t dot = rest.find('.');
      std::string_view part = rest.substr(0, dot);
      if (part.ends_with("[]")) part.remove_suffix(2);
      if (part.empty()) return problem(path, fmt::format("'{}' has an empty field name", text));
      for (const char c : part) {
        if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '_' && c != '-') {
          return problem(path, fmt::format("'{}' contains '{}'; field names use letters, digits, "
                                           "'_' and '-' (and '[]' for lists)",
                                           text, c));
        }
      }
      if (dot == std::string_view::npos) break;
      rest.remove_prefix(dot + 1);
      if (rest.empty()) return problem(path, fmt::format("'{}' ends with a dot", text));
    }
    return {};
  }

  static Result<void> match(const Json& node, const std::string& path) {
    if (!node.is_object() || node.size() != 1) {
      return problem(path, "expected exactly one of {value}, {any}, {except} or {text}");
    }
    // Not `*node.items().begin()`: that binds to a proxy which dies with the statement.
    const auto entry = node.begin();
    const std::string& name = entry.key();
    const Json& value = entry.value();
    if (name == "value") {
      if (value.is_string() || value.is_number_integer() || value.is_boolean()) return {};
      return problem(path + ".value", fmt::format("expected a string, integer or boolean, got {}",
                                                  type_name(value)));
    }
    if (name == "any" || name == "except") {
      const std::string list_path = path + "." + name;
      if (!value.is_array() || value.empty() || value.size() > kMaxMatchValues) {
        return problem(list_path, fmt::format("expected a list of 1 to {} strings or integers",
                                              kMaxMatchValues));
      }
      const bool strings = value.front().is_string();
      for (const auto& item : value) {
        if (strings ? !item.is_string() : !item.is_number_integer()) {
          return problem(list_path, "expected only strings or only integers");
        }
      }
      return {};
    }
    if (name == "text") {
      if (value.is_string() && !value.get_ref<const std::string&>().empty()) return {};
      return problem(path + ".text", "expected a non-empty string");
    }
    return problem(path, fmt::format("'{}' is not allowed; use value, any, except or text", name));
  }

  static Result<void> range(const Json& node, const std::string& path) {
    if (!node.is_object() || node.empty()) {
      return problem(path, "expected an object with gt, gte, lt and/or lte");
    }
    for (const auto& [name, value] : node.items()) {
      bool known = false;
      for (const auto bound : kRangeBounds) known = known || bound == name;
      if (!known) {
        return problem(path, fmt::format("'{}' is not allowed; use gt, gte, lt or lte", name));
      }
      if (!value.is_number()) {
        return problem(path + "." + name,
                       fmt::format("expected a number, got {}", type_name(value)));
      }
    }
    return {};
  }

  static Result<void> problem(const std::string& path, const std::string& what) {
    return fail(ErrorCode::kInvalidArgument, path + ": " + what);
  }

  std::size_t conditions_ = 0;
};

}  // namespace

Result<void> validate_metadata_filter(const nlohmann::json& filter) {
  FilterCheck check;
  return check.filter(filter, "filter", 1);
}

}  // namespace shield::tools
