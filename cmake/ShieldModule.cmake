# shield_warnings(target): warnings are errors on our own code, never on dependencies'.
function(shield_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow
    -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Wunused -Woverloaded-virtual
    -Wimplicit-fallthrough -Werror)
  # Not -Wnull-dereference: at -O3 it fires on paths GCC invents while inlining libstdc++'s
  # shared_ptr and Asio's scheduler, which no source change of ours can address.
  # GCC 12 at -O2/-O3 reports impossible overlaps in inlined std::string concatenation
  # ("literal" + std::string(...), GCC bug 105651) and "may be used uninitialized" for
  # std::string members of aggregates built in place. Both are gone in GCC 13
  # and neither is our code's fault; the debug and ASan builds keep both diagnostics.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13
     AND NOT CMAKE_BUILD_TYPE STREQUAL "Debug")
    target_compile_options(${target} PRIVATE -Wno-restrict -Wno-maybe-uninitialized)
  endif()
endfunction()

# shield_module(name DEPS ...): src/<name>/**/*.cpp becomes the static library shield_<name>,
# with include/ as its public include root. Sources are globbed so adding a file to a
# module needs no CMake edit.
function(shield_module name)
  cmake_parse_arguments(M "" "" "DEPS" ${ARGN})
  file(GLOB_RECURSE srcs CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/${name}/*.cpp)
  add_library(shield_${name} STATIC ${srcs})
  target_include_directories(shield_${name} PUBLIC
    ${PROJECT_SOURCE_DIR}/include ${CMAKE_BINARY_DIR}/generated)
  target_link_libraries(shield_${name} PUBLIC ${M_DEPS})
  shield_warnings(shield_${name})
endfunction()

# shield_unit_test(module): tests/unit/<module>/*.cpp become the gtest binary unit_<module>.
function(shield_unit_test module)
  file(GLOB_RECURSE srcs CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/tests/unit/${module}/*.cpp)
  if(NOT srcs)
    return()
  endif()
  add_executable(unit_${module} ${srcs})
  target_link_libraries(unit_${module} PRIVATE shield_${module} GTest::gmock GTest::gtest_main)
  target_include_directories(unit_${module} PRIVATE ${PROJECT_SOURCE_DIR}/tests)
  shield_warnings(unit_${module})
  gtest_discover_tests(unit_${module} TEST_PREFIX "unit.${module}." DISCOVERY_TIMEOUT 30
    PROPERTIES LABELS unit)
endfunction()
