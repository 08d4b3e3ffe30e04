#include "shield/mcp/schema_validator.hpp"

#include <gtest/gtest.h>

namespace shield::mcp {
namespace {

std::shared_ptr<const SchemaValidator> compile(const char* schema) {
  auto compiled = SchemaValidator::compile(Json::parse(schema));
  EXPECT_TRUE(compiled) << (compiled ? "" : compiled.error().message);
  return compiled ? *compiled : nullptr;
}

std::string violation_of(const SchemaValidator& validator, const char* instance) {
  const auto violation = validator.validate(Json::parse(instance));
  return violation ? violation->to_string() : std::string("(valid)");
}

constexpr const char* kCounter = R"({
  "type":"object",
  "properties":{"count":{"type":"integer","minimum":1,"maximum":10},
                "name":{"type":"string","minLength":2},
                "mode":{"enum":["fast","slow"]},
                "tags":{"type":"array","items":{"type":"string"}},
                "a/b":{"type":"boolean"}},
  "required":["count"],
  "additionalProperties":false})";

TEST(SchemaValidation, AcceptsConformingInstances) {
  auto validator = compile(kCounter);
  ASSERT_TRUE(validator);
  EXPECT_EQ(violation_of(*validator, R"({"count":3})"), "(valid)");
  EXPECT_EQ(violation_of(*validator, R"({"count":3,"name":"ab","tags":["x"],"mode":"fast"})"),
            "(valid)");
}

TEST(SchemaValidation, NamesTheArgumentAndTheTypeMismatch) {
  auto validator = compile(kCounter);
  ASSERT_TRUE(validator);
  EXPECT_EQ(violation_of(*validator, R"({"count":"3"})"), "/count: expected integer, got string");
  EXPECT_EQ(violation_of(*validator, R"({"count":2.5})"), "/count: expected integer, got number");
}

TEST(SchemaValidation, NamesAMissingRequiredProperty) {
  auto validator = compile(kCounter);
  ASSERT_TRUE(validator);
  EXPECT_EQ(violation_of(*validator, R"({})"), "/count: required property 'count' is missing");
}

TEST(SchemaValidation, NamesAnUnexpectedProperty) {
  auto validator = compile(kCounter);
  ASSERT_TRUE(validator);
  EXPECT_EQ(violation_of(*validator, R"({"count":1,"colour":"red"})"),
            "/colour: property 'colour' is not allowed");
}

TEST(SchemaValidation, ReportsBoundsWithTheSchemaNumbers) {
  auto validator = compile(kCounter);
  ASSERT_TRUE(validator);
  EXPECT_EQ(violation_of(*validator, R"({"count":0})"), "/count: must be >= 1");
  EXPECT_EQ(violation_of(*validator, R"({"count":11})"), "/count: must be <= 10");
  EXPECT_EQ(violation_of(*validator, R"({"count":1,"name":"x"})"),
            "/name: must be at least this many characters: 2");
  EXPECT_EQ(violation_of(*validator, R"({"count":1,"mode":"medium"})"),
            R"(/mode: must be one of ["fast","slow"])");
}

TEST(SchemaValidation, PointsIntoArraysAndEscapesPointerTokens) {
  auto validator = compile(kCounter);
  ASSERT_TRUE(validator);
  EXPECT_EQ(violation_of(*validator, R"({"count":1,"tags":["a",7]})"),
            "/tags/1: expected string, got integer");
  EXPECT_EQ(violation_of(*validator, R"({"count":1,"a/b":"yes"})"),
            "/a~1b: expected boolean, got string");
}

TEST(SchemaValidation, RootProblemsShowAsRoot) {
  auto validator = compile(kCounter);
  ASSERT_TRUE(validator);
  EXPECT_EQ(violation_of(*validator, R"([1,2])"), "(root): expected object, got array");
}

TEST(SchemaValidation, FollowsLocalRefsInto2020_12Defs) {
  auto validator = compile(R"({
    "$schema":"https://json-schema.org/draft/2020-12/schema","type":"object",
    "$defs":{"address":{"type":"object","properties":{"city":{"type":"string"}}}},
    "properties":{"address":{"$ref":"#/$defs/address"}}})");
  ASSERT_TRUE(validator);
  EXPECT_EQ(violation_of(*validator, R"({"address":{"city":"Oslo"}})"), "(valid)");
  EXPECT_EQ(violation_of(*validator, R"({"address":{"city":5}})"),
            "/address/city: expected string, got integer");
}

TEST(SchemaValidation, ConditionalAndCompositionKeywordsApply) {
  auto validator = compile(R"({
    "type":"object",
    "properties":{"contactMethod":{"type":"string","enum":["phone","email"]},
                  "phone":{"type":"string"},"email":{"type":"string"}},
    "allOf":[{"anyOf":[{"required":["phone"]},{"required":["email"]}]}],
    "if":{"properties":{"contactMethod":{"const":"phone"}},"required":["contactMethod"]},
    "then":{"required":["phone"]},"else":{"required":["email"]},
    "additionalProperties":false})");
  ASSERT_TRUE(validator);
  EXPECT_EQ(violation_of(*validator, R"({"contactMethod":"phone","phone":"123"})"), "(valid)");
  EXPECT_EQ(violation_of(*validator, R"({"email":"a@b"})"), "(valid)");
  EXPECT_NE(violation_of(*validator, R"({"contactMethod":"phone","email":"a@b"})"), "(valid)");
  EXPECT_NE(violation_of(*validator, R"({})"), "(valid)");
}

TEST(SchemaValidation, Draft7ExclusiveBoundsAreNumbers) {
  auto validator = compile(R"({"type":"object","properties":{"x":{"type":"number",
                              "exclusiveMinimum":0}}})");
  ASSERT_TRUE(validator);
  EXPECT_EQ(violation_of(*validator, R"({"x":0.5})"), "(valid)");
  EXPECT_EQ(violation_of(*validator, R"({"x":0})"), "/x: must be > 0");
}

TEST(SchemaValidation, CompileRefusesNonSchemas) {
  EXPECT_FALSE(SchemaValidator::compile(Json(5)));
  EXPECT_FALSE(SchemaValidator::compile(Json::parse(R"({"$ref":"http://x/y.json"})")));
  EXPECT_TRUE(SchemaValidator::compile(Json(true)));
}

}  // namespace
}  // namespace shield::mcp
