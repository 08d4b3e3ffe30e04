#include "shield/ingest/upload_store.hpp"
#include "shield/util/base64.hpp"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include "unit/ingest/ingest_test_support.hpp"

namespace shield::ingest {
namespace {

using testing::file_names;
using testing::read_text;
using testing::TempDir;
using testing::write_text;

class UploadStoreTest : public ::testing::Test {
 protected:
  UploadStore make_store(std::size_t max_bytes = 1024) {
    UploadStoreOptions options;
    options.state_dir = dir_.path() / "state";
    options.max_upload_bytes = max_bytes;
    return UploadStore(options, loop_.blocking());
  }

  TempDir dir_;
  testing::Loop loop_;
};

TEST_F(UploadStoreTest, StoresTheBytesDurablyUnderARandomNameInAPrivateDirectory) {
  UploadStore store = make_store();
  const std::string bytes("hello\0world", 11);
  const auto path = loop_.run(store.store(bytes));
  ASSERT_TRUE(path) << path.error().message;
  EXPECT_EQ(path->parent_path(), dir_.path() / "state" / "uploads");
  EXPECT_EQ(store.directory(), dir_.path() / "state" / "uploads");
  const std::string name = path->filename().string();
  EXPECT_EQ(name.size(), 32U);
  EXPECT_EQ(name.find_first_not_of("0123456789abcdef"), std::string::npos) << name;
  EXPECT_EQ(read_text(*path), bytes);
  // No temporary file is left beside it.
  EXPECT_EQ(file_names(store.directory()), (std::vector<std::string>{name}));
  struct stat info {};
  ASSERT_EQ(::stat(store.directory().c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0700U);
  EXPECT_TRUE(store.owns(*path));

  const auto second = loop_.run(store.store("other"));
  ASSERT_TRUE(second);
  EXPECT_NE(*second, *path);
  EXPECT_EQ(read_text(*second), "other");
}

TEST_F(UploadStoreTest, RefusesAnUploadOverTheLimitAndWritesNothing) {
  UploadStore store = make_store(8);
  const auto at_limit = loop_.run(store.store("12345678"));
  ASSERT_TRUE(at_limit) << at_limit.error().message;
  const auto over = loop_.run(store.store("123456789"));
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(over.error().message,
            "the upload is 9 bytes, more than the limit of 8 bytes (jobs.max_upload_bytes)");
  EXPECT_EQ(file_names(store.directory()).size(), 1U);
}

TEST_F(UploadStoreTest, KeepCarriesSmallDocumentsInlineAndStoresLargeOnes) {
  UploadStore store = make_store(kInlineUploadMaxBytes + 10);
  const std::string small("tiny\0doc", 8);
  const auto inline_source = loop_.run(store.keep(small));
  ASSERT_TRUE(inline_source) << inline_source.error().message;
  EXPECT_EQ(*inline_source, (Json{{"inline", encode_base64(small)}}));
  EXPECT_FALSE(std::filesystem::exists(store.directory())) << "no file for an inline document";

  const std::string large(kInlineUploadMaxBytes + 1, 'x');
  const auto file_source = loop_.run(store.keep(large));
  ASSERT_TRUE(file_source) << file_source.error().message;
  ASSERT_TRUE(file_source->contains("upload"));
  const std::filesystem::path path = (*file_source)["upload"].get<std::string>();
  EXPECT_TRUE(store.owns(path));
  EXPECT_EQ(read_text(path), large);

  const auto over = loop_.run(store.keep(std::string(kInlineUploadMaxBytes + 11, 'x')));
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(over.error().message.find("(jobs.max_upload_bytes)"), std::string::npos);
}

TEST_F(UploadStoreTest, RemoveDeletesAnUploadAndToleratesOneAlreadyGone) {
  UploadStore store = make_store();
  const auto path = loop_.run(store.store("bytes"));
  ASSERT_TRUE(path);
  ASSERT_TRUE(loop_.run(store.remove(*path)));
  EXPECT_FALSE(std::filesystem::exists(*path));
  const auto again = loop_.run(store.remove(*path));
  EXPECT_TRUE(again) << again.error().message;
}

TEST_F(UploadStoreTest, RemoveRefusesAPathThatIsNotAnUpload) {
  UploadStore store = make_store();
  const auto victim = dir_.path() / "precious.txt";
  write_text(victim, "keep me");
  const auto removed = loop_.run(store.remove(victim));
  ASSERT_FALSE(removed);
  EXPECT_EQ(removed.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(removed.error().message.find(victim.string()), std::string::npos)
      << removed.error().message;
  EXPECT_NE(removed.error().message.find("not an upload in " + store.directory().string()),
            std::string::npos);
  EXPECT_EQ(read_text(victim), "keep me");
}

TEST_F(UploadStoreTest, OwnsOnlyRandomNamesDirectlyInTheUploadsDirectory) {
  UploadStore store = make_store();
  const auto& uploads = store.directory();
  const std::string name(32, 'a');
  EXPECT_TRUE(store.owns(uploads / name));
  EXPECT_TRUE(store.owns(uploads / "sub" / ".." / name));
  EXPECT_FALSE(store.owns(uploads / "sub" / name));
  EXPECT_FALSE(store.owns(uploads / ".." / name));
  EXPECT_FALSE(store.owns(uploads / std::string(31, 'a')));
  EXPECT_FALSE(store.owns(uploads / std::string(32, 'A')));
  EXPECT_FALSE(store.owns(uploads / "etc-passwd-is-not-an-upload-name"));
  EXPECT_FALSE(store.owns(std::filesystem::path("uploads") / name));  // relative
  EXPECT_FALSE(store.owns(std::filesystem::path("/etc") / name));
}

TEST_F(UploadStoreTest, SweepDeletesEveryFileNoJobReferences) {
  UploadStore store = make_store();
  const auto kept = loop_.run(store.store("kept"));
  const auto orphan = loop_.run(store.store("orphan"));
  const auto other = loop_.run(store.store("other"));
  ASSERT_TRUE(kept && orphan && other);
  // What a crash in the middle of a store leaves behind.
  write_text(store.directory() / ".tmp-0123-42-0", "half");
  std::filesystem::create_directory(store.directory() / "a-directory");

  const std::set<std::filesystem::path> referenced{
      *kept, dir_.path() / "elsewhere" / std::string(32, 'b')};
  const auto swept = loop_.run(store.sweep(referenced));
  ASSERT_TRUE(swept) << swept.error().message;
  EXPECT_EQ(*swept, 3U);
  std::vector<std::string> left{kept->filename().string(), "a-directory"};
  std::sort(left.begin(), left.end());  // file_names() is sorted; the random name is anywhere
  EXPECT_EQ(file_names(store.directory()), left);
  EXPECT_EQ(read_text(*kept), "kept");
}

TEST_F(UploadStoreTest, SweepCreatesTheDirectoryWhenThereIsNone) {
  UploadStore store = make_store();
  const auto swept = loop_.run(store.sweep({}));
  ASSERT_TRUE(swept) << swept.error().message;
  EXPECT_EQ(*swept, 0U);
  EXPECT_TRUE(std::filesystem::is_directory(store.directory()));
}

TEST_F(UploadStoreTest, DiskTroubleNamesThePathAndTheReason) {
  write_text(dir_.path() / "state", "a file where the state directory should be");
  UploadStore store = make_store();
  const auto path = loop_.run(store.store("bytes"));
  ASSERT_FALSE(path);
  EXPECT_EQ(path.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(path.error().message.find((dir_.path() / "state").string()), std::string::npos)
      << path.error().message;
  EXPECT_NE(path.error().message.find("Not a directory"), std::string::npos)
      << path.error().message;
}

TEST(UploadStoreOptionsTest, ComeFromTheJobsConfig) {
  config::JobsConfig jobs;
  jobs.state_dir = "/var/lib/shield";
  jobs.max_upload_bytes = 42;
  const UploadStoreOptions options = UploadStoreOptions::from(jobs);
  EXPECT_EQ(options.state_dir, "/var/lib/shield");
  EXPECT_EQ(options.max_upload_bytes, 42U);
}

}  // namespace
}  // namespace shield::ingest
