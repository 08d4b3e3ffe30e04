#pragma once
// DocumentType: what kind of file an ingest job was given, decided from the file's first
// bytes (magic numbers) and its name's extension, and checked against the doc_type the
// caller asked for. Binary formats are told by their content alone (a PDF named .txt is a
// PDF, and a mismatch between the two is reported); among text formats (txt, md, html) the
// extension, then doc_type, decides, since the bytes cannot.
//
// Threading: pure functions over the bytes given.
// Errors (kInvalidArgument, naming the file and what was found): an empty file; a doc_type
// or extension the content contradicts; a format we do not extract (legacy Office, other
// ZIP-based formats such as .xlsx, images, RTF, other binary files).
#include <optional>
#include <string_view>

#include "shield/util/error.hpp"

namespace shield::ingest {

enum class DocumentType { kPdf, kDocx, kTxt, kMarkdown, kHtml };

// "pdf", "docx", "txt", "md", "html": the doc_type spellings.
[[nodiscard]] std::string_view to_string(DocumentType type) noexcept;
// The doc_type spellings above; "auto" and anything else give nullopt.
[[nodiscard]] std::optional<DocumentType> parse_document_type(std::string_view text) noexcept;
// The MIME type recorded as Document::content_type.
[[nodiscard]] std::string_view content_type_of(DocumentType type) noexcept;
// "PDF", "DOCX", "plain text", "Markdown", "HTML": for messages.
[[nodiscard]] std::string_view display_name(DocumentType type) noexcept;

// `requested`: the caller's doc_type, nullopt for "auto". `filename` may be empty.
[[nodiscard]] Result<DocumentType> detect_document_type(std::string_view data,
                                                        std::string_view filename,
                                                        std::optional<DocumentType> requested);

}  // namespace shield::ingest
