#include "shield/ingest/document_type.hpp"

#include <string>

#include <gtest/gtest.h>

namespace shield::ingest {
namespace {

using namespace std::string_literals;

std::optional<DocumentType> detect(const std::string& data, const std::string& filename,
                                   std::optional<DocumentType> requested = std::nullopt) {
  const auto type = detect_document_type(data, filename, requested);
  if (!type) return std::nullopt;
  return *type;
}

std::string error_of(const std::string& data, const std::string& filename,
                     std::optional<DocumentType> requested = std::nullopt) {
  const auto type = detect_document_type(data, filename, requested);
  if (type) return "detected " + std::string(to_string(*type));
  EXPECT_EQ(type.error().code, ErrorCode::kInvalidArgument);
  return type.error().message;
}

const std::string kPdf = "%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj\n<<>>\nendobj\n";
const std::string kDocx = "PK\x03\x04"s + std::string(26, '\x01') +
                          "[Content_Types].xml...PK\x01\x02...word/document.xml...";
const std::string kXlsx = "PK\x03\x04"s + std::string(26, '\x01') + "xl/workbook.xml";

TEST(DocumentTypeTest, SpellingsRoundTrip) {
  for (const DocumentType type : {DocumentType::kPdf, DocumentType::kDocx, DocumentType::kTxt,
                                  DocumentType::kMarkdown, DocumentType::kHtml}) {
    EXPECT_EQ(parse_document_type(to_string(type)), type);
  }
  EXPECT_EQ(parse_document_type("auto"), std::nullopt);
  EXPECT_EQ(parse_document_type("PDF"), std::nullopt);
  EXPECT_EQ(content_type_of(DocumentType::kMarkdown), "text/markdown");
  EXPECT_EQ(content_type_of(DocumentType::kPdf), "application/pdf");
}

TEST(DocumentTypeTest, BinaryFormatsAreToldByTheirContent) {
  EXPECT_EQ(detect(kPdf, "report.pdf"), DocumentType::kPdf);
  EXPECT_EQ(detect(kPdf, ""), DocumentType::kPdf);
  EXPECT_EQ(detect("junk before the header %PDF-1.4\n", "scan"), DocumentType::kPdf);
  EXPECT_EQ(detect(kDocx, "letter.docx"), DocumentType::kDocx);
  EXPECT_EQ(detect(kDocx, "letter"), DocumentType::kDocx);
}

TEST(DocumentTypeTest, TextFormatsFollowTheExtensionThenTheContent) {
  EXPECT_EQ(detect("# Title\n", "notes.md"), DocumentType::kMarkdown);
  EXPECT_EQ(detect("# Title\n", "notes.MARKDOWN"), DocumentType::kMarkdown);
  EXPECT_EQ(detect("plain words", "notes.txt"), DocumentType::kTxt);
  EXPECT_EQ(detect("plain words", "notes"), DocumentType::kTxt);
  EXPECT_EQ(detect("plain words", "data.csv"), DocumentType::kTxt);
  EXPECT_EQ(detect("<p>hi</p>", "page.htm"), DocumentType::kHtml);
  EXPECT_EQ(detect("\n  <!DOCTYPE html><html></html>", "page"), DocumentType::kHtml);
  EXPECT_EQ(detect("<?xml version='1.0'?>\n<html xmlns='x'></html>", ""), DocumentType::kHtml);
  // HTML source in a .txt file is what the caller named it: text.
  EXPECT_EQ(detect("<html><body>x</body></html>", "source.txt"), DocumentType::kTxt);
  // UTF-16 text holds NUL bytes and is text all the same.
  EXPECT_EQ(detect("\xFF\xFEh\0i\0"s, "wide.txt"), DocumentType::kTxt);
}

TEST(DocumentTypeTest, DocTypeDecidesAmongTextFormatsAndMustMatchBinaryOnes) {
  EXPECT_EQ(detect("plain words", "notes.txt", DocumentType::kMarkdown), DocumentType::kMarkdown);
  EXPECT_EQ(detect("<html></html>", "", DocumentType::kTxt), DocumentType::kTxt);
  EXPECT_EQ(detect(kPdf, "x.pdf", DocumentType::kPdf), DocumentType::kPdf);
  EXPECT_EQ(error_of("plain words", "notes.txt", DocumentType::kPdf),
            "type mismatch: doc_type is 'pdf' but 'notes.txt' is plain text");
  EXPECT_EQ(error_of(kPdf, "", DocumentType::kMarkdown),
            "type mismatch: doc_type is 'md' but the document is PDF");
  EXPECT_EQ(error_of(kDocx, "a.docx", DocumentType::kPdf),
            "type mismatch: doc_type is 'pdf' but 'a.docx' is DOCX");
}

TEST(DocumentTypeTest, AnExtensionTheContentContradictsIsAMismatch) {
  EXPECT_EQ(error_of("just text", "report.pdf"),
            "type mismatch: 'report.pdf' is named .pdf but its content is plain text (no PDF or "
            "DOCX signature)");
  EXPECT_EQ(error_of(kPdf, "report.docx"),
            "type mismatch: 'report.docx' is named .docx but its content is PDF");
  EXPECT_EQ(error_of(kDocx, "letter.md"),
            "type mismatch: 'letter.md' is named .md but its content is DOCX");
}

TEST(DocumentTypeTest, UnsupportedFormatsSayWhatTheyAre) {
  const auto unsupported = [](const std::string& data, const std::string& filename) {
    return error_of(data, filename);
  };
  const std::string tail = "; supported are PDF, DOCX, plain text, Markdown and HTML";
  EXPECT_EQ(unsupported("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1"s + std::string(100, '\0'), "old.doc"),
            "unsupported document type: 'old.doc' is a legacy Microsoft Office file (.doc, .xls, "
            ".ppt); save it as DOCX or PDF" +
                tail);
  EXPECT_EQ(unsupported(kXlsx, "sheet.xlsx"),
            "unsupported document type: 'sheet.xlsx' is an Excel workbook (.xlsx)" + tail);
  EXPECT_EQ(unsupported("\x89PNG\r\n\x1A\n"s + std::string(8, '\0'), "scan.png"),
            "unsupported document type: 'scan.png' is a PNG image (OCR is not supported)" + tail);
  EXPECT_EQ(unsupported("\xFF\xD8\xFF\xE0", "photo.jpg"),
            "unsupported document type: 'photo.jpg' is a JPEG image (OCR is not supported)" + tail);
  EXPECT_EQ(
      unsupported("{\\rtf1\\ansi hello}", "memo.rtf"),
      "unsupported document type: 'memo.rtf' is an RTF document; save it as DOCX or PDF" + tail);
  EXPECT_EQ(unsupported("PK\x03\x04 nothing office here", "bundle.zip"),
            "unsupported document type: 'bundle.zip' is a ZIP archive that is not a DOCX "
            "document" +
                tail);
  EXPECT_EQ(
      unsupported("\x7F"
                  "ELF\x02\x01\x01"s +
                      std::string(9, '\0'),
                  "tool"),
      "unsupported document type: 'tool' is a binary file (it holds NUL bytes), not text" + tail);
}

TEST(DocumentTypeTest, AnEmptyFileIsRefused) {
  EXPECT_EQ(error_of("", "notes.md"), "empty document: 'notes.md' has no content (0 bytes)");
  EXPECT_EQ(error_of("", ""), "empty document: the document has no content (0 bytes)");
}

}  // namespace
}  // namespace shield::ingest
