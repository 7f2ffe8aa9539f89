#include "core/events.h"

namespace sm4 {
namespace {

Observer& silent() {
    static Observer nobody;
    return nobody;
}

Observer* current = nullptr;

}  // namespace

Observer& events() { return current ? *current : silent(); }

ObserverScope::ObserverScope(Observer& observer) : previous_(current) { current = &observer; }

ObserverScope::~ObserverScope() { current = previous_; }

void notify(const std::string& text) { events().notice({NoticeEvent::Level::Info, text}); }

void headline(const std::string& text) { events().notice({NoticeEvent::Level::Headline, text}); }

void warn(const std::string& text) { events().notice({NoticeEvent::Level::Warning, text}); }

}  // namespace sm4
