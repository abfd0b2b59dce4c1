#include "net/address.h"

#include <cstddef>
#include <string>

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

TEST(SocketAddressTest, ParsesUnixPaths) {
  auto local = SocketAddress::Parse("unix:/tmp/ringlet.sock");
  ASSERT_TRUE(local.ok()) << local.status();
  EXPECT_TRUE(local->is_unix());
  EXPECT_EQ(local->family(), AF_UNIX);
  EXPECT_EQ(local->unix_path(), "/tmp/ringlet.sock");
  EXPECT_EQ(local->ToString(), "unix:/tmp/ringlet.sock");
  EXPECT_EQ(local->HostString(), "unix");
  EXPECT_EQ(local->port(), 0);
  EXPECT_EQ(local->length(), offsetof(sockaddr_un, sun_path) + 18);
  EXPECT_FALSE(SocketAddress::Parse("unix:").ok());
  EXPECT_FALSE(SocketAddress::Parse("unix:/" + std::string(107, 'a')).ok());
  EXPECT_TRUE(SocketAddress::Parse("unix:/" + std::string(106, 'a')).ok());
  // The unnamed peer of an accepted local connection.
  sockaddr_un unnamed{};
  unnamed.sun_family = AF_UNIX;
  SocketAddress peer =
      SocketAddress::FromSockaddr(reinterpret_cast<sockaddr*>(&unnamed), sizeof(sa_family_t));
  EXPECT_TRUE(peer.is_unix());
  EXPECT_EQ(peer.unix_path(), "");
  EXPECT_EQ(peer.ToString(), "unix:");
}

}  // namespace
}  // namespace ringlet
