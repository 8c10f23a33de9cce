// kernel_registry.h: how the simulator finds a kernel by name and calls it with a cuLaunchKernel parameter array.
// build.sh generates one file per kernel family that includes the .cu file and registers each extern "C"
// __global__ function with CUDASIM_KERNEL; the driver looks kernels up by family and name.
#pragma once

#include <cstddef>
#include <type_traits>
#include <utility>

namespace cudasim {

// Calls the kernel with the arguments that kernelParams points at, each read with its declared type (as the
// driver copies sizeof(parameter) bytes from each pointer).
using Invoker = void (*)(void** params);

struct KernelEntry {
    const char* family;
    const char* name;
    Invoker invoke;
    int arity;
};

void register_kernel(const KernelEntry& k);

template <typename... A, std::size_t... I>
void call_with(void (*f)(A...), void** p, std::index_sequence<I...>) {
    f(*static_cast<std::remove_cv_t<std::remove_reference_t<A>>*>(p[I])...);
}

template <typename... A>
void call(void (*f)(A...), void** p) { call_with(f, p, std::index_sequence_for<A...>{}); }

template <typename... A>
constexpr int arity_of(void (*)(A...)) { return sizeof...(A); }

struct Registrar {
    explicit Registrar(const KernelEntry& k) { register_kernel(k); }
};

}  // namespace cudasim

#define CUDASIM_KERNEL(family, name)                                                                    \
    static cudasim::Registrar cudasim_registrar_##name(cudasim::KernelEntry{                           \
            family, #name, [](void** p) { cudasim::call(&name, p); }, cudasim::arity_of(&name)});
