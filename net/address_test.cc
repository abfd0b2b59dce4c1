#include "net/address.h"

#include "gtest/gtest.h"

namespace ringlet {
namespace {

TEST(SocketAddressTest, ParsesAndPrints) {
  auto v4 = SocketAddress::Parse("127.0.0.1:5222");
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(v4->family(), AF_INET);
  EXPECT_EQ(v4->port(), 5222);
  EXPECT_EQ(v4->ToString(), "127.0.0.1:5222");
  auto v6 = SocketAddress::Parse("[::1]:5269");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->family(), AF_INET6);
  EXPECT_EQ(v6->ToString(), "[::1]:5269");
  auto any = SocketAddress::Parse("*:0");
  ASSERT_TRUE(any.ok());
  EXPECT_EQ(any->ToString(), "[::]:0");
}

TEST(SocketAddressTest, RefusesBadInput) {
  EXPECT_FALSE(SocketAddress::Parse("localhost:5222").ok());
  EXPECT_FALSE(SocketAddress::Parse("127.0.0.1").ok());
  EXPECT_FALSE(SocketAddress::Parse("127.0.0.1:").ok());
  EXPECT_FALSE(SocketAddress::Parse("127.0.0.1:70000").ok());
  EXPECT_FALSE(SocketAddress::Parse("::1:5222").ok());
  EXPECT_FALSE(SocketAddress::Parse("[zz]:1").ok());
}

}  // namespace
}  // namespace ringlet
