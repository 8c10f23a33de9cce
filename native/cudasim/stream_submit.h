// stream_submit.h: how the cuDNN and cuBLAS stand-ins (cudnn.cpp, cublas.cpp) put their work on a handle's
// stream, so that a stream capture of the simulated driver (driver.cpp) records it.
//
// A call validates its arguments and reads everything it needs from host memory (alpha, beta, descriptor contents)
// at call time, as the real libraries do, and returns its status then; what it computes on device memory is a
// closure of those values, handed to the driver's cudasim_stream_submit with the handle's stream. That runs it at
// once, or, where the stream captures, at each launch of the graph (and drops it when no graph holds it).
//
// The driver is looked up once, with dlopen("libcuda.so.1", RTLD_NOLOAD): the simulator's libcuda.so.1 has that
// soname, so glibc finds it however the process loaded it (by full path, RTLD_LOCAL or RTLD_GLOBAL). Where no
// libcuda.so.1 is loaded, or one without cudasim_stream_submit (a real driver), the work runs at once.
#pragma once

#include <dlfcn.h>

#include <new>
#include <utility>

namespace cudasim_stream {

// int cudasim_stream_submit(void* stream, void (*run)(void*), void* arg, void (*drop)(void*)), see driver.cpp.
using Submit = int (*)(void *, void (*)(void *), void *, void (*)(void *));

inline Submit driver() {
    static const Submit submit = [] {
        // Kept open (no dlclose): the function must stay valid as long as this library is loaded.
        void *lib = dlopen("libcuda.so.1", RTLD_NOLOAD | RTLD_LAZY);
        return lib == nullptr ? Submit(nullptr) : reinterpret_cast<Submit>(dlsym(lib, "cudasim_stream_submit"));
    }();
    return submit;
}

// Runs work (a callable taking nothing, holding its inputs by value) on stream, or records it where the stream
// captures. 0, or the driver's status: 901 for an invalidated capture, 400 for an unknown stream, 906 for the NULL
// stream beside a capturing blocking stream; -1 when the closure cannot be allocated.
template <class Work>
int submit(void *stream, Work work) {
    Submit s = driver();
    if (s == nullptr) {
        work();
        return 0;
    }
    Work *w = new (std::nothrow) Work(std::move(work));
    if (w == nullptr) return -1;
    return s(stream, [](void *p) { (*static_cast<Work *>(p))(); }, w, [](void *p) { delete static_cast<Work *>(p); });
}

}  // namespace cudasim_stream
