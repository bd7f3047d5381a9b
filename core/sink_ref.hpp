#pragma once
// A non-owning reference to any `void(const Event&)` callable: lets a parser take a lambda
// without a template in its header and without std::function's allocation.
#include <concepts>
#include <memory>
#include <type_traits>

namespace exitbrain {

template <class Event>
class SinkRef {
 public:
  template <class F>
  requires(!std::same_as<std::remove_cvref_t<F>, SinkRef>) explicit SinkRef(F& f) noexcept
      : target_(const_cast<void*>(static_cast<const void*>(std::addressof(f)))),
        call_(&invoke<F>) {}
  void operator()(const Event& e) const { call_(target_, e); }

 private:
  template <class F>
  static void invoke(void* f, const Event& e) {
    (*static_cast<F*>(f))(e);
  }
  void* target_;
  void (*call_)(void*, const Event&);
};

}  // namespace exitbrain
