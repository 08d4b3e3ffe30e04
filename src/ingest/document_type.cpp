#include "shield/ingest/document_type.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <string>

#include <fmt/format.h>

namespace shield::ingest {
namespace {

using namespace std::string_view_literals;

// What the first bytes say.
enum class Content { kPdf, kDocx, kText, kHtmlText, kUnsupported };

struct Sniffed {
  Content content = Content::kText;
  std::string what;  // kUnsupported: why, for the message
};

bool starts_with_bytes(std::string_view data, std::string_view magic) {
  return data.substr(0, magic.size()) == magic;
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// ZIP-based formats name their parts in the archive's directory, which sits at the end of
// the file; local headers at the start name them too. Searching the whole file for the part
// names is cheap next to extracting it and needs no unzipping here.
Sniffed sniff_zip(std::string_view data) {
  const auto has = [&](std::string_view part) { return data.find(part) != std::string_view::npos; };
  if (has("word/document.xml")) return {Content::kDocx, ""};
  if (has("xl/workbook.xml")) return {Content::kUnsupported, "an Excel workbook (.xlsx)"};
  if (has("ppt/presentation.xml")) {
    return {Content::kUnsupported, "a PowerPoint presentation (.pptx)"};
  }
  if (has("application/vnd.oasis.opendocument")) {
    return {Content::kUnsupported, "an OpenDocument file (.odt, .ods, .odp)"};
  }
  if (has("application/epub+zip")) return {Content::kUnsupported, "an EPUB book"};
  return {Content::kUnsupported, "a ZIP archive that is not a DOCX document"};
}

bool looks_like_html(std::string_view data) {
  std::size_t start = 0;
  if (starts_with_bytes(data, "\xEF\xBB\xBF")) start = 3;
  while (start < data.size() && std::isspace(static_cast<unsigned char>(data[start])) != 0) {
    ++start;
  }
  const std::string head = lower(data.substr(start, 512));
  if (head.starts_with("<!doctype html") || head.starts_with("<html")) return true;
  // An XHTML file starts with an XML declaration, then the root element.
  return head.starts_with("<?xml") && head.find("<html") != std::string::npos;
}

Sniffed sniff(std::string_view data) {
  // The PDF header may follow some junk; readers look for it in the first kilobyte.
  if (data.substr(0, 1024).find("%PDF-") != std::string_view::npos) return {Content::kPdf, ""};
  if (starts_with_bytes(data, "PK\x03\x04") || starts_with_bytes(data, "PK\x05\x06")) {
    return sniff_zip(data);
  }
  struct Magic {
    std::string_view bytes;
    std::string_view what;
  };
  // Literals with the sv suffix, so the NUL bytes in them count.
  static constexpr std::array<Magic, 11> kMagics{{
      {"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1"sv,
       "a legacy Microsoft Office file (.doc, .xls, .ppt); save it as DOCX or PDF"},
      {"{\\rtf"sv, "an RTF document; save it as DOCX or PDF"},
      {"\x89PNG"sv, "a PNG image (OCR is not supported)"},
      {"\xFF\xD8\xFF"sv, "a JPEG image (OCR is not supported)"},
      {"GIF8"sv, "a GIF image (OCR is not supported)"},
      {"II*\x00"sv, "a TIFF image (OCR is not supported)"},
      {"MM\x00*"sv, "a TIFF image (OCR is not supported)"},
      {"\x1F\x8B"sv, "a gzip-compressed file"},
      {"7z\xBC\xAF\x27\x1C"sv, "a 7-Zip archive"},
      {"Rar!\x1A"sv, "a RAR archive"},
      {"%!PS"sv, "a PostScript file"},
  }};
  for (const auto& magic : kMagics) {
    if (starts_with_bytes(data, magic.bytes)) {
      return {Content::kUnsupported, std::string(magic.what)};
    }
  }
  if (data.size() >= 12 && starts_with_bytes(data, "RIFF") && data.substr(8, 4) == "WEBP") {
    return {Content::kUnsupported, "a WebP image (OCR is not supported)"};
  }
  // UTF-16 text holds NUL bytes; its byte order mark says it is text all the same.
  const bool utf16 = starts_with_bytes(data, "\xFF\xFE") || starts_with_bytes(data, "\xFE\xFF");
  if (!utf16 && data.substr(0, 8192).find('\0') != std::string_view::npos) {
    return {Content::kUnsupported, "a binary file (it holds NUL bytes), not text"};
  }
  return {looks_like_html(data) ? Content::kHtmlText : Content::kText, ""};
}

std::string extension_of(std::string_view filename) {
  const std::size_t slash = filename.find_last_of("/\\");
  if (slash != std::string_view::npos) filename.remove_prefix(slash + 1);
  const std::size_t dot = filename.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return {};
  return lower(filename.substr(dot + 1));
}

// The type an extension names, when it names one we know.
std::optional<DocumentType> type_of_extension(std::string_view extension) {
  if (extension == "pdf") return DocumentType::kPdf;
  if (extension == "docx") return DocumentType::kDocx;
  if (extension == "txt" || extension == "text") return DocumentType::kTxt;
  if (extension == "md" || extension == "markdown" || extension == "mdown" || extension == "mkd") {
    return DocumentType::kMarkdown;
  }
  if (extension == "html" || extension == "htm" || extension == "xhtml") return DocumentType::kHtml;
  return std::nullopt;
}

bool is_text_type(DocumentType type) {
  return type == DocumentType::kTxt || type == DocumentType::kMarkdown ||
         type == DocumentType::kHtml;
}

std::string name_for_message(std::string_view filename) {
  return filename.empty() ? std::string("the document") : fmt::format("'{}'", filename);
}

}  // namespace

std::string_view to_string(DocumentType type) noexcept {
  switch (type) {
    case DocumentType::kPdf:
      return "pdf";
    case DocumentType::kDocx:
      return "docx";
    case DocumentType::kTxt:
      return "txt";
    case DocumentType::kMarkdown:
      return "md";
    case DocumentType::kHtml:
      return "html";
  }
  return "txt";
}

std::optional<DocumentType> parse_document_type(std::string_view text) noexcept {
  for (const DocumentType type : {DocumentType::kPdf, DocumentType::kDocx, DocumentType::kTxt,
                                  DocumentType::kMarkdown, DocumentType::kHtml}) {
    if (to_string(type) == text) return type;
  }
  return std::nullopt;
}

std::string_view content_type_of(DocumentType type) noexcept {
  switch (type) {
    case DocumentType::kPdf:
      return "application/pdf";
    case DocumentType::kDocx:
      return "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
    case DocumentType::kTxt:
      return "text/plain";
    case DocumentType::kMarkdown:
      return "text/markdown";
    case DocumentType::kHtml:
      return "text/html";
  }
  return "text/plain";
}

std::string_view display_name(DocumentType type) noexcept {
  switch (type) {
    case DocumentType::kPdf:
      return "PDF";
    case DocumentType::kDocx:
      return "DOCX";
    case DocumentType::kTxt:
      return "plain text";
    case DocumentType::kMarkdown:
      return "Markdown";
    case DocumentType::kHtml:
      return "HTML";
  }
  return "plain text";
}

Result<DocumentType> detect_document_type(std::string_view data, std::string_view filename,
                                          std::optional<DocumentType> requested) {
  const std::string name = name_for_message(filename);
  if (data.empty()) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("empty document: {} has no content (0 bytes)", name));
  }
  const Sniffed sniffed = sniff(data);
  if (sniffed.content == Content::kUnsupported) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("unsupported document type: {} is {}; supported are PDF, DOCX, "
                            "plain text, Markdown and HTML",
                            name, sniffed.what));
  }
  const std::string extension = extension_of(filename);
  const std::optional<DocumentType> named = type_of_extension(extension);

  DocumentType detected = DocumentType::kTxt;
  switch (sniffed.content) {
    case Content::kPdf:
      detected = DocumentType::kPdf;
      break;
    case Content::kDocx:
      detected = DocumentType::kDocx;
      break;
    case Content::kHtmlText:
      detected = named && is_text_type(*named) ? *named : DocumentType::kHtml;
      break;
    default:
      detected = named && is_text_type(*named) ? *named : DocumentType::kTxt;
      break;
  }
  if (named && *named != detected && !(is_text_type(*named) && is_text_type(detected))) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("type mismatch: {} is named .{} but its content is {}{}", name,
                            extension, display_name(detected),
                            is_text_type(detected) ? " (no PDF or DOCX signature)" : ""));
  }
  if (!requested) return detected;
  if (is_text_type(*requested) && is_text_type(detected)) return *requested;
  if (*requested != detected) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("type mismatch: doc_type is '{}' but {} is {}", to_string(*requested),
                            name, display_name(detected)));
  }
  return detected;
}

}  // namespace shield::ingest
