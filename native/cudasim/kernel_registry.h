// kernel_registry.h: how the simulator finds a kernel by name and calls it with a cuLaunchKernel parameter array.
// build.sh generates one file per kernel family that includes the .cu file and registers each extern "C"
// __global__ function with CUDASIM_KERNEL; the driver looks kernels up by family and name.
#pragma once

#include <cstddef>
#include <functional>
#include <tuple>
#include <type_traits>
#include <utility>

namespace cudasim {

// A kernel with its arguments: what every thread of a launch calls.
using Bound = std::function<void()>;

// Reads the arguments that kernelParams points at, each with its declared type (sizeof(parameter) bytes from
// each pointer, as the driver copies them at launch), and returns the kernel bound to those values: the caller's
// parameter array may be gone when it runs (a launch captured into a graph runs at each graph launch).
using Binder = Bound (*)(void** params);

struct KernelEntry {
    const char* family;
    const char* name;
    Binder bind;
    int arity;
};

void register_kernel(const KernelEntry& k);

template <typename T>
using Value = std::remove_cv_t<std::remove_reference_t<T>>;

template <typename... A, std::size_t... I>
Bound bind_with(void (*f)(A...), void** p, std::index_sequence<I...>) {
    std::tuple<Value<A>...> args(*static_cast<Value<A>*>(p[I])...);
    return [f, args]() { std::apply(f, args); };
}

template <typename... A>
Bound bind(void (*f)(A...), void** p) { return bind_with(f, p, std::index_sequence_for<A...>{}); }

template <typename... A>
constexpr int arity_of(void (*)(A...)) { return sizeof...(A); }

struct Registrar {
    explicit Registrar(const KernelEntry& k) { register_kernel(k); }
};

}  // namespace cudasim

#define CUDASIM_KERNEL(family, name)                                                                    \
    static cudasim::Registrar cudasim_registrar_##name(cudasim::KernelEntry{                           \
            family, #name, [](void** p) { return cudasim::bind(&name, p); }, cudasim::arity_of(&name)});
