#pragma once

// OfflineDelivery: hands one user's stored offline messages (XEP-0160) to a
// session that has just become available, paced by that session's send
// queue, and deletes each page from storage only once it has been written
// to the client's socket. A backlog larger than the send queue therefore
// goes out page by page instead of cutting the client off, and a client
// that disconnects halfway finds the rest (and at worst the page in flight
// again) at its next login. Nothing is deleted before it left the server.
//
// Lifecycle: made by the router on the user's home shard when a session
// sends its initial presence, held in a shared_ptr (callbacks hold weak
// references); Finished() is called once, when the queue is empty, the
// session went away, or storage failed. The session pointer is valid until
// the session's WhenWritten() reports false, after which it is not touched.
// Shard-local: the home shard of the user.
// Limits: a page holds at most half of the session's free send queue (the
// other half stays free for live traffic), and at least one message.

#include <cstdint>
#include <memory>
#include <string>

#include "absl/functional/any_invocable.h"
#include "storage/storage.h"
#include "xmpp/router/local_session.h"

namespace ringlet::xmpp {

// Returns `stanza` with an XEP-0203 <delay from=domain stamp=.../> added as
// its last child.
std::string WithDelay(const std::string& stanza, std::string_view domain, int64_t stored_at_ms);

class OfflineDelivery : public std::enable_shared_from_this<OfflineDelivery> {
 public:
  struct Context {
    // The home shard's storage writer; writes are committed at the end of
    // the turn once commit_soon() was called.
    storage::StorageWriter* writer = nullptr;
    absl::AnyInvocable<void()> commit_soon;
    // Called once when the delivery is over (from one of its callbacks).
    absl::AnyInvocable<void()> finished;
  };

  OfflineDelivery(LocalSession* session, std::string user, Context context);

  // Delivers the first page. Call once.
  void Start();

 private:
  // Delivers the next page, or finishes when there is none.
  void Next();
  // After a page was written (or not): delete it, go on.
  void OnWritten(bool written);
  void Finish();

  LocalSession* const session_;
  const std::string user_;
  Context context_;
  uint64_t last_delivered_id_ = 0;  // the newest id handed to the session
  uint64_t deleted_up_to_id_ = 0;
  // Set when a message did not fit into an empty send queue: waiting will
  // not help, so the next such case ends the delivery.
  bool waited_for_room_ = false;
  bool finished_ = false;
};

}  // namespace ringlet::xmpp
