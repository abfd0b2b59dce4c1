#include "xmpp/offline/offline_delivery.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "core/log.h"
#include "xmpp/xml/serializer.h"

namespace ringlet::xmpp {

std::string WithDelay(const std::string& stanza, std::string_view domain, int64_t stored_at_ms) {
  std::string delay;
  xml::XmlWriter w(&delay);
  w.Open("delay")
      .Attribute("xmlns", "urn:xmpp:delay")
      .Attribute("from", domain)
      .Attribute("stamp", absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ",
                                           absl::FromUnixMillis(stored_at_ms),
                                           absl::UTCTimeZone()))
      .Close();
  if (stanza.size() >= 2 && stanza.compare(stanza.size() - 2, 2, "/>") == 0) {
    size_t name_end = stanza.find_first_of(" \t\r\n/>", 1);
    std::string name = stanza.substr(1, name_end - 1);
    return absl::StrCat(stanza.substr(0, stanza.size() - 2), ">", delay, "</", name, ">");
  }
  size_t close = stanza.rfind("</");
  if (close == std::string::npos) return stanza;
  return absl::StrCat(stanza.substr(0, close), delay, stanza.substr(close));
}

OfflineDelivery::OfflineDelivery(LocalSession* session, std::string user, Context context)
    : session_(session), user_(std::move(user)), context_(std::move(context)) {}

void OfflineDelivery::Start() { Next(); }

void OfflineDelivery::Next() {
  const size_t room = session_->deliver_room();
  auto page = context_.writer->FetchOfflineMessages(user_, last_delivered_id_,
                                                    std::max<size_t>(room / 2, 1));
  if (!page.ok()) {
    LOG_ERROR("offline messages of %s: %s", user_, page.status().ToString());
    Finish();
    return;
  }
  if (page->empty()) {
    Finish();
    return;
  }
  const std::string& domain = session_->full_jid().domain();
  size_t handed = 0;
  for (const storage::OfflineMessage& message : *page) {
    std::string stanza = WithDelay(message.stanza, domain, message.stored_at_ms);
    if (stanza.size() > session_->deliver_room()) break;  // the rest waits for room
    session_->Deliver(stanza);
    last_delivered_id_ = message.id;
    ++handed;
  }
  if (handed == 0) {
    if (waited_for_room_) {
      // It did not fit even after the queue drained (the send queue is
      // smaller than the message): leave it stored, say so.
      LOG_ERROR("offline message %u of %s does not fit the send queue; kept",
                static_cast<unsigned>(page->front().id), user_);
      Finish();
      return;
    }
    waited_for_room_ = true;
  } else {
    waited_for_room_ = false;
  }
  std::weak_ptr<OfflineDelivery> self = weak_from_this();
  session_->WhenWritten([self](bool written) {
    if (auto delivery = self.lock()) delivery->OnWritten(written);
  });
}

void OfflineDelivery::OnWritten(bool written) {
  if (finished_) return;
  if (!written) {
    // The session ended: what was not deleted stays for the next login.
    Finish();
    return;
  }
  if (last_delivered_id_ > deleted_up_to_id_) {
    absl::Status deleted = context_.writer->DeleteOfflineMessages(user_, last_delivered_id_);
    if (!deleted.ok()) {
      LOG_ERROR("deleting offline messages of %s: %s", user_, deleted.ToString());
    } else {
      deleted_up_to_id_ = last_delivered_id_;
      context_.commit_soon();
    }
  }
  Next();
}

void OfflineDelivery::Finish() {
  if (finished_) return;
  finished_ = true;
  // Last: the owner may drop this object here.
  if (context_.finished) context_.finished();
}

}  // namespace ringlet::xmpp
