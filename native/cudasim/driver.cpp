// driver.cpp: the simulator's libcuda.so.1, the subset of the CUDA driver API that CudaDriver.java binds, on the
// host. See README.md beside this file for what the simulator checks and what it cannot.
//
// Device memory is host memory: cuMemAlloc maps pages of its own with an inaccessible page right after the
// buffer rounded up to 256 bytes (CUDA's alignment), so a kernel that runs past that faults at once (the JVM then
// stops with a crash report that names the kernel's frame). The bytes between the buffer and the guard page, and
// those before the buffer, are a canary of 0xfe bytes: a write there is reported when the memory is freed, and a
// read gives -1.7e38 (float) or -5e303 (double), which shows in any result. The buffer itself starts as 0xff bytes
// (a float or double NaN), so that a result computed from memory nobody wrote shows as NaN instead of a plausible
// zero. Every copy and memset is checked against the allocation it touches.
//
// Everything runs synchronously, in the calling thread, under one lock, except what a stream that is capturing
// records (cuStreamBeginCapture_v2): kernel launches, device-to-device copies, memsets and the work of the cuDNN
// and cuBLAS stand-ins (cudasim_stream_submit) become nodes of a graph that runs, in capture order, at each
// cuGraphLaunch. The current context is per thread, as in the real driver, so a call from a thread that never
// made the context current fails with CUDA_ERROR_INVALID_CONTEXT, as it would on a GPU.
#include "kernel_registry.h"
#include "cudasim.h"

#include <cctype>
#include <chrono>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <sys/mman.h>
#include <unistd.h>
#include <vector>

#define API extern "C" __attribute__((visibility("default")))

typedef int CUresult;
typedef int CUdevice;
typedef unsigned long long CUdeviceptr;

enum : int {
    CUDA_SUCCESS = 0, CUDA_ERROR_INVALID_VALUE = 1, CUDA_ERROR_OUT_OF_MEMORY = 2, CUDA_ERROR_NOT_INITIALIZED = 3,
    CUDA_ERROR_INVALID_DEVICE = 101, CUDA_ERROR_INVALID_IMAGE = 200, CUDA_ERROR_INVALID_CONTEXT = 201,
    CUDA_ERROR_INVALID_SOURCE = 300, CUDA_ERROR_INVALID_HANDLE = 400, CUDA_ERROR_ILLEGAL_STATE = 401,
    CUDA_ERROR_NOT_FOUND = 500, CUDA_ERROR_ILLEGAL_ADDRESS = 700, CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES = 701,
    CUDA_ERROR_LAUNCH_FAILED = 719, CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED = 900,
    CUDA_ERROR_STREAM_CAPTURE_INVALIDATED = 901, CUDA_ERROR_STREAM_CAPTURE_IMPLICIT = 906, CUDA_ERROR_UNKNOWN = 999
};

// CUstreamCaptureMode, CUstreamCaptureStatus, CU_STREAM_NON_BLOCKING.
enum : int { CAPTURE_GLOBAL = 0, CAPTURE_THREAD_LOCAL = 1, CAPTURE_RELAXED = 2 };
enum : int { CAPTURE_STATUS_NONE = 0, CAPTURE_STATUS_ACTIVE = 1, CAPTURE_STATUS_INVALIDATED = 2 };
constexpr unsigned STREAM_NON_BLOCKING = 1;

namespace {

std::recursive_mutex lock_;
bool initialised = false;

// What the process asked of the device, for tests of what a training step costs (cudasim_counters). Each counts
// calls of the host API: a kernel, copy or memset that a graph launch runs counts nothing but the graph launch
// (C_GRAPH_LAUNCH); one that a capture records counts its call and a captured node (C_CAPTURED). New counters go
// at the end: tests read them by position.
enum Counter {
    C_ALLOC, C_FREE, C_HOST_ALLOC, C_HTOD, C_DTOH, C_DTOD, C_MEMSET, C_LAUNCH, C_STREAM_SYNC, C_EVENT_SYNC,
    C_EVENT_RECORD, C_MODULE_LOAD, C_GRAPH_LAUNCH, C_CAPTURED, C_COUNT
};
long long counters[C_COUNT];

void complain(const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    std::fputs("cudasim: ", stderr);
    std::vfprintf(stderr, fmt, ap);
    std::fputc('\n', stderr);
    std::fflush(stderr);
    va_end(ap);
}

// ------------------------------------------------------------------------------------------ contexts

struct Context { int retained = 0; };
Context primary;
thread_local Context* current = nullptr;

#define REQUIRE_INIT() do { if (!initialised) return CUDA_ERROR_NOT_INITIALIZED; } while (0)
#define REQUIRE_CONTEXT() do { REQUIRE_INIT(); if (current == nullptr || primary.retained == 0) return CUDA_ERROR_INVALID_CONTEXT; } while (0)

// ------------------------------------------------------------------------------------------ memory

constexpr size_t PAGE = 4096, ALIGN = 256;
constexpr unsigned char CANARY = 0xfe;   // as a float -1.7e38, as a double -5e303: a read past the end shows
constexpr size_t TOTAL_MEMORY = 8ull << 30;

struct Allocation {
    char* map;         // the mapping: [guard page][canary][buffer][guard page]
    size_t mapBytes;
    size_t bytes;      // what was asked for
    size_t canaryBytes;
};
std::map<uintptr_t, Allocation> allocations;   // by buffer start
size_t allocatedBytes = 0;

size_t round_up(size_t v, size_t to) { return (v + to - 1) / to * to; }

// The allocation that holds [p, p + n), or null.
const Allocation* find_range(uintptr_t p, size_t n) {
    auto it = allocations.upper_bound(p);
    if (it == allocations.begin()) return nullptr;
    --it;
    if (p + n > it->first + it->second.bytes || p + n < p) return nullptr;
    return &it->second;
}

bool check_range(const char* fn, CUdeviceptr p, size_t n) {
    if (n == 0) return true;
    if (find_range((uintptr_t)p, n) != nullptr) return true;
    complain("%s: [0x%llx, +%zu bytes) is not inside one device allocation", fn, p, n);
    return false;
}

bool canary_intact(uintptr_t start, const Allocation& a) {
    const unsigned char* c = (const unsigned char*)(start - a.canaryBytes);
    for (size_t i = 0; i < a.canaryBytes; i++) if (c[i] != CANARY) return false;
    return true;
}

// ------------------------------------------------------------------------------------------ streams, events

struct Event { unsigned flags; bool recorded = false; std::chrono::steady_clock::time_point at; };
std::set<Event*> events;

// ------------------------------------------------------------------------------------------ graphs, capture

// One node of a graph: a kernel with its argument values and launch shape, a device-to-device copy, a memset, or
// the work of a library stand-in (cudasim_stream_submit), whose drop runs when no graph or exec holds it any more.
struct Node {
    enum class Kind { Kernel, Copy, Memset, Host } kind;
    const char* name = nullptr;            // the kernel's
    cudasim::Bound body;
    dim3 grid{}, block{};
    CUdeviceptr dst = 0, src = 0;          // copies and memsets
    size_t bytes = 0;                      // copies; memsets: elements
    unsigned value = 0, elementBytes = 0;  // memsets: the value, 4 (D32) or 1 (D8)
    void (*run)(void*) = nullptr;          // library work
    void (*drop)(void*) = nullptr;
    void* arg = nullptr;

    explicit Node(Kind k) : kind(k) {}
    Node(const Node&) = delete;
    Node& operator=(const Node&) = delete;
    ~Node() { if (drop != nullptr) drop(arg); }
};
using Nodes = std::vector<std::shared_ptr<Node>>;

// A graph (cuStreamEndCapture) and an executable graph (cuGraphInstantiateWithFlags) share their nodes, so an
// exec outlives its graph.
struct Graph { Nodes nodes; };
struct GraphExec { Nodes nodes; };
std::set<Graph*> graphs;
std::set<GraphExec*> execs;

// Which thread began a capture (THREAD_LOCAL mode): the address of a thread_local of that thread.
thread_local char threadTag;

struct Capture {
    int mode;
    const void* thread;
    bool invalidated = false;
    Nodes nodes;
};

struct Stream {
    unsigned flags;
    std::unique_ptr<Capture> capture;   // while it captures
};
std::map<void*, Stream> streams;

bool valid_stream(void* s) { return s == nullptr || streams.count(s) != 0; }

// The capture of stream s (null for the NULL stream and for a stream that does not capture).
Capture* capture_of(void* s) {
    auto it = streams.find(s);
    return it == streams.end() ? nullptr : it->second.capture.get();
}

void invalidate(Capture* c) {
    c->invalidated = true;
    c->nodes.clear();   // never runs: the library work it held is dropped now
}

// The legacy NULL stream synchronises with every blocking stream (created without CU_STREAM_NON_BLOCKING): using it
// while one of those captures would make the capture depend on outside work, which CUDA refuses with 906 and
// invalidates that capture.
CUresult legacy_stream_check(const char* fn, bool invalidating) {
    CUresult r = CUDA_SUCCESS;
    for (auto& [h, st] : streams) {
        if (st.capture == nullptr || (st.flags & STREAM_NON_BLOCKING) != 0) continue;
        complain("%s on the NULL stream while a blocking stream captures: the NULL stream would depend on it "
                 "(CUDA_ERROR_STREAM_CAPTURE_IMPLICIT)", fn);
        if (invalidating) invalidate(st.capture.get());
        r = CUDA_ERROR_STREAM_CAPTURE_IMPLICIT;
    }
    return r;
}

// Work that a capture records (kernels, device-to-device copies, memsets, library work): *into is the capture to
// append it to, or null to run it now; an error for a capture that was invalidated (901) and for the NULL stream
// beside a capturing blocking stream (906).
CUresult capture_target(const char* fn, void* s, Capture** into) {
    *into = nullptr;
    if (s == nullptr) return legacy_stream_check(fn, true);
    Capture* c = capture_of(s);
    if (c != nullptr && c->invalidated) return CUDA_ERROR_STREAM_CAPTURE_INVALIDATED;
    *into = c;
    return CUDA_SUCCESS;
}

void append(Capture* c, std::shared_ptr<Node> n) {
    c->nodes.push_back(std::move(n));
    counters[C_CAPTURED]++;
}

// Stream work that the simulator does not capture (host copies, event records, a stream synchronisation, a graph
// launch): refused on a capturing stream with 900, which invalidates the capture.
CUresult refuse_if_capturing(const char* fn, void* s) {
    if (s == nullptr) return legacy_stream_check(fn, true);
    Capture* c = capture_of(s);
    if (c == nullptr) return CUDA_SUCCESS;
    if (!c->invalidated)
        complain("%s on a stream that is capturing: not capturable here (the capture is invalidated)", fn);
    invalidate(c);
    return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;
}

// CUDA's "potentially unsafe" calls (allocating, freeing, loading modules, synchronising): prohibited while the
// calling thread captures in GLOBAL or THREAD_LOCAL mode, or any thread in GLOBAL mode; 900, and those captures are
// invalidated. RELAXED captures allow them.
CUresult refuse_if_unsafe(const char* fn) {
    CUresult r = CUDA_SUCCESS;
    for (auto& [h, st] : streams) {
        Capture* c = st.capture.get();
        if (c == nullptr || c->mode == CAPTURE_RELAXED) continue;
        if (c->mode == CAPTURE_THREAD_LOCAL && c->thread != &threadTag) continue;
        if (!c->invalidated)
            complain("%s while a stream captures in %s mode: prohibited (the capture is invalidated)", fn,
                     c->mode == CAPTURE_GLOBAL ? "global" : "thread-local");
        invalidate(c);
        r = CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;
    }
    return r;
}

// ------------------------------------------------------------------------------------------ modules

std::vector<cudasim::KernelEntry>& registry() {
    static std::vector<cudasim::KernelEntry> r;
    return r;
}

// The names of the kernels (entry functions) of the loaded image: the .entry directives of PTX, the STT_FUNC
// symbols marked STO_CUDA_ENTRY of a cubin.
struct Module { std::set<std::string> entries; };
struct Function { const cudasim::KernelEntry* kernel; Module* module; };
std::set<Module*> modules;
std::map<std::pair<Module*, std::string>, Function*> functions;

}  // namespace

void cudasim::register_kernel(const KernelEntry& k) { registry().push_back(k); }

// ------------------------------------------------------------------------------------------ the scheduler

namespace cudasim {
dim3 threadIdx, blockIdx, blockDim, gridDim;
uint64_t shuffle_slots[32][32];
}

namespace {

enum class State { Runnable, AtBarrier, AtShuffle, Done };

// Switches from one fiber's stack to another's: saves the callee-saved registers, MXCSR and the x87 control word on
// the current stack, stores its stack pointer in *from and resumes the stack to. glibc's swapcontext and getcontext do
// the same plus a sigprocmask system call each, which made the simulator's launches system-call bound (about 1 us a
// call where the kernel isolates its page tables, three per simulated thread); fibers never change the signal mask.
extern "C" void cudasim_switch(void** from, void* to);
asm(R"(
    .text
    .p2align 4
    .globl cudasim_switch
    .hidden cudasim_switch
    .type cudasim_switch, @function
cudasim_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    subq $8, %rsp
    stmxcsr (%rsp)
    fnstcw 4(%rsp)
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    ldmxcsr (%rsp)
    fldcw 4(%rsp)
    addq $8, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size cudasim_switch, .-cudasim_switch
)");

struct Fiber {
    void* sp = nullptr;   // the saved stack pointer of a fiber that is switched out
    char* stack = nullptr;
    State state = State::Done;
};

constexpr size_t STACK_BYTES = 256 * 1024;
std::vector<Fiber> fibers;
void* scheduler = nullptr;   // the scheduler's saved stack pointer while a fiber runs
int running = -1;
const cudasim::Bound* launchBody = nullptr;   // the kernel of the launch that runs, with its arguments

constexpr uint64_t POISON = ~0ull;   // 0xff bytes: a float or double NaN

// The __shared__ variables of every kernel (cudasim.h puts them in this section; the linker defines the bounds).
extern "C" char __start_cudasim_shared[] __attribute__((weak, visibility("hidden")));
extern "C" char __stop_cudasim_shared[] __attribute__((weak, visibility("hidden")));

// Where a fiber starts (cudasim_switch's ret lands here); it never returns: a finished fiber is never resumed.
[[noreturn]] void fiber_main() {
    (*launchBody)();
    fibers[running].state = State::Done;
    // what a later shuffle of the warp reads from this lane is undefined on the GPU
    cudasim::shuffle_slots[running / 32][running % 32] = POISON;
    cudasim_switch(&fibers[running].sp, scheduler);
    __builtin_trap();
}

void yield(State s) {
    fibers[running].state = s;
    cudasim_switch(&fibers[running].sp, scheduler);
}

// A fresh fiber's stack as cudasim_switch leaves a switched-out one: MXCSR and the x87 control word (the scheduler's),
// six zeroed callee-saved registers, then fiber_main as the return address, at a 16-byte boundary so that fiber_main
// starts with the stack aligned as after a call.
void start_fiber(Fiber& f) {
    uintptr_t top = ((uintptr_t)(f.stack + STACK_BYTES)) & ~(uintptr_t)15;
    uint64_t* p = (uint64_t*)(top - 16);   // 8 bytes of padding above the return address
    *p = (uint64_t)(uintptr_t)&fiber_main;
    for (int r = 0; r < 6; r++) *--p = 0;
    uint32_t csr;
    uint16_t cw;
    asm volatile("stmxcsr %0" : "=m"(csr));
    asm volatile("fnstcw %0" : "=m"(cw));
    --p;
    std::memcpy(p, &csr, 4);
    std::memcpy((char*)p + 4, &cw, 2);
    f.sp = p;
}

bool grow_fibers(size_t n) {
    while (fibers.size() < n) {
        // a guard page below each stack: an overflowing kernel faults instead of writing into its neighbour
        void* m = mmap(nullptr, STACK_BYTES + PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (m == MAP_FAILED) return false;
        mprotect(m, PAGE, PROT_NONE);
        Fiber f;
        f.stack = (char*)m + PAGE;
        fibers.push_back(f);
    }
    return true;
}

void set_thread(int t) {
    using cudasim::blockDim;
    cudasim::threadIdx.x = t % blockDim.x;
    cudasim::threadIdx.y = (t / blockDim.x) % blockDim.y;
    cudasim::threadIdx.z = t / (blockDim.x * blockDim.y);
}

// Runs one block to completion; false (with a message) when its threads wait for each other forever.
bool run_block(int nthreads, const char* name) {
    // Nothing of the previous block (or launch) shows through: shared memory and the shuffle slots of lanes that
    // do not write them read as NaN.
    if (__start_cudasim_shared != nullptr)
        std::memset(__start_cudasim_shared, 0xff, (size_t)(__stop_cudasim_shared - __start_cudasim_shared));
    std::memset(cudasim::shuffle_slots, 0xff, sizeof cudasim::shuffle_slots);
    for (int t = 0; t < nthreads; t++) {
        Fiber& f = fibers[t];
        start_fiber(f);
        f.state = State::Runnable;
    }
    const int nwarps = (nthreads + 31) / 32;
    for (;;) {
        for (int t = 0; t < nthreads; t++) {
            if (fibers[t].state != State::Runnable) continue;
            running = t;
            set_thread(t);
            cudasim_switch(&scheduler, fibers[t].sp);
        }
        // Everyone waits or is done: release a warp whose live threads all wait at a shuffle, else the block
        // when its live threads all wait at __syncthreads.
        bool released = false, anyLive = false, allAtBarrier = true;
        for (int w = 0; w < nwarps; w++) {
            int live = 0, atShuffle = 0;
            for (int t = 32 * w; t < nthreads && t < 32 * (w + 1); t++) {
                State s = fibers[t].state;
                if (s == State::Done) continue;
                live++;
                anyLive = true;
                if (s == State::AtShuffle) atShuffle++;
                if (s != State::AtBarrier) allAtBarrier = false;
            }
            if (live > 0 && atShuffle == live) {
                for (int t = 32 * w; t < nthreads && t < 32 * (w + 1); t++)
                    if (fibers[t].state == State::AtShuffle) fibers[t].state = State::Runnable;
                released = true;
            }
        }
        if (!anyLive) return true;
        if (released) continue;
        if (allAtBarrier) {
            for (int t = 0; t < nthreads; t++) if (fibers[t].state == State::AtBarrier) fibers[t].state = State::Runnable;
            continue;
        }
        complain("%s: block (%u, %u, %u) deadlocks: some threads wait at __syncthreads while others of the same warp "
                 "wait at a warp shuffle (divergent synchronisation)", name, cudasim::blockIdx.x, cudasim::blockIdx.y,
                 cudasim::blockIdx.z);
        return false;
    }
}

// Runs every block of a launch, one after another (the launch has been checked).
CUresult run_kernel(const char* name, const cudasim::Bound& body, dim3 grid, dim3 block) {
    const unsigned long long threads = (unsigned long long)block.x * block.y * block.z;
    if (!grow_fibers(threads)) return CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES;
    cudasim::gridDim = grid;
    cudasim::blockDim = block;
    launchBody = &body;
    for (unsigned int z = 0; z < grid.z; z++)
        for (unsigned int y = 0; y < grid.y; y++)
            for (unsigned int x = 0; x < grid.x; x++) {
                cudasim::blockIdx = dim3{x, y, z};
                if (!run_block((int)threads, name)) return CUDA_ERROR_LAUNCH_FAILED;
            }
    return CUDA_SUCCESS;
}

}  // namespace

void cudasim::sync_block() { yield(State::AtBarrier); }
void cudasim::sync_warp() { yield(State::AtShuffle); }

// ------------------------------------------------------------------------------------------ the API

API CUresult cuInit(unsigned int flags) {
    std::lock_guard<std::recursive_mutex> g(lock_);
    if (flags != 0) return CUDA_ERROR_INVALID_VALUE;
    initialised = true;
    return CUDA_SUCCESS;
}

API CUresult cuDriverGetVersion(int* v) {
    if (v == nullptr) return CUDA_ERROR_INVALID_VALUE;
    *v = 13000;
    return CUDA_SUCCESS;
}

namespace {
struct ErrorText { int code; const char* name; const char* text; };
const ErrorText ERRORS[] = {
    {CUDA_SUCCESS, "CUDA_SUCCESS", "no error"},
    {CUDA_ERROR_INVALID_VALUE, "CUDA_ERROR_INVALID_VALUE", "invalid argument"},
    {CUDA_ERROR_OUT_OF_MEMORY, "CUDA_ERROR_OUT_OF_MEMORY", "out of memory"},
    {CUDA_ERROR_NOT_INITIALIZED, "CUDA_ERROR_NOT_INITIALIZED", "initialization error"},
    {CUDA_ERROR_INVALID_DEVICE, "CUDA_ERROR_INVALID_DEVICE", "invalid device ordinal"},
    {CUDA_ERROR_INVALID_IMAGE, "CUDA_ERROR_INVALID_IMAGE", "device kernel image is invalid"},
    {CUDA_ERROR_INVALID_CONTEXT, "CUDA_ERROR_INVALID_CONTEXT", "invalid device context"},
    {CUDA_ERROR_INVALID_SOURCE, "CUDA_ERROR_INVALID_SOURCE", "device kernel image is invalid"},
    {CUDA_ERROR_INVALID_HANDLE, "CUDA_ERROR_INVALID_HANDLE", "invalid resource handle"},
    {CUDA_ERROR_ILLEGAL_STATE, "CUDA_ERROR_ILLEGAL_STATE", "the operation cannot be performed in the present state"},
    {CUDA_ERROR_NOT_FOUND, "CUDA_ERROR_NOT_FOUND", "named symbol not found"},
    {CUDA_ERROR_ILLEGAL_ADDRESS, "CUDA_ERROR_ILLEGAL_ADDRESS", "an illegal memory access was encountered"},
    {CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES, "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES", "too many resources requested for launch"},
    {CUDA_ERROR_LAUNCH_FAILED, "CUDA_ERROR_LAUNCH_FAILED", "unspecified launch failure"},
    {CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED, "CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED",
     "operation not permitted when stream is capturing"},
    {CUDA_ERROR_STREAM_CAPTURE_INVALIDATED, "CUDA_ERROR_STREAM_CAPTURE_INVALIDATED",
     "operation failed due to a previous error during capture"},
    {CUDA_ERROR_STREAM_CAPTURE_IMPLICIT, "CUDA_ERROR_STREAM_CAPTURE_IMPLICIT",
     "operation would make the legacy stream depend on a capturing blocking stream"},
    {CUDA_ERROR_UNKNOWN, "CUDA_ERROR_UNKNOWN", "unknown error"},
};
const ErrorText* error_text(int code) {
    for (const ErrorText& e : ERRORS) if (e.code == code) return &e;
    return nullptr;
}
}  // namespace

API CUresult cuGetErrorName(CUresult error, const char** s) {
    if (s == nullptr) return CUDA_ERROR_INVALID_VALUE;
    const ErrorText* e = error_text(error);
    *s = e ? e->name : nullptr;
    return e ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}

API CUresult cuGetErrorString(CUresult error, const char** s) {
    if (s == nullptr) return CUDA_ERROR_INVALID_VALUE;
    const ErrorText* e = error_text(error);
    *s = e ? e->text : nullptr;
    return e ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}

API CUresult cuDeviceGetCount(int* n) {
    REQUIRE_INIT();
    if (n == nullptr) return CUDA_ERROR_INVALID_VALUE;
    *n = 1;
    return CUDA_SUCCESS;
}

API CUresult cuDeviceGet(CUdevice* d, int ordinal) {
    REQUIRE_INIT();
    if (d == nullptr) return CUDA_ERROR_INVALID_VALUE;
    if (ordinal != 0) return CUDA_ERROR_INVALID_DEVICE;
    *d = 0;
    return CUDA_SUCCESS;
}

API CUresult cuDeviceGetName(char* name, int len, CUdevice d) {
    REQUIRE_INIT();
    if (name == nullptr || len <= 0) return CUDA_ERROR_INVALID_VALUE;
    if (d != 0) return CUDA_ERROR_INVALID_DEVICE;
    std::snprintf(name, (size_t)len, "%s", "Sparring CUDA simulator (host CPU)");
    return CUDA_SUCCESS;
}

API CUresult cuDeviceGetAttribute(int* v, int attribute, CUdevice d) {
    REQUIRE_INIT();
    if (v == nullptr) return CUDA_ERROR_INVALID_VALUE;
    if (d != 0) return CUDA_ERROR_INVALID_DEVICE;
    switch (attribute) {
        case 1: *v = 1024; return CUDA_SUCCESS;          // MAX_THREADS_PER_BLOCK
        case 2: *v = 1024; return CUDA_SUCCESS;          // MAX_BLOCK_DIM_X
        case 5: *v = 2147483647; return CUDA_SUCCESS;    // MAX_GRID_DIM_X
        case 8: *v = 48 * 1024; return CUDA_SUCCESS;     // MAX_SHARED_MEMORY_PER_BLOCK
        case 10: *v = 32; return CUDA_SUCCESS;           // WARP_SIZE
        // MULTIPROCESSOR_COUNT: small, so that grids capped by the SM count are small and grid-stride loops
        // go round more than once
        case 16: *v = 2; return CUDA_SUCCESS;
        case 75: *v = 9; return CUDA_SUCCESS;            // COMPUTE_CAPABILITY_MAJOR: loads the sm_90 cubins
        case 76: *v = 0; return CUDA_SUCCESS;            // COMPUTE_CAPABILITY_MINOR
        default:
            complain("cuDeviceGetAttribute: attribute %d is not simulated", attribute);
            return CUDA_ERROR_INVALID_VALUE;
    }
}

API CUresult cuDeviceTotalMem_v2(size_t* bytes, CUdevice d) {
    REQUIRE_INIT();
    if (bytes == nullptr) return CUDA_ERROR_INVALID_VALUE;
    if (d != 0) return CUDA_ERROR_INVALID_DEVICE;
    *bytes = TOTAL_MEMORY;
    return CUDA_SUCCESS;
}

API CUresult cuDevicePrimaryCtxRetain(void** ctx, CUdevice d) {
    std::lock_guard<std::recursive_mutex> g(lock_);
    REQUIRE_INIT();
    if (ctx == nullptr) return CUDA_ERROR_INVALID_VALUE;
    if (d != 0) return CUDA_ERROR_INVALID_DEVICE;
    primary.retained++;
    *ctx = &primary;
    return CUDA_SUCCESS;
}

API CUresult cuDevicePrimaryCtxRelease_v2(CUdevice d) {
    std::lock_guard<std::recursive_mutex> g(lock_);
    REQUIRE_INIT();
    if (d != 0) return CUDA_ERROR_INVALID_DEVICE;
    if (primary.retained == 0) return CUDA_ERROR_INVALID_CONTEXT;
    primary.retained--;
    return CUDA_SUCCESS;
}

API CUresult cuCtxSetCurrent(void* ctx) {
    REQUIRE_INIT();
    if (ctx != nullptr && ctx != &primary) return CUDA_ERROR_INVALID_CONTEXT;
    current = (Context*)ctx;
    return CUDA_SUCCESS;
}

API CUresult cuStreamCreate(void** s, unsigned int flags) {
    std::lock_guard<std::recursive_mutex> g(lock_);
    REQUIRE_CONTEXT();
    if (s == nullptr || flags > 1) return CUDA_ERROR_INVALID_VALUE;
    void* h = std::malloc(1);
    streams[h].flags = flags;
    *s = h;
    return CUDA_SUCCESS;
}

// Stricter than CUDA: a stream that is capturing is not destroyed (900, the capture is invalidated); end the
// capture first.
API CUresult cuStreamDestroy_v2(void* s) {
    std::lock_guard<std::recursive_mutex> g(lock_);
    REQUIRE_CONTEXT();
    if (s == nullptr || streams.count(s) == 0) return CUDA_ERROR_INVALID_HANDLE;
    if (CUresult r = refuse_if_capturing("cuStreamDestroy_v2", s)) return r;
    streams.erase(s);
    std::free(s);
    return CUDA_SUCCESS;
}

API CUresult cuStreamSynchronize(void* s) {
    std::lock_guard<std::recursive_mutex> g(lock_);
    REQUIRE_CONTEXT();
    counters[C_STREAM_SYNC]++;
    if (!valid_stream(s)) return CUDA_ERROR_INVALID_HANDLE;
    if (CUresult r = refuse_if_capturing("cuStreamSynchronize", s)) return r;
    return refuse_if_unsafe("cuStreamSynchronize");
}

API CUresult cuStreamBeginCapture_v2(void* s, int mode) {
    std::lock_guard<std::recursive_mutex> g(lock_);
    REQUIRE_CONTEXT();
    if (mode != CAPTURE_GLOBAL && mode != CAPTURE_THREAD_LOCAL && mode != CAPTURE_RELAXED) return CUDA_ERROR_INVALID_VALUE;
    if (s == nullptr) {
        complain("cuStreamBeginCapture_v2: the NULL (legacy) stream cannot be captured");
        return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;
    }
    auto it = streams.find(s);
    if (it == streams.end()) return CUDA_ERROR_INVALID_HANDLE;
    if (it->second.capture != nullptr) return CUDA_ERROR_ILLEGAL_STATE;
    it->second.capture.reset(new Capture{mode, &threadTag, false, {}});
    return CUDA_SUCCESS;
}

// The graph of what the stream recorded; after an invalidated capture *graph is NULL and 901 is returned. Either
// way the stream no longer captures.
API CUresult cuStreamEndCapture(void* s, void** graph) {
    std::lock_guard<std::recursive_mutex> g(lock_);
    REQUIRE_CONTEXT();
    if (graph == nullptr) return CUDA_ERROR_INVALID_VALUE;
    if (!valid_stream(s)) return CUDA_ERROR_INVALID_HANDLE;
    Capture* c = capture_of(s);
    if (c == nullptr) return CUDA_ERROR_ILLEGAL_STATE;
    std::unique_ptr<Capture> ended = std::move(streams[s].capture);
    if (ended->invalidated) {
        *graph = nullptr;
        return CUDA_ERROR_STREAM_CAPTURE_INVALIDATED;
    }
    Graph* made = new Graph{std::move(ended->nodes)};
    graphs.insert(made);
    *graph = made;
    return CUDA_SUCCESS;
}

API CUresult cuStreamIsCapturing(void* s, int* status) {
    std::lock_guard<std::recursive_mutex> g(lock_);
    REQUIRE_CONTEXT();
    if (status == nullptr) return CUDA_ERROR_INVALID_VALUE;
    if (!valid_stream(s)) return CUDA_ERROR_INVALID_HANDLE;
    if (s == nullptr) {
        if (CUresult r = legacy_stream_check("cuStreamIsCapturing", false)) return r;
        *status = CAPTURE_STATUS_NONE;
        return CUDA_SUCCESS;
    }
    Capture* c = capture_of(s);
    *status = c == nullptr ? CAPTURE_STATUS_NONE : c->invalidated ? CAPTURE_STATUS_INVALIDATED : CAPTURE_STATUS_ACTIVE;
    return CUDA_SUCCESS;
}

API CUresult cuEventCreate(void** e, unsigned int flags) {
    std::lock_guard<std::recursive_mutex> g(lock_);
    REQUIRE_CONTEXT();
    if (e == nullptr || (flags & ~0xfu) != 0) return CUDA_ERROR_INVALID_VALUE;
    Event* ev = new Event{flags, false, {}};
    events.insert(ev);
    *e = ev;
    return CUDA_SUCCESS;
}

API CUresult cuEventRecord(void* e, void* s) {
    std::lock_guard<std::recursive_mutex> g(lock_);
    REQUIRE_CONTEXT();
    counters[C_EVENT_RECORD]++;
    if (events.count((Event*)e) == 0 || !valid_stream(s)) return CUDA_ERROR_INVALID_HANDLE;
    if (CUresult r = refuse_if_capturing("cuEventRecord", s)) return r;
    Event* ev = (Event*)e;
    ev->recorded = true;
    ev->at = std::chrono::steady_clock::now();
    return CUDA_SUCCESS;
}

API CUresult cuEventSynchronize(void* e) {
    std::lock_guard<std::recursive_mutex> g(lock_);
    REQUIRE_CONTEXT();
    counters[C_EVENT_SYNC]++;
    if (events.count((Event*)e) == 0) return CUDA_ERROR_INVALID_HANDLE;
    return refuse_if_unsafe("cuEventSynchronize");
}

API CUresult cuEventElapsedTime_v2(float* ms, void* start, void* end) {
    std::lock_guard<std::recursive_mutex> g(lock_);
    REQUIRE_CONTEXT();
    if (ms == nullptr) return CUDA_ERROR_INVALID_VALUE;
    Event* a = (Event*)start;
    Event* b = (Event*)end;
    if (events.count(a) == 0 || events.count(b) == 0) return CUDA_ERROR_INVALID_HANDLE;
    if ((a->flags & 2) || (b->flags & 2)) return CUDA_ERROR_INVALID_HANDLE;   // CU_EVENT_DISABLE_TIMING
    if (!a->recorded || !b->recorded) return CUDA_ERROR_INVALID_HANDLE;
    *ms = std::chrono::duration<float, std::milli>(b->at - a->at).count();
    return CUDA_SUCCESS;
}

API CUresult cuEventDestroy_v2(void* e) {
    std::lock_guard<std::recursive_mutex> g(lock_);
    REQUIRE_CONTEXT();
    if (events.erase((Event*)e) == 0) return CUDA_ERROR_INVALID_HANDLE;
    delete (Event*)e;
    return CUDA_SUCCESS;
}

API CUresult cuMemGetInfo_v2(size_t* free, size_t* total) {
    std::lock_guard<std::recursive_mutex> g(lock_);
    REQUIRE_CONTEXT();
    if (free == nullptr || total == nullptr) return CUDA_ERROR_INVALID_VALUE;
    *total = TOTAL_MEMORY;
    *free = TOTAL_MEMORY - allocatedBytes;
    return CUDA_SUCCESS;
}

API CUresult cuMemAlloc_v2(CUdeviceptr* p, size_t bytes) {
    std::lock_guard<std::recursive_mutex> g(lock_);
    REQUIRE_CONTEXT();
    counters[C_ALLOC]++;
    if (CUresult r = refuse_if_unsafe("cuMemAlloc_v2")) return r;
    if (p == nullptr || bytes == 0) return CUDA_ERROR_INVALID_VALUE;
    if (bytes > TOTAL_MEMORY - allocatedBytes) return CUDA_ERROR_OUT_OF_MEMORY;
    const size_t body = round_up(bytes, ALIGN);
    const size_t usable = round_up(body + ALIGN, PAGE);     // at least ALIGN bytes of canary before the buffer
    const size_t mapBytes = usable + 2 * PAGE;
    void* m = mmap(nullptr, mapBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED) return CUDA_ERROR_OUT_OF_MEMORY;
    char* map = (char*)m;
    mprotect(map, PAGE, PROT_NONE);
    mprotect(map + PAGE + usable, PAGE, PROT_NONE);
    // The buffer ends at the upper guard page, give or take the rounding to ALIGN bytes (CUDA's alignment).
    char* start = map + PAGE + usable - body;
    const size_t canaryBytes = (size_t)(start - (map + PAGE));
    std::memset(map + PAGE, CANARY, canaryBytes);
    std::memset(start, 0xff, body);
    std::memset(start + bytes, CANARY, body - bytes);
    allocations[(uintptr_t)start] = Allocation{map, mapBytes, bytes, canaryBytes};
    allocatedBytes += bytes;
    *p = (CUdeviceptr)(uintptr_t)start;
    return CUDA_SUCCESS;
}

API CUresult cuMemFree_v2(CUdeviceptr p) {
    std::lock_guard<std::recursive_mutex> g(lock_);
    REQUIRE_CONTEXT();
    counters[C_FREE]++;
    if (CUresult r = refuse_if_unsafe("cuMemFree_v2")) return r;
    auto it = allocations.find((uintptr_t)p);
    if (it == allocations.end()) {
        complain("cuMemFree: 0x%llx is not the start of a device allocation", p);
        return CUDA_ERROR_INVALID_VALUE;
    }
    Allocation a = it->second;
    const unsigned char* tail = (const unsigned char*)(uintptr_t)p + a.bytes;
    const size_t tailBytes = round_up(a.bytes, ALIGN) - a.bytes;
    bool intact = canary_intact(it->first, a);
    for (size_t i = 0; i < tailBytes; i++) if (tail[i] != CANARY) intact = false;
    allocations.erase(it);
    allocatedBytes -= a.bytes;
    munmap(a.map, a.mapBytes);
    if (!intact) {
        complain("cuMemFree: the bytes just before or after the %zu-byte allocation at 0x%llx were overwritten (a write out of "
                 "bounds)", a.bytes, p);
        return CUDA_ERROR_ILLEGAL_ADDRESS;
    }
    return CUDA_SUCCESS;
}

API CUresult cuMemAllocHost_v2(void** p, size_t bytes) {
    std::lock_guard<std::recursive_mutex> g(lock_);
    REQUIRE_CONTEXT();
    counters[C_HOST_ALLOC]++;
    if (CUresult r = refuse_if_unsafe("cuMemAllocHost_v2")) return r;
    if (p == nullptr || bytes == 0) return CUDA_ERROR_INVALID_VALUE;
    void* h = std::aligned_alloc(PAGE, round_up(bytes, PAGE));
    if (h == nullptr) return CUDA_ERROR_OUT_OF_MEMORY;
    *p = h;
    return CUDA_SUCCESS;
}

API CUresult cuMemFreeHost(void* p) {
    std::lock_guard<std::recursive_mutex> g(lock_);
    REQUIRE_CONTEXT();
    if (CUresult r = refuse_if_unsafe("cuMemFreeHost")) return r;
    std::free(p);
    return CUDA_SUCCESS;
}

API CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dst, const void* src, size_t n, void* s) {
    std::lock_guard<std::recursive_mutex> g(lock_);
    REQUIRE_CONTEXT();
    counters[C_HTOD]++;
    if (!valid_stream(s)) return CUDA_ERROR_INVALID_HANDLE;
    if (CUresult r = refuse_if_capturing("cuMemcpyHtoDAsync_v2", s)) return r;
    if ((src == nullptr && n > 0) || !check_range("cuMemcpyHtoDAsync", dst, n)) return CUDA_ERROR_INVALID_VALUE;
    if (n > 0) std::memcpy((void*)(uintptr_t)dst, src, n);
    return CUDA_SUCCESS;
}

API CUresult cuMemcpyDtoHAsync_v2(void* dst, CUdeviceptr src, size_t n, void* s) {
    std::lock_guard<std::recursive_mutex> g(lock_);
    REQUIRE_CONTEXT();
    counters[C_DTOH]++;
    if (!valid_stream(s)) return CUDA_ERROR_INVALID_HANDLE;
    if (CUresult r = refuse_if_capturing("cuMemcpyDtoHAsync_v2", s)) return r;
    if ((dst == nullptr && n > 0) || !check_range("cuMemcpyDtoHAsync", src, n)) return CUDA_ERROR_INVALID_VALUE;
    if (n > 0) std::memcpy(dst, (const void*)(uintptr_t)src, n);
    return CUDA_SUCCESS;
}

namespace {

// Runs one node, now or at a graph launch. Copies and memsets are checked again at a graph launch: the memory
// may have been freed since the capture (a RELAXED capture allows that).
CUresult run_node(const Node& n) {
    switch (n.kind) {
        case Node::Kind::Kernel:
            return run_kernel(n.name, n.body, n.grid, n.block);
        case Node::Kind::Copy:
            if (!check_range("cuMemcpyDtoDAsync (destination)", n.dst, n.bytes)
                || !check_range("cuMemcpyDtoDAsync (source)", n.src, n.bytes))
                return CUDA_ERROR_ILLEGAL_ADDRESS;
            if (n.bytes > 0) std::memmove((void*)(uintptr_t)n.dst, (const void*)(uintptr_t)n.src, n.bytes);
            return CUDA_SUCCESS;
        case Node::Kind::Memset:
            if (!check_range(n.elementBytes == 4 ? "cuMemsetD32Async" : "cuMemsetD8Async", n.dst, n.elementBytes * n.bytes))
                return CUDA_ERROR_ILLEGAL_ADDRESS;
            if (n.elementBytes == 4) {
                unsigned int* p = (unsigned int*)(uintptr_t)n.dst;
                for (size_t i = 0; i < n.bytes; i++) p[i] = n.value;
            } else if (n.bytes > 0) {
                std::memset((void*)(uintptr_t)n.dst, (int)n.value, n.bytes);
            }
            return CUDA_SUCCESS;
        case Node::Kind::Host:
            n.run(n.arg);
            return CUDA_SUCCESS;
    }
    return CUDA_ERROR_UNKNOWN;
}

// A checked memset of n elements of elementBytes bytes: run now, or recorded by the stream's capture.
CUresult memset_node(const char* fn, CUdeviceptr dst, unsigned v, unsigned elementBytes, size_t n, void* s) {
    Capture* into;
    if (CUresult r = capture_target(fn, s, &into)) return r;
    auto node = std::make_shared<Node>(Node::Kind::Memset);
    node->dst = dst;
    node->value = v;
    node->elementBytes = elementBytes;
    node->bytes = n;
    if (into != nullptr) { append(into, node); return CUDA_SUCCESS; }
    return run_node(*node);
}

}  // namespace

API CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr dst, CUdeviceptr src, size_t n, void* s) {
    std::lock_guard<std::recursive_mutex> g(lock_);
    REQUIRE_CONTEXT();
    counters[C_DTOD]++;
    if (!valid_stream(s)) return CUDA_ERROR_INVALID_HANDLE;
    if (!check_range("cuMemcpyDtoDAsync (destination)", dst, n) || !check_range("cuMemcpyDtoDAsync (source)", src, n))
        return CUDA_ERROR_INVALID_VALUE;
    Capture* into;
    if (CUresult r = capture_target("cuMemcpyDtoDAsync_v2", s, &into)) return r;
    auto node = std::make_shared<Node>(Node::Kind::Copy);
    node->dst = dst;
    node->src = src;
    node->bytes = n;
    if (into != nullptr) { append(into, node); return CUDA_SUCCESS; }
    return run_node(*node);
}

API CUresult cuMemsetD32Async(CUdeviceptr dst, unsigned int v, size_t n, void* s) {
    std::lock_guard<std::recursive_mutex> g(lock_);
    REQUIRE_CONTEXT();
    counters[C_MEMSET]++;
    if (!valid_stream(s)) return CUDA_ERROR_INVALID_HANDLE;
    if (dst % 4 != 0) {
        complain("cuMemsetD32Async: 0x%llx is not 4-byte aligned", dst);
        return CUDA_ERROR_INVALID_VALUE;
    }
    if (n > SIZE_MAX / 4 || !check_range("cuMemsetD32Async", dst, 4 * n)) return CUDA_ERROR_INVALID_VALUE;
    return memset_node("cuMemsetD32Async", dst, v, 4, n, s);
}

API CUresult cuMemsetD8Async(CUdeviceptr dst, unsigned char v, size_t n, void* s) {
    std::lock_guard<std::recursive_mutex> g(lock_);
    REQUIRE_CONTEXT();
    counters[C_MEMSET]++;
    if (!valid_stream(s)) return CUDA_ERROR_INVALID_HANDLE;
    if (!check_range("cuMemsetD8Async", dst, n)) return CUDA_ERROR_INVALID_VALUE;
    return memset_node("cuMemsetD8Async", dst, v, 1, n, s);
}

namespace {

template <typename T> T read_at(const unsigned char* b, uint64_t at) { T v; std::memcpy(&v, b + at, sizeof v); return v; }

// The kernels of a 64-bit cubin: the symbols of its SHT_SYMTAB that are STT_FUNC and marked STO_CUDA_ENTRY (0x10
// in st_other; nvcc's device functions are STT_FUNC too, without it). False if it is no cubin.
bool cubin_entries(const unsigned char* b, std::set<std::string>& out) {
    const uint16_t machine = read_at<uint16_t>(b, 0x12);
    if (machine != 190) {                                                    // EM_CUDA
        complain("cuModuleLoadDataEx: an ELF image for machine %u, not a cubin", machine);
        return false;
    }
    const uint64_t shoff = read_at<uint64_t>(b, 0x28);
    const uint16_t shentsize = read_at<uint16_t>(b, 0x3a), shnum = read_at<uint16_t>(b, 0x3c);
    if (shoff == 0 || shentsize < 64) return false;
    for (uint16_t i = 0; i < shnum; i++) {
        const uint64_t sh = shoff + (uint64_t)i * shentsize;
        if (read_at<uint32_t>(b, sh + 4) != 2) continue;                     // SHT_SYMTAB
        const uint64_t symoff = read_at<uint64_t>(b, sh + 0x18), symsize = read_at<uint64_t>(b, sh + 0x20);
        const uint64_t symentsize = read_at<uint64_t>(b, sh + 0x38);
        const uint32_t link = read_at<uint32_t>(b, sh + 0x28);
        if (symentsize < 24 || link >= shnum) return false;
        const uint64_t stroff = read_at<uint64_t>(b, shoff + (uint64_t)link * shentsize + 0x18);
        for (uint64_t k = 0; k < symsize / symentsize; k++) {
            const uint64_t sym = symoff + k * symentsize;
            const unsigned char info = b[sym + 4], other = b[sym + 5];
            if ((info & 0xf) == 2 && (other & 0x10) != 0)                    // STT_FUNC, STO_CUDA_ENTRY
                out.insert((const char*)b + stroff + read_at<uint32_t>(b, sym));
        }
    }
    return true;
}

// The kernels of PTX text: the names after ".entry".
void ptx_entries(const std::string& ptx, std::set<std::string>& out) {
    for (size_t at = ptx.find(".entry"); at != std::string::npos; at = ptx.find(".entry", at + 6)) {
        size_t i = at + 6;
        if (i >= ptx.size() || (ptx[i] != ' ' && ptx[i] != '\t')) continue;
        while (i < ptx.size() && (ptx[i] == ' ' || ptx[i] == '\t')) i++;
        size_t j = i;
        while (j < ptx.size() && (std::isalnum((unsigned char)ptx[j]) || ptx[j] == '_' || ptx[j] == '$')) j++;
        if (j > i) out.insert(ptx.substr(i, j - i));
    }
}

}  // namespace

// A cubin (ELF) or PTX text: the simulator keeps the names of its kernels to check that a kernel asked for is in
// it; the code that runs is the host build of the same kernels/*.cu file.
API CUresult cuModuleLoadDataEx(void** module, const void* image, unsigned int numOptions, int* options, void** values) {
    std::lock_guard<std::recursive_mutex> g(lock_);
    REQUIRE_CONTEXT();
    counters[C_MODULE_LOAD]++;
    if (CUresult r = refuse_if_unsafe("cuModuleLoadDataEx")) return r;
    if (module == nullptr || image == nullptr) return CUDA_ERROR_INVALID_VALUE;
    if (numOptions > 0 && (options == nullptr || values == nullptr)) return CUDA_ERROR_INVALID_VALUE;
    for (unsigned int i = 0; i < numOptions; i++) {
        // CU_JIT_INFO_LOG_BUFFER, CU_JIT_ERROR_LOG_BUFFER: a buffer that the driver fills (here: empty)
        if ((options[i] == 3 || options[i] == 5) && values[i] != nullptr) *(char*)values[i] = 0;
        else if (options[i] == 4 || options[i] == 6) { /* buffer sizes, passed by value */ }
        else {
            complain("cuModuleLoadDataEx: JIT option %d is not simulated", options[i]);
            return CUDA_ERROR_INVALID_VALUE;
        }
    }
    const unsigned char* b = (const unsigned char*)image;
    Module* m = new Module();
    if (b[0] == 0x7f && b[1] == 'E' && b[2] == 'L' && b[3] == 'F') {
        if (b[4] != 2 || !cubin_entries(b, m->entries)) { delete m; return CUDA_ERROR_INVALID_IMAGE; }
    } else {
        const std::string ptx((const char*)b);
        if (ptx.find(".version") == std::string::npos || ptx.find(".target") == std::string::npos) {
            delete m;
            return CUDA_ERROR_INVALID_IMAGE;
        }
        ptx_entries(ptx, m->entries);
    }
    modules.insert(m);
    *module = m;
    return CUDA_SUCCESS;
}

API CUresult cuModuleUnload(void* module) {
    std::lock_guard<std::recursive_mutex> g(lock_);
    REQUIRE_CONTEXT();
    if (CUresult r = refuse_if_unsafe("cuModuleUnload")) return r;
    Module* m = (Module*)module;
    if (modules.erase(m) == 0) return CUDA_ERROR_INVALID_HANDLE;
    for (auto it = functions.begin(); it != functions.end();) {
        if (it->first.first == m) { delete it->second; it = functions.erase(it); } else ++it;
    }
    delete m;
    return CUDA_SUCCESS;
}

API CUresult cuModuleGetFunction(void** f, void* module, const char* name) {
    std::lock_guard<std::recursive_mutex> g(lock_);
    REQUIRE_CONTEXT();
    Module* m = (Module*)module;
    if (f == nullptr || name == nullptr) return CUDA_ERROR_INVALID_VALUE;
    if (modules.count(m) == 0) return CUDA_ERROR_INVALID_HANDLE;
    auto key = std::make_pair(m, std::string(name));
    auto have = functions.find(key);
    if (have != functions.end()) { *f = have->second; return CUDA_SUCCESS; }
    // The name must be a kernel of the loaded image ...
    if (m->entries.count(name) == 0) return CUDA_ERROR_NOT_FOUND;
    // ... and of the host build: of the family whose kernels the image has, where two families have one of that name.
    const cudasim::KernelEntry* found = nullptr;
    bool foundWhole = false;
    int candidates = 0;
    for (const cudasim::KernelEntry& k : registry()) {
        if (std::strcmp(k.name, name) != 0) continue;
        candidates++;
        bool whole = true;
        for (const cudasim::KernelEntry& o : registry())
            if (std::strcmp(o.family, k.family) == 0 && m->entries.count(o.name) == 0) whole = false;
        if (found == nullptr || (whole && !foundWhole)) { found = &k; foundWhole = whole; }
    }
    if (found == nullptr) {
        complain("cuModuleGetFunction: %s is in the image but not in the simulator's host build", name);
        return CUDA_ERROR_NOT_FOUND;
    }
    if (candidates > 1 && !foundWhole)
        complain("cuModuleGetFunction: %s: several kernel families define it and the image is none of them; using %s's",
                 name, found->family);
    Function* fn = new Function{found, m};
    functions[key] = fn;
    *f = fn;
    return CUDA_SUCCESS;
}

API CUresult cuLaunchKernel(void* f, unsigned int gx, unsigned int gy, unsigned int gz, unsigned int bx, unsigned int by,
                            unsigned int bz, unsigned int sharedBytes, void* s, void** params, void** extra) {
    std::lock_guard<std::recursive_mutex> g(lock_);
    REQUIRE_CONTEXT();
    bool known = false;
    for (auto& kv : functions) if (kv.second == f) known = true;
    if (!known) return CUDA_ERROR_INVALID_HANDLE;
    const Function* fn = (const Function*)f;
    const char* name = fn->kernel->name;
    if (!valid_stream(s)) return CUDA_ERROR_INVALID_HANDLE;
    if (gx == 0 || gy == 0 || gz == 0 || bx == 0 || by == 0 || bz == 0 || gx > 2147483647u || gy > 65535 || gz > 65535
        || bx > 1024 || by > 1024 || bz > 64) {
        complain("%s: invalid launch configuration grid (%u, %u, %u) block (%u, %u, %u)", name, gx, gy, gz, bx, by, bz);
        return CUDA_ERROR_INVALID_VALUE;
    }
    const unsigned long long threads = (unsigned long long)bx * by * bz;
    if (threads > 1024) {
        complain("%s: %llu threads per block (at most 1024)", name, threads);
        return CUDA_ERROR_INVALID_VALUE;
    }
    if (sharedBytes != 0) {
        complain("%s: dynamic shared memory is not simulated", name);
        return CUDA_ERROR_INVALID_VALUE;
    }
    if (extra != nullptr) {
        complain("%s: the 'extra' launch parameters are not simulated", name);
        return CUDA_ERROR_INVALID_VALUE;
    }
    if (fn->kernel->arity > 0 && params == nullptr) return CUDA_ERROR_INVALID_VALUE;
    if (!grow_fibers(threads)) return CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES;
    Capture* into;
    if (CUresult r = capture_target(name, s, &into)) return r;
    counters[C_LAUNCH]++;
    // The argument values now, as CUDA copies them at the call: the caller may reuse params at once.
    auto node = std::make_shared<Node>(Node::Kind::Kernel);
    node->name = name;
    node->body = fn->kernel->bind(params);
    node->grid = dim3{gx, gy, gz};
    node->block = dim3{bx, by, bz};
    if (into != nullptr) { append(into, node); return CUDA_SUCCESS; }
    return run_node(*node);
}

// ------------------------------------------------------------------------------------------ graphs

API CUresult cuGraphInstantiateWithFlags(void** exec, void* graph, unsigned long long flags) {
    std::lock_guard<std::recursive_mutex> g(lock_);
    REQUIRE_CONTEXT();
    if (exec == nullptr) return CUDA_ERROR_INVALID_VALUE;
    if (graphs.count((Graph*)graph) == 0) return CUDA_ERROR_INVALID_HANDLE;
    if (flags != 0) {
        complain("cuGraphInstantiateWithFlags: flags 0x%llx are not simulated (only 0)", flags);
        return CUDA_ERROR_INVALID_VALUE;
    }
    GraphExec* e = new GraphExec{((Graph*)graph)->nodes};
    execs.insert(e);
    *exec = e;
    return CUDA_SUCCESS;
}

// Runs the nodes in capture order, at once, as everything here runs; the first that fails ends the launch.
// Stricter than CUDA: refused on a capturing stream (900, the capture is invalidated), where CUDA would record the
// graph as a child graph node.
API CUresult cuGraphLaunch(void* exec, void* s) {
    std::lock_guard<std::recursive_mutex> g(lock_);
    REQUIRE_CONTEXT();
    if (execs.count((GraphExec*)exec) == 0 || !valid_stream(s)) return CUDA_ERROR_INVALID_HANDLE;
    if (CUresult r = refuse_if_capturing("cuGraphLaunch", s)) return r;
    counters[C_GRAPH_LAUNCH]++;
    for (const std::shared_ptr<Node>& n : ((GraphExec*)exec)->nodes)
        if (CUresult r = run_node(*n)) return r;
    return CUDA_SUCCESS;
}

API CUresult cuGraphExecDestroy(void* exec) {
    std::lock_guard<std::recursive_mutex> g(lock_);
    REQUIRE_CONTEXT();
    if (execs.erase((GraphExec*)exec) == 0) return CUDA_ERROR_INVALID_HANDLE;
    delete (GraphExec*)exec;
    return CUDA_SUCCESS;
}

API CUresult cuGraphDestroy(void* graph) {
    std::lock_guard<std::recursive_mutex> g(lock_);
    REQUIRE_CONTEXT();
    if (graphs.erase((Graph*)graph) == 0) return CUDA_ERROR_INVALID_HANDLE;
    delete (Graph*)graph;
    return CUDA_SUCCESS;
}

// nodes NULL: *count = the number of nodes. Else up to *count node handles; where *count is larger than that
// number, the rest are NULL and *count becomes the number, as in CUDA.
API CUresult cuGraphGetNodes(void* graph, void** nodes, size_t* count) {
    std::lock_guard<std::recursive_mutex> g(lock_);
    REQUIRE_CONTEXT();
    if (count == nullptr) return CUDA_ERROR_INVALID_VALUE;
    if (graphs.count((Graph*)graph) == 0) return CUDA_ERROR_INVALID_HANDLE;
    const Nodes& all = ((Graph*)graph)->nodes;
    if (nodes == nullptr) {
        *count = all.size();
        return CUDA_SUCCESS;
    }
    for (size_t i = 0; i < *count; i++) nodes[i] = i < all.size() ? all[i].get() : nullptr;
    if (*count > all.size()) *count = all.size();
    return CUDA_SUCCESS;
}

// ------------------------------------------------------------------------------------------ simulator only

// Copies the counters (allocations, frees, pinned allocations, host-to-device, device-to-host and device-to-device
// copies, memsets, kernel launches, stream and event synchronisations, event records, module loads, graph
// launches, captured nodes, in that order) into out[0 .. n) and returns how many there are. Not a CUDA function:
// tests look it up to know that they run on the simulator, and use it to check what a training step asks of the
// device. They count host calls: the kernels, copies and memsets that a graph launch runs count only as that
// graph launch.
API int cudasim_counters(long long* out, int n) {
    std::lock_guard<std::recursive_mutex> g(lock_);
    for (int i = 0; i < n && i < C_COUNT; i++) out[i] = counters[i];
    return C_COUNT;
}

// Work of the cuDNN and cuBLAS stand-ins on `stream` (they find this function with dlsym): run(arg) now, then
// drop(arg), and 0. Where the stream captures, a node that calls run(arg) at each graph launch instead, and
// drop(arg) once no graph or exec holds it any more; 0. A capture that was invalidated: 901, an unknown stream:
// 400, the NULL stream while a blocking stream captures: 906; drop(arg) at once in each of these cases.
API int cudasim_stream_submit(void* stream, void (*run)(void*), void* arg, void (*drop)(void*)) {
    std::lock_guard<std::recursive_mutex> g(lock_);
    auto node = std::make_shared<Node>(Node::Kind::Host);   // drops arg when it goes
    node->arg = arg;
    node->drop = drop;
    if (run == nullptr) return CUDA_ERROR_INVALID_VALUE;
    node->run = run;
    if (!valid_stream(stream)) {
        complain("cudasim_stream_submit: %p is not a stream", stream);
        return CUDA_ERROR_INVALID_HANDLE;
    }
    Capture* into;
    if (CUresult r = capture_target("a cuDNN or cuBLAS call", stream, &into)) return r;
    if (into != nullptr) { append(into, node); return CUDA_SUCCESS; }
    return run_node(*node);
}
