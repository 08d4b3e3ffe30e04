# Every dependency is a Debian 12 package (see scripts/install-deps.sh). Boost is pinned to
# 1.81 (Beast, Asio, URL, JSON); the distribution default 1.74 must not be mixed in.
find_package(Boost 1.81.0 EXACT REQUIRED CONFIG COMPONENTS json url system)
add_compile_definitions(BOOST_ASIO_NO_DEPRECATED BOOST_BEAST_USE_STD_STRING_VIEW)

find_package(nlohmann_json 3.11 REQUIRED CONFIG)
find_package(valijson REQUIRED CONFIG)
find_package(prometheus-cpp REQUIRED CONFIG)
find_package(fmt REQUIRED CONFIG)
find_package(spdlog REQUIRED CONFIG)
find_package(tomlplusplus REQUIRED CONFIG)
find_package(CLI11 REQUIRED CONFIG)
find_package(tl-expected REQUIRED CONFIG)
find_package(CURL 7.88 REQUIRED)
find_package(SQLite3 3.40 REQUIRED)
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)

# Document extraction (ingest): PDF, DOCX (zip + XML) and HTML. libzip through pkg-config:
# its CMake config file is broken on Debian 12.
find_package(pugixml 1.13 REQUIRED CONFIG)
pkg_check_modules(POPPLER_CPP REQUIRED IMPORTED_TARGET poppler-cpp>=22.12)
pkg_check_modules(LIBZIP REQUIRED IMPORTED_TARGET libzip>=1.7)
pkg_check_modules(GUMBO REQUIRED IMPORTED_TARGET gumbo>=0.10)

if(SHIELD_BUILD_TESTS)
  find_package(GTest REQUIRED CONFIG)
  include(GoogleTest)
endif()
