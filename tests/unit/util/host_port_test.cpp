#include "shield/util/host_port.hpp"

#include <gtest/gtest.h>

namespace shield {
namespace {

TEST(HostPortTest, ParsesIpv4AndName) {
  auto a = parse_host_port("127.0.0.1:8765");
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 8765);
  auto b = parse_host_port("localhost:0");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->port, 0);
  EXPECT_TRUE(b->is_loopback());
}

TEST(HostPortTest, ParsesBracketedIpv6AndPrintsItBack) {
  auto a = parse_host_port("[::1]:9090");
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->host, "::1");
  EXPECT_EQ(a->port, 9090);
  EXPECT_TRUE(a->is_loopback());
  EXPECT_EQ(a->to_string(), "[::1]:9090");
}

TEST(HostPortTest, RejectsWithReasons) {
  auto no_port = parse_host_port("127.0.0.1");
  ASSERT_FALSE(no_port);
  EXPECT_NE(no_port.error().message.find("HOST:PORT"), std::string::npos);
  auto big = parse_host_port("127.0.0.1:70000");
  ASSERT_FALSE(big);
  EXPECT_NE(big.error().message.find("0 to 65535"), std::string::npos);
  auto bare_v6 = parse_host_port("::1:80");
  ASSERT_FALSE(bare_v6);
  EXPECT_NE(bare_v6.error().message.find("brackets"), std::string::npos);
  EXPECT_FALSE(parse_host_port("host:12ab"));
  EXPECT_FALSE(parse_host_port(":80"));
  EXPECT_FALSE(parse_host_port("[::1]80"));
}

TEST(HostPortTest, LoopbackDetection) {
  EXPECT_TRUE((HostPort{"127.1.2.3", 1}).is_loopback());
  EXPECT_FALSE((HostPort{"0.0.0.0", 1}).is_loopback());
  EXPECT_FALSE((HostPort{"192.168.1.1", 1}).is_loopback());
}

}  // namespace
}  // namespace shield
