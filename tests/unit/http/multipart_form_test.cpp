#include "shield/http/multipart_form.hpp"

#include <gtest/gtest.h>

namespace shield::http {
namespace {

constexpr std::string_view kType = "multipart/form-data; boundary=XyZ";

std::string body_of(std::initializer_list<std::string> parts) {
  std::string body;
  for (const auto& part : parts) body += "--XyZ\r\n" + part + "\r\n";
  return body + "--XyZ--\r\n";
}

TEST(MultipartForm, ReadsFieldsAndFilesWithTheirBytesIntact) {
  // Binary bytes, a NUL and a near-boundary inside the file; sized by the array, not by hand.
  constexpr char kBinary[] = "%PDF-1.7\r\n\0\x01--XyZnot a boundary\r\n";
  const std::string binary(kBinary, sizeof(kBinary) - 1);
  const std::string body = body_of({
      "Content-Disposition: form-data; name=\"doc_type\"\r\n\r\npdf",
      "Content-Disposition: form-data; name=\"file\"; filename=\"a report.pdf\"\r\n"
      "Content-Type: application/pdf\r\n\r\n" +
          binary,
  });
  auto parts = parse_multipart_form(kType, body);
  ASSERT_TRUE(parts) << parts.error().message;
  ASSERT_EQ(parts->size(), 2U);
  EXPECT_EQ((*parts)[0].name, "doc_type");
  EXPECT_EQ((*parts)[0].data, "pdf");
  EXPECT_EQ((*parts)[0].content_type, "text/plain");
  EXPECT_FALSE((*parts)[0].filename);
  const FormPart* file = find_part(*parts, "file");
  ASSERT_NE(file, nullptr);
  EXPECT_EQ(file->filename, "a report.pdf");
  EXPECT_EQ(file->content_type, "application/pdf");
  EXPECT_EQ(file->data, binary);
  EXPECT_EQ(find_part(*parts, "missing"), nullptr);
}

TEST(MultipartForm, QuotedBoundaryPreambleAndExtendedFilename) {
  const std::string body =
      "ignored preamble\r\n--a:b c\r\n"
      "Content-Disposition: form-data; name=file; filename=\"fallback.txt\"; "
      "filename*=UTF-8''r%C3%A9sum%C3%A9.txt\r\n\r\nhello\r\n--a:b c--";
  auto parts = parse_multipart_form("Multipart/Form-Data; boundary=\"a:b c\"", body);
  ASSERT_TRUE(parts) << parts.error().message;
  ASSERT_EQ(parts->size(), 1U);
  EXPECT_EQ((*parts)[0].filename, "r\xC3\xA9sum\xC3\xA9.txt");
  EXPECT_EQ((*parts)[0].data, "hello");
}

TEST(MultipartForm, AnEmptyFileIsAPartWithNoBytes) {
  auto parts = parse_multipart_form(
      kType,
      body_of({"Content-Disposition: form-data; name=\"file\"; filename=\"e.txt\"\r\n\r\n"}));
  ASSERT_TRUE(parts) << parts.error().message;
  ASSERT_EQ(parts->size(), 1U);
  EXPECT_TRUE((*parts)[0].data.empty());
}

TEST(MultipartForm, MalformedBodiesSayWhatIsWrong) {
  auto expect_error = [](std::string_view type, std::string_view body, std::string_view needle) {
    auto parts = parse_multipart_form(type, body);
    ASSERT_FALSE(parts) << "accepted: " << body;
    EXPECT_EQ(parts.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(parts.error().message.find(needle), std::string::npos) << parts.error().message;
  };
  expect_error("application/json", "{}", "expected Content-Type multipart/form-data");
  expect_error("multipart/form-data", "--x\r\n", "boundary parameter");
  expect_error(kType, "no delimiter here", "never appears");
  expect_error(kType, "--XyZ\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\ndata cut off",
               "closing boundary is missing");
  expect_error(kType, "--XyZ\r\nContent-Type: text/plain\r\n\r\nx\r\n--XyZ--",
               "lacks Content-Disposition");
  expect_error(kType, "--XyZ\r\nContent-Disposition: attachment; name=\"f\"\r\n\r\nx\r\n--XyZ--",
               "not form-data");
  expect_error(kType, "--XyZ\r\nContent-Disposition: form-data; name=\"f\"", "headers never end");
  expect_error(kType, "--XyZjunk", "not followed by a line break");
}

TEST(MultipartForm, ThePartCountIsBounded) {
  std::string body;
  for (int i = 0; i < 5; ++i)
    body += "--XyZ\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\nx\r\n";
  body += "--XyZ--";
  EXPECT_TRUE(parse_multipart_form(kType, body, 5));
  auto parts = parse_multipart_form(kType, body, 4);
  ASSERT_FALSE(parts);
  EXPECT_NE(parts.error().message.find("more than 4 parts"), std::string::npos);
}

}  // namespace
}  // namespace shield::http
