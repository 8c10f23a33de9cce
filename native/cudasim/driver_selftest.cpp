// Self-test of the cudasim driver (driver.cpp): its scheduler, its device-memory checks and its module loading.
//
//   driver_selftest [DIR]   DIR: build.sh's OUTDIR/selftest, which holds libcuda.so.1 built from driver.cpp and
//                           the test kernels of selftest/kernels.cu only, and, where nvcc was there at build time,
//                           those kernels' kernels.ptx and kernels.sm_90.cubin; default: the folder of this program
//   driver_selftest --cuda-only LIBCUDA [DIR]
//                           only the checks whose expectation is CUDA's own rule, against the driver LIBCUDA (a path,
//                           or libcuda.so.1 for the system's: the real driver on a GPU machine); DIR must hold nvcc's
//                           kernels.sm_90.cubin (or kernels.ptx, JIT-compiled where the cubin does not load)
//
// --cuda-only is how a GPU session (bench/gpu/session.sh) checks that the simulator's reading of CUDA holds on the
// real driver. It leaves out, with one "SKIP simulator only:" line each, what only the simulator promises: what is
// undefined on a GPU made visible (NaN for memory or lanes nobody wrote, deadlock detection; such launches could
// hang a GPU), canaries and bounds checks of copies, refusals stricter than CUDA, cudasim_counters and
// cudasim_stream_submit. A NaN in an expected result means "undefined on a GPU": any value passes there. It syncs
// the streams before reading what they computed (the simulator runs everything at once; a GPU does not), and each
// section makes its context in its own child process (CUDA does not survive a fork). Run against the simulator's
// selftest/libcuda.so.1, it must pass too (CudaSimulatorSelfTest checks that).
//
// It loads the library with dlopen and calls only the driver API that CudaDriver.java binds. The kernels it launches
// are real CUDA code (selftest/kernels.cu), run by the simulator from the host build of the same file; it compares
// what they wrote with what the simulator promises (README.md, cudasim.h):
//   - warps are cut from the linear thread index (2-D and 3-D blocks, a short last warp);
//   - a shuffle that reads a lane that has returned, or that the block lacks, reads NaN, also when the lane wrote
//     its exchange slot before returning or a failed launch left values in the slots;
//   - __shared__ variables (also those of inline device functions) read NaN in every block that did not write them;
//   - __syncthreads releases when every thread of the block that has not returned waits there, not before; threads
//     that have returned do not hold it up; a warp split between a shuffle and a barrier is a deadlock (719);
//   - grids of 2^31 blocks or more in x and other bad launch shapes are refused (1);
//   - device memory: fresh allocations read NaN, copies and memsets outside one allocation are refused (1, also a
//     memsetD32 count whose byte size overflows), a kernel's write just before or after a buffer makes cuMemFree
//     return 700;
//   - the current context is per thread (201 on a thread that never made it current);
//   - cuModuleGetFunction finds only kernels of the image (the .entry functions of a PTX, the entry symbols of a
//     cubin's symbol table), not names that only appear in it as a device function, a section name, a comment or
//     part of another name (500); nvcc's own PTX and cubin of the test kernels, where built;
//   - the production libcuda.so.1, in the folder above DIR, has none of the test kernels.
//
// Each section runs in a child process with a time limit, so that a simulator that crashes or never returns (as it
// may with some of the bugs checked for: a copy that runs off its buffer, 2^31 blocks run one by one) fails that
// section, not the whole run. One PASS or FAIL line per check; exit status 0 when every check passed. The
// simulator's own complaints on stderr about the bad calls made here are expected.

#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <vector>
#include "selftest_util.h"

namespace {

// ------------------------------------------------------------------------------------------ reporting

int failures = 0, checks = 0;

void check(bool ok, const std::string &what, const std::string &detail = "") {
    checks++;
    if (ok) {
        std::printf("PASS %s\n", what.c_str());
    } else {
        failures++;
        std::printf("FAIL %s%s%s\n", what.c_str(), detail.empty() ? "" : ": ", detail.c_str());
    }
}

void expect(int got, int want, const std::string &what) {
    check(got == want, what + " -> " + std::to_string(want),
          "status " + std::to_string(got) + ", expected " + std::to_string(want));
}

// A step that the checks rely on: reported only when it fails.
void must(int status, const std::string &what) {
    if (status == 0) return;
    checks++;
    failures++;
    std::printf("FAIL %s: status %d\n", what.c_str(), status);
}

// --cuda-only: only the checks of CUDA's own rules (see the top of this file).
bool cudaOnly = false;

// Whether the checks of a promise of the simulator alone run: not with --cuda-only, which prints a SKIP line instead.
bool sim(const std::string &what) {
    if (cudaOnly) std::printf("SKIP simulator only: %s\n", what.c_str());
    return !cudaOnly;
}

const float NaN = std::numeric_limits<float>::quiet_NaN();

// Whether got equals want element by element (NaN matching NaN; with --cuda-only, a NaN expected is undefined on a
// GPU and matches anything); the first difference in *detail.
bool same(const std::vector<float> &got, const std::vector<float> &want, std::string *detail) {
    if (got.size() != want.size()) { *detail = "size"; return false; }
    for (size_t i = 0; i < got.size(); i++) {
        if (got[i] == want[i] || (std::isnan(want[i]) && (cudaOnly || std::isnan(got[i])))) continue;
        char buf[128];
        std::snprintf(buf, sizeof buf, "[%zu] = %g, expected %g", i, got[i], want[i]);
        *detail = buf;
        return false;
    }
    return true;
}

void checkValues(const std::vector<float> &got, const std::vector<float> &want, const std::string &what) {
    std::string detail;
    bool ok = same(got, want, &detail);
    bool undefined = false;
    for (float w : want) undefined |= std::isnan(w);
    check(ok, cudaOnly && undefined ? what + " (there: the values CUDA defines; NaN expected = undefined on a GPU)" : what,
          detail);
}

// ------------------------------------------------------------------------------------------ the driver API

using H = void *;
using Ptr = unsigned long long;   // CUdeviceptr

constexpr int SUCCESS = 0, INVALID_VALUE = 1, INVALID_IMAGE = 200, INVALID_CONTEXT = 201, INVALID_HANDLE = 400,
              ILLEGAL_STATE = 401, NOT_FOUND = 500, ILLEGAL_ADDRESS = 700, LAUNCH_FAILED = 719,
              CAPTURE_UNSUPPORTED = 900, CAPTURE_INVALIDATED = 901, CAPTURE_IMPLICIT = 906;
// CUstreamCaptureMode, CUstreamCaptureStatus, CU_STREAM_NON_BLOCKING
constexpr int GLOBAL = 0, THREAD_LOCAL = 1, RELAXED = 2, NONE = 0, ACTIVE = 1, INVALIDATED = 2, NON_BLOCKING = 1;
// cudasim_counters, by position
constexpr int C_DTOD = 5, C_MEMSET = 6, C_LAUNCH = 7, C_GRAPH_LAUNCH = 12, C_CAPTURED = 13, C_COUNT = 14;

struct Driver {
    int (*Init)(unsigned);
    int (*PrimaryCtxRetain)(H *, int);
    int (*CtxSetCurrent)(H);
    int (*MemAlloc)(Ptr *, size_t);
    int (*MemFree)(Ptr);
    int (*HtoD)(Ptr, const void *, size_t, H);
    int (*DtoH)(void *, Ptr, size_t, H);
    int (*DtoD)(Ptr, Ptr, size_t, H);
    int (*MemsetD32)(Ptr, unsigned, size_t, H);
    int (*MemsetD8)(Ptr, unsigned char, size_t, H);
    int (*ModuleLoadDataEx)(H *, const void *, unsigned, int *, void **);
    int (*ModuleGetFunction)(H *, H, const char *);
    int (*LaunchKernel)(H, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, H, void **, void **);
    int (*GetErrorName)(int, const char **);
    int (*GetErrorString)(int, const char **);
    int (*MemAllocHost)(void **, size_t);
    int (*MemFreeHost)(void *);
    int (*ModuleUnload)(H);
    int (*StreamCreate)(H *, unsigned);
    int (*StreamDestroy)(H);
    int (*StreamSynchronize)(H);
    int (*EventCreate)(H *, unsigned);
    int (*EventRecord)(H, H);
    int (*EventSynchronize)(H);
    int (*BeginCapture)(H, int);
    int (*EndCapture)(H, H *);
    int (*IsCapturing)(H, int *);
    int (*GraphInstantiate)(H *, H, unsigned long long);
    int (*GraphLaunch)(H, H);
    int (*GraphExecDestroy)(H);
    int (*GraphDestroy)(H);
    int (*GraphGetNodes)(H, H *, size_t *);
    int (*Counters)(long long *, int);
    int (*StreamSubmit)(H, void (*)(void *), void *, void (*)(void *));
};

template <class F>
bool symbol(void *lib, const char *name, F &f) {
    f = reinterpret_cast<F>(dlsym(lib, name));
    if (f == nullptr) std::printf("FAIL missing symbol %s\n", name);
    return f != nullptr;
}

bool loadDriver(const std::string &path, Driver &d) {
    void *l = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (l == nullptr) {
        std::printf("FAIL cannot load %s: %s\n", path.c_str(), dlerror());
        return false;
    }
    return symbol(l, "cuInit", d.Init) && symbol(l, "cuDevicePrimaryCtxRetain", d.PrimaryCtxRetain)
           && symbol(l, "cuCtxSetCurrent", d.CtxSetCurrent) && symbol(l, "cuMemAlloc_v2", d.MemAlloc)
           && symbol(l, "cuMemFree_v2", d.MemFree) && symbol(l, "cuMemcpyHtoDAsync_v2", d.HtoD)
           && symbol(l, "cuMemcpyDtoHAsync_v2", d.DtoH) && symbol(l, "cuMemcpyDtoDAsync_v2", d.DtoD)
           && symbol(l, "cuMemsetD32Async", d.MemsetD32) && symbol(l, "cuMemsetD8Async", d.MemsetD8)
           && symbol(l, "cuModuleLoadDataEx", d.ModuleLoadDataEx)
           && symbol(l, "cuModuleGetFunction", d.ModuleGetFunction) && symbol(l, "cuLaunchKernel", d.LaunchKernel)
           && symbol(l, "cuGetErrorName", d.GetErrorName) && symbol(l, "cuGetErrorString", d.GetErrorString)
           && symbol(l, "cuMemAllocHost_v2", d.MemAllocHost) && symbol(l, "cuMemFreeHost", d.MemFreeHost)
           && symbol(l, "cuModuleUnload", d.ModuleUnload) && symbol(l, "cuStreamCreate", d.StreamCreate)
           && symbol(l, "cuStreamDestroy_v2", d.StreamDestroy) && symbol(l, "cuStreamSynchronize", d.StreamSynchronize)
           && symbol(l, "cuEventCreate", d.EventCreate) && symbol(l, "cuEventRecord", d.EventRecord)
           && symbol(l, "cuEventSynchronize", d.EventSynchronize) && symbol(l, "cuStreamBeginCapture_v2", d.BeginCapture)
           && symbol(l, "cuStreamEndCapture", d.EndCapture) && symbol(l, "cuStreamIsCapturing", d.IsCapturing)
           && symbol(l, "cuGraphInstantiateWithFlags", d.GraphInstantiate) && symbol(l, "cuGraphLaunch", d.GraphLaunch)
           && symbol(l, "cuGraphExecDestroy", d.GraphExecDestroy) && symbol(l, "cuGraphDestroy", d.GraphDestroy)
           && symbol(l, "cuGraphGetNodes", d.GraphGetNodes)
           // the simulator's own functions: not in CUDA's driver
           && (cudaOnly || (symbol(l, "cudasim_counters", d.Counters) && symbol(l, "cudasim_stream_submit", d.StreamSubmit)));
}

Driver cu;
H ctx = nullptr;
H module = nullptr;   // the test kernels: nvcc's cubin where there is one, else a hand-made PTX
std::string dir;

// The kernels of selftest/kernels.cu.
const char *const KERNELS[] = {"shfl_down_linear",   "shfl_after_return", "divergent_sync", "shared_from_block0",
                               "shared_in_helper",   "barrier_after_shuffle", "barrier_after_return",
                               "count_blocks",       "write_at",          "copy_floats"};

H fn(const char *name) {
    H f = nullptr;
    must(cu.ModuleGetFunction(&f, module, name), std::string("cuModuleGetFunction ") + name);
    return f;
}

struct Dim { unsigned x = 1, y = 1, z = 1; };

template <class... A>
int launchOn(H stream, const char *kernel, Dim grid, Dim block, A... args) {
    void *params[] = {static_cast<void *>(&args)..., nullptr};
    return cu.LaunchKernel(fn(kernel), grid.x, grid.y, grid.z, block.x, block.y, block.z, 0, stream, params, nullptr);
}

template <class... A>
int launch(const char *kernel, Dim grid, Dim block, A... args) { return launchOn(nullptr, kernel, grid, block, args...); }

Ptr alloc(size_t bytes) {
    Ptr p = 0;
    must(cu.MemAlloc(&p, bytes), "cuMemAlloc");
    return p;
}

// n floats of value v (by its bits, as Sparring fills buffers).
Ptr allocFilled(size_t n, float v) {
    Ptr p = alloc(4 * n);
    unsigned bits;
    std::memcpy(&bits, &v, 4);
    must(cu.MemsetD32(p, bits, n, nullptr), "cuMemsetD32Async");
    return p;
}

std::vector<float> readBack(Ptr p, size_t n) {
    std::vector<float> v(n, 12345.0f);
    must(cu.DtoH(v.data(), p, 4 * n, nullptr), "cuMemcpyDtoHAsync");
    return v;
}

// ------------------------------------------------------------------------------------------ images

// PTX with an empty .entry for each name, then `more`: the simulator reads no more of a PTX than that.
std::string handmadePtx(const std::vector<std::string> &entries, const std::string &more = "") {
    std::string s = "// made by driver_selftest\n.version 9.0\n.target sm_80\n.address_size 64\n";
    for (const std::string &e : entries) s += "\n.visible .entry " + e + "(\n\t.param .u64 " + e + "_param_0\n)\n{\n\tret;\n}\n";
    return s + more;
}

// A minimal 64-bit ELF for `machine` (190: EM_CUDA) with a symbol table as a cubin has: section headers
// .shstrtab, .strtab, .symtab and a .text.NAME section per name of `texts`; symbols (name, STT type, st_other) in
// `symbols` (a kernel is STT_FUNC with STO_CUDA_ENTRY, 0x10, in st_other; a device function STT_FUNC without it).
struct Sym { std::string name; unsigned char type, other; };

std::vector<unsigned char> handmadeElf(unsigned short machine, const std::vector<Sym> &symbols,
                                       const std::vector<std::string> &texts) {
    auto add = [](std::string &table, const std::string &s) { size_t at = table.size(); table += s; table += '\0'; return (uint32_t)at; };
    std::string shstr(1, '\0'), str(1, '\0');
    const uint32_t nShstr = add(shstr, ".shstrtab"), nStr = add(shstr, ".strtab"), nSym = add(shstr, ".symtab");
    std::vector<uint32_t> nText;
    for (const std::string &t : texts) nText.push_back(add(shstr, ".text." + t));
    std::string symtab(24, '\0');                                     // symbol 0: the null symbol
    for (const Sym &s : symbols) {
        unsigned char e[24] = {};
        const uint32_t name = add(str, s.name);
        std::memcpy(e, &name, 4);
        e[4] = (unsigned char)(0x10 | s.type);                        // STB_GLOBAL
        e[5] = s.other;
        symtab.append((const char *)e, 24);
    }
    std::vector<unsigned char> elf(64, 0);
    auto place = [&](const std::string &bytes) {
        while (elf.size() % 8) elf.push_back(0);
        const uint64_t at = elf.size();
        elf.insert(elf.end(), bytes.begin(), bytes.end());
        return at;
    };
    const uint64_t oShstr = place(shstr), oStr = place(str), oSym = place(symtab), oText = place(std::string(16, '\0'));
    while (elf.size() % 8) elf.push_back(0);
    const uint64_t shoff = elf.size();
    auto header = [&](uint32_t name, uint32_t type, uint64_t offset, uint64_t size, uint32_t link, uint64_t entsize) {
        unsigned char h[64] = {};
        std::memcpy(h, &name, 4);
        std::memcpy(h + 4, &type, 4);
        std::memcpy(h + 0x18, &offset, 8);
        std::memcpy(h + 0x20, &size, 8);
        std::memcpy(h + 0x28, &link, 4);
        std::memcpy(h + 0x38, &entsize, 8);
        elf.insert(elf.end(), h, h + 64);
    };
    header(0, 0, 0, 0, 0, 0);
    header(nShstr, 3, oShstr, shstr.size(), 0, 0);                    // SHT_STRTAB
    header(nStr, 3, oStr, str.size(), 0, 0);
    header(nSym, 2, oSym, symtab.size(), 2, 24);                      // SHT_SYMTAB, strings in section 2
    for (uint32_t n : nText) header(n, 1, oText, 16, 0, 0);           // SHT_PROGBITS
    const unsigned char ident[8] = {0x7f, 'E', 'L', 'F', 2, 1, 1, 0x33};
    std::memcpy(elf.data(), ident, 8);
    const uint16_t type = 2, ehsize = 64, shentsize = 64, shnum = (uint16_t)(4 + texts.size()), shstrndx = 1;
    const uint32_t version = 1;
    std::memcpy(elf.data() + 0x10, &type, 2);
    std::memcpy(elf.data() + 0x12, &machine, 2);
    std::memcpy(elf.data() + 0x14, &version, 4);
    std::memcpy(elf.data() + 0x28, &shoff, 8);
    std::memcpy(elf.data() + 0x34, &ehsize, 2);
    std::memcpy(elf.data() + 0x3a, &shentsize, 2);
    std::memcpy(elf.data() + 0x3c, &shnum, 2);
    std::memcpy(elf.data() + 0x3e, &shstrndx, 2);
    return elf;
}

bool readFile(const std::string &path, std::string &out) {
    FILE *f = std::fopen(path.c_str(), "rb");
    if (f == nullptr) return false;
    out.clear();
    char buf[65536];
    for (size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) out.append(buf, n);
    std::fclose(f);
    return true;
}

H load(const void *image, const std::string &what) {
    H m = nullptr;
    expect(cu.ModuleLoadDataEx(&m, image, 0, nullptr, nullptr), SUCCESS, "load " + what);
    return m;
}

int lookup(H m, const char *name) {
    H f = nullptr;
    return cu.ModuleGetFunction(&f, m, name);
}

// ------------------------------------------------------------------------------------------ sections

void testImages() {
    // The PTX the launches use where nvcc was not there: every kernel of kernels.cu.
    const std::vector<std::string> all(std::begin(KERNELS), std::end(KERNELS));
    const std::string ptx = handmadePtx(all);
    H m = load(ptx.c_str(), "a hand-made PTX of the test kernels");
    int found = 0;
    for (const char *k : KERNELS) found += lookup(m, k) == SUCCESS;
    check(found == (int)all.size(), "hand-made PTX: every .entry is found",
          std::to_string(found) + " of " + std::to_string(all.size()));

    // Names that are in a PTX but not as a kernel of it.
    const std::string ptx2 = handmadePtx(
            {"count_blocks", "write_at_end"},
            "\n// shared_from_block0: not in this module\n.visible .func copy_floats(\n\t.param .b64 copy_floats_param_0\n)\n"
            "{\n\tret;\n}\n");
    H p = load(ptx2.c_str(), "a PTX with a device function");
    expect(lookup(p, "count_blocks"), SUCCESS, "PTX: an .entry");
    expect(lookup(p, "copy_floats"), NOT_FOUND, "PTX: a .func (device function), not an .entry");
    expect(lookup(p, "write_at"), NOT_FOUND, "PTX: the start of another .entry's name");
    expect(lookup(p, "shared_from_block0"), NOT_FOUND, "PTX: a name in a comment");
    expect(lookup(p, "no_such_kernel"), NOT_FOUND, "PTX: a name that is nowhere");

    // A cubin: only the entry symbols of its symbol table are kernels. (A driver needs more of a cubin than the
    // symbol table that the simulator reads: nvcc's cubin below checks the same on the real one.)
    if (sim("a hand-made cubin (only its symbol table)")) {
        const std::vector<unsigned char> cubin = handmadeElf(
                190, {{"count_blocks", 2, 0x10}, {"write_at", 2, 0}, {"shared_from_block0", 1, 0}},
                {"count_blocks", "write_at", "copy_floats"});
        H c = load(cubin.data(), "a hand-made cubin");
        expect(lookup(c, "count_blocks"), SUCCESS, "cubin: an entry symbol (STT_FUNC, STO_CUDA_ENTRY)");
        expect(lookup(c, "write_at"), NOT_FOUND, "cubin: an STT_FUNC without STO_CUDA_ENTRY (device function)");
        expect(lookup(c, "copy_floats"), NOT_FOUND, "cubin: only a section .text.copy_floats, no symbol");
        expect(lookup(c, "shared_from_block0"), NOT_FOUND, "cubin: an STT_OBJECT symbol");
        expect(lookup(c, "blocks"), NOT_FOUND, "cubin: the end of a kernel's name");
    }

    H bad = nullptr;
    const std::vector<unsigned char> x86 = handmadeElf(62, {{"count_blocks", 2, 0x10}}, {"count_blocks"});
    expect(cu.ModuleLoadDataEx(&bad, x86.data(), 0, nullptr, nullptr), INVALID_IMAGE, "load an x86-64 ELF");
    expect(cu.ModuleLoadDataEx(&bad, ".entry count_blocks(\n", 0, nullptr, nullptr), INVALID_IMAGE,
           "load text without .version and .target");

    // nvcc's images of kernels.cu, where it was there at build time.
    for (const char *file : {"kernels.ptx", "kernels.sm_90.cubin"}) {
        std::string image;
        if (!readFile(dir + "/" + file, image)) {
            std::printf("SKIP nvcc's %s: not built (no nvcc at build time)\n", file);
            continue;
        }
        H n = load(image.c_str(), std::string("nvcc's ") + file);
        found = 0;
        std::string missing;
        for (const char *k : KERNELS) {
            if (lookup(n, k) == SUCCESS) found++;
            else missing += std::string(" ") + k;
        }
        check(found == (int)all.size(), std::string("nvcc's ") + file + ": every kernel is found", "missing" + missing);
        expect(lookup(n, "from_block0"), NOT_FOUND, std::string("nvcc's ") + file + ": a device function");
        expect(lookup(n, "shfl_down"), NOT_FOUND, std::string("nvcc's ") + file + ": the start of a kernel's name");
    }
}

void testShuffles() {
    // shfl_down_linear by `delta` in a block of shape `block` (`size` threads): each thread gets the value of the
    // thread delta lanes down, its own past the warp's end, NaN from a lane that the warp lacks. Each launch adds
    // a base of its own to the values, so that one that reads what an earlier launch left shows it.
    Ptr out = allocFilled(64, 0);
    float base = 0;
    auto shuffle = [&](Dim block, unsigned delta, unsigned size, const std::string &what) {
        base += 1000;
        std::vector<float> want(size);
        for (unsigned t = 0; t < size; t++) {
            const unsigned lane = t % 32, from = t + delta;
            want[t] = base + (float)(lane + delta >= 32 ? t : from < size ? from : NaN);
        }
        expect(launch("shfl_down_linear", {}, block, out, delta, base), SUCCESS,
               "launch shfl_down_linear, block (" + std::to_string(block.x) + ", " + std::to_string(block.y) + ", " +
               std::to_string(block.z) + ")");
        checkValues(readBack(out, size), want, what);
    };
    // First launch of this process: the slots of the missing lanes were never written by anyone. (A full mask in a
    // short warp is undefined on a GPU.)
    if (sim("a shuffle with a full mask in a short warp")) shuffle({48}, 16, 48, "48 threads: the last warp's missing lanes read NaN");
    // Threads (x, 1) are lanes 16..31 of warp 0, not lanes 0..15 of a second warp 0.
    shuffle({16, 2}, 16, 32, "block (16, 2): warps from the linear thread index");
    shuffle({4, 4, 4}, 1, 64, "block (4, 4, 4): warps from the linear thread index");
    if (sim("a short last warp of a 3-D block")) shuffle({8, 2, 3}, 8, 48, "block (8, 2, 3): a short last warp of a 3-D block");

    // Lanes that wrote their slot and returned read NaN.
    Ptr r = allocFilled(64, 0);
    for (unsigned keep : {32u, 24u, 16u}) {
        if (keep < 32 && !sim("a shuffle into lanes that returned, keep " + std::to_string(keep))) continue;
        std::vector<float> want(64, 0);
        for (unsigned t = 0; t < 64; t++) {
            const unsigned lane = t % 32, from = lane + 32 - keep;
            if (lane < keep) want[t] = from < keep ? (float)(t + 32 - keep) + 1000.0f : NaN;
        }
        must(cu.MemsetD32(r, 0, 64, nullptr), "cuMemsetD32Async");
        expect(launch("shfl_after_return", {}, {64}, r, keep), SUCCESS, "launch shfl_after_return, keep " + std::to_string(keep));
        checkValues(readBack(r, 64), want, "shuffle into lanes that returned, keep " + std::to_string(keep) +
                                               (keep == 32 ? " (none returns)" : ": they read NaN"));
    }

    // A launch that fails leaves lanes waiting at a shuffle with their values in the slots; the next block must
    // not see them.
    if (!sim("a deadlocked launch, then a short warp")) return;
    expect(launch("divergent_sync", {}, {64}, out), LAUNCH_FAILED, "launch divergent_sync (deadlock)");
    shuffle({48}, 16, 48, "48 threads after a failed launch: the missing lanes read NaN, not its values");
}

void testShared() {
    Ptr out = allocFilled(3, 0);
    expect(launch("shared_from_block0", {3}, {32}, out), SUCCESS, "launch shared_from_block0");
    checkValues(readBack(out, 3), {7, NaN, NaN}, "__shared__ variable: blocks 1, 2 read NaN, not block 0's value");
    must(cu.MemsetD32(out, 0, 3, nullptr), "cuMemsetD32Async");
    expect(launch("shared_in_helper", {3}, {32}, out), SUCCESS, "launch shared_in_helper");
    checkValues(readBack(out, 3), {5, NaN, NaN}, "__shared__ in an inline device function: blocks 1, 2 read NaN");
}

void testBarriers() {
    Ptr out = allocFilled(64, 0);
    std::vector<float> want(64);
    for (unsigned t = 0; t < 64; t++) want[t] = t < 32 ? (63 - t) + 100.0f : (float)(63 - t);
    expect(launch("barrier_after_shuffle", {}, {64}, out), SUCCESS, "launch barrier_after_shuffle");
    checkValues(readBack(out, 64), want, "__syncthreads waits for the warp that is at a shuffle");

    // __syncthreads where some threads have returned, and a deadlock: undefined on a GPU (it may hang there).
    if (!sim("__syncthreads after returned threads; a shuffle/barrier deadlock")) return;
    for (unsigned live : {40u, 20u, 1u}) {
        must(cu.MemsetD32(out, 0, 64, nullptr), "cuMemsetD32Async");
        for (unsigned t = 0; t < 64; t++) want[t] = t < live ? (float)(live - 1 - t) : 0.0f;
        expect(launch("barrier_after_return", {}, {64}, out, live), SUCCESS,
               "launch barrier_after_return, " + std::to_string(64 - live) + " of 64 threads return first");
        checkValues(readBack(out, 64), want, "__syncthreads with " + std::to_string(64 - live) + " of 64 threads returned");
    }

    expect(launch("divergent_sync", {}, {64}, out), LAUNCH_FAILED, "launch divergent_sync: shuffle and barrier in one warp");
    expect(launch("divergent_sync", {}, {32}, out), LAUNCH_FAILED, "launch divergent_sync, one warp");
    Ptr n = allocFilled(1, 0);
    expect(launch("count_blocks", {3}, {64}, n), SUCCESS, "launch count_blocks after the deadlocks");
    std::vector<float> got = readBack(n, 1);
    unsigned blocks;
    std::memcpy(&blocks, got.data(), 4);
    check(blocks == 3, "the next launch runs", "count " + std::to_string(blocks));
}

void testGrids() {
    Ptr n = allocFilled(1, 0);
    auto count = [&]() {
        std::vector<float> got = readBack(n, 1);
        unsigned c;
        std::memcpy(&c, got.data(), 4);
        must(cu.MemsetD32(n, 0, 1, nullptr), "cuMemsetD32Async");
        return c;
    };
    expect(launch("count_blocks", {5, 3, 2}, {8, 4, 2}, n), SUCCESS, "launch count_blocks, grid (5, 3, 2)");
    check(count() == 30, "grid (5, 3, 2) runs 30 blocks");
    // The limits of a compute capability 9.0 device: grid x < 2^31, y and z < 2^16; 1024 threads per block.
    expect(launch("count_blocks", {0x80000000u}, {1}, n), INVALID_VALUE, "grid x = 2^31");
    expect(launch("count_blocks", {0xffffffffu}, {1}, n), INVALID_VALUE, "grid x = 2^32 - 1");
    expect(launch("count_blocks", {1, 65536}, {1}, n), INVALID_VALUE, "grid y = 65536");
    expect(launch("count_blocks", {1, 1, 65536}, {1}, n), INVALID_VALUE, "grid z = 65536");
    expect(launch("count_blocks", {0}, {1}, n), INVALID_VALUE, "grid x = 0");
    expect(launch("count_blocks", {1}, {1025}, n), INVALID_VALUE, "block of 1025 threads");
    expect(launch("count_blocks", {1}, {32, 32, 2}, n), INVALID_VALUE, "block (32, 32, 2): 2048 threads");
    check(count() == 0, "the refused launches ran no block");
}

void testMemory() {
    // Fresh memory: 0xff bytes, a float NaN, also as a kernel reads it.
    if (sim("fresh memory reads NaN")) {
        Ptr fresh = alloc(100);
        std::vector<unsigned char> bytes(100, 0);
        must(cu.DtoH(bytes.data(), fresh, 100, nullptr), "cuMemcpyDtoHAsync");
        bool allOnes = true;
        for (unsigned char b : bytes) allOnes &= b == 0xff;
        check(allOnes, "a fresh allocation reads 0xff bytes (NaN)");
        Ptr dst = allocFilled(25, 0);
        expect(launch("copy_floats", {1}, {32}, dst, fresh, 25), SUCCESS, "launch copy_floats");
        checkValues(readBack(dst, 25), std::vector<float>(25, NaN), "a kernel reads NaN from a fresh allocation");
    }

    // Copies and memsets inside one allocation, and one byte beyond it.
    Ptr a = alloc(100), b = alloc(100);
    std::vector<unsigned char> host(200, 1);
    const int inside = cu.HtoD(a, host.data(), 100, nullptr) | cu.DtoH(host.data(), a, 100, nullptr)
                       | cu.DtoD(b, a, 100, nullptr) | cu.MemsetD8(a + 1, 0, 99, nullptr) | cu.MemsetD32(a + 4, 0, 24, nullptr)
                       | cu.HtoD(a, host.data(), 0, nullptr);
    expect(inside, SUCCESS, "copies and memsets that fill one allocation exactly");
    expect(cu.MemFree(a + 4), INVALID_VALUE, "cuMemFree of a pointer inside an allocation");
    // Copies that leave their allocation, writes just outside one, a byte count that overflows: CUDA does not
    // promise to refuse or notice them (and on a GPU they may land in another allocation).
    if (!sim("copies and memsets outside an allocation, canaries")) return;
    expect(cu.HtoD(a, host.data(), 101, nullptr), INVALID_VALUE, "cuMemcpyHtoDAsync one byte past the end");
    expect(cu.HtoD(a + 100, host.data(), 1, nullptr), INVALID_VALUE, "cuMemcpyHtoDAsync to the end of an allocation");
    expect(cu.DtoH(host.data(), a, 101, nullptr), INVALID_VALUE, "cuMemcpyDtoHAsync one byte past the end");
    expect(cu.DtoH(host.data(), a - 4, 8, nullptr), INVALID_VALUE, "cuMemcpyDtoHAsync from before the start");
    expect(cu.DtoD(b, a + 1, 100, nullptr), INVALID_VALUE, "cuMemcpyDtoDAsync: source one byte past the end");
    expect(cu.DtoD(b + 1, a, 100, nullptr), INVALID_VALUE, "cuMemcpyDtoDAsync: destination one byte past the end");
    expect(cu.MemsetD8(a, 0, 101, nullptr), INVALID_VALUE, "cuMemsetD8Async one byte past the end");
    expect(cu.MemsetD32(a, 0, 26, nullptr), INVALID_VALUE, "cuMemsetD32Async one word past the end");
    expect(cu.HtoD(0x1000, host.data(), 4, nullptr), INVALID_VALUE, "cuMemcpyHtoDAsync to an address that is no allocation");

    // A kernel's write just outside a buffer: cuMemFree reports it.
    Ptr c = alloc(40);
    expect(launch("write_at", {1}, {1}, c, 9, 1.0f), SUCCESS, "launch write_at, last element");
    expect(cu.MemFree(c), SUCCESS, "cuMemFree after writes inside the buffer");
    c = alloc(40);
    expect(launch("write_at", {1}, {1}, c, 10, 1.0f), SUCCESS, "launch write_at, one element past the end");
    expect(cu.MemFree(c), ILLEGAL_ADDRESS, "cuMemFree after a write just past the end");
    c = alloc(256);
    expect(launch("write_at", {1}, {1}, c, -1, 1.0f), SUCCESS, "launch write_at, one element before the start");
    expect(cu.MemFree(c), ILLEGAL_ADDRESS, "cuMemFree after a write just before the start");

    // Last: a count whose byte size overflows size_t (4 n wraps around to 4); a simulator that misses it writes
    // until it faults.
    expect(cu.MemsetD32(a, 0, std::numeric_limits<size_t>::max() / 4 + 2, nullptr), INVALID_VALUE,
           "cuMemsetD32Async count (SIZE_MAX / 4 + 2) whose byte size overflows");
}

// What a second thread got: before it made the context current, and after. n: a count for count_blocks (valid, so
// that a driver that launched it anyway would not fault).
struct OtherThread { H f; Ptr n; int before = -1, looked = -1, launched = -1, after = -1, freed = -1; };

void *otherThread(void *arg) {
    OtherThread &o = *static_cast<OtherThread *>(arg);
    Ptr p = 0;
    H g = nullptr;
    o.before = cu.MemAlloc(&p, 64);
    o.looked = cu.ModuleGetFunction(&g, module, "count_blocks");
    void *params[] = {&o.n};
    o.launched = cu.LaunchKernel(o.f, 1, 1, 1, 1, 1, 1, 0, nullptr, params, nullptr);
    cu.CtxSetCurrent(ctx);
    o.after = cu.MemAlloc(&p, 64);
    o.freed = cu.MemFree(p);
    return nullptr;
}

void testContexts() {
    OtherThread o;
    o.f = fn("count_blocks");
    o.n = allocFilled(1, 0.0f);
    pthread_t t;
    if (pthread_create(&t, nullptr, otherThread, &o) != 0 || pthread_join(t, nullptr) != 0) {
        check(false, "start a second thread");
        return;
    }
    expect(o.before, INVALID_CONTEXT, "cuMemAlloc on a thread that never made the context current");
    expect(o.looked, INVALID_CONTEXT, "cuModuleGetFunction on that thread");
    expect(o.launched, INVALID_CONTEXT, "cuLaunchKernel on that thread");
    expect(o.after | o.freed, SUCCESS, "cuMemAlloc, cuMemFree on it after cuCtxSetCurrent");
    Ptr p = 0;
    expect(cu.MemAlloc(&p, 64), SUCCESS, "cuMemAlloc on the main thread meanwhile");
    must(cu.CtxSetCurrent(nullptr), "cuCtxSetCurrent(NULL)");
    expect(cu.MemFree(p), INVALID_CONTEXT, "cuMemFree on the main thread with no current context");
}

// The production libcuda.so.1 in the folder above: it must not have the test kernels.
void testProduction() {
    const std::string path = dir + "/../libcuda.so.1";
    struct stat st;
    if (stat(path.c_str(), &st) != 0) {
        std::printf("SKIP the production library: no %s\n", path.c_str());
        return;
    }
    Driver prod{};
    if (!loadDriver(path, prod)) { checks++; failures++; return; }
    H c = nullptr, m = nullptr, f = nullptr;
    must(prod.Init(0) | prod.PrimaryCtxRetain(&c, 0) | prod.CtxSetCurrent(c), "production library: context");
    const std::vector<std::string> all(std::begin(KERNELS), std::end(KERNELS));
    const std::string ptx = handmadePtx(all);
    must(prod.ModuleLoadDataEx(&m, ptx.c_str(), 0, nullptr, nullptr), "production library: load a PTX");
    int found = 0;
    for (const char *k : KERNELS) found += prod.ModuleGetFunction(&f, m, k) == SUCCESS;
    check(found == 0, "the production libcuda.so.1 has none of the test kernels", std::to_string(found) + " found");
}

// ------------------------------------------------------------------------------------------ capture and graphs

std::vector<long long> counters() {
    std::vector<long long> c(C_COUNT, -1);
    const int n = cu.Counters(c.data(), C_COUNT);
    if (n != C_COUNT) check(false, "cudasim_counters has " + std::to_string(C_COUNT) + " counters", std::to_string(n));
    return c;
}

unsigned readCount(Ptr n) {
    std::vector<float> got = readBack(n, 1);
    unsigned c;
    std::memcpy(&c, got.data(), 4);
    return c;
}

unsigned bitsOf(float v) {
    unsigned b;
    std::memcpy(&b, &v, 4);
    return b;
}

H stream(unsigned flags = NON_BLOCKING) {
    H s = nullptr;
    must(cu.StreamCreate(&s, flags), "cuStreamCreate");
    return s;
}

int captureStatus(H s) {
    int st = -1;
    const int r = cu.IsCapturing(s, &st);
    return r == SUCCESS ? st : 1000 + r;
}

void testCapture() {
    H s = stream();
    expect(cu.BeginCapture(nullptr, GLOBAL), CAPTURE_UNSUPPORTED, "cuStreamBeginCapture_v2 on the NULL stream");
    expect(captureStatus(s), NONE, "cuStreamIsCapturing before a capture: NONE");
    H none = nullptr;
    expect(cu.EndCapture(s, &none), ILLEGAL_STATE, "cuStreamEndCapture on a stream that is not capturing");

    // a, b: 4 floats each, 2.0 before the capture; n: a block count.
    Ptr a = allocFilled(4, 2.0f), b = allocFilled(4, 2.0f), n = allocFilled(1, 0.0f);
    const std::vector<long long> before = cudaOnly ? std::vector<long long>(C_COUNT, 0) : counters();
    must(cu.BeginCapture(s, GLOBAL), "cuStreamBeginCapture_v2, global mode");
    expect(captureStatus(s), ACTIVE, "cuStreamIsCapturing while capturing: ACTIVE");
    // s is non-blocking, as CudaBackend's stream: the NULL stream does not depend on it.
    expect(captureStatus(nullptr), NONE, "cuStreamIsCapturing of the NULL stream beside a non-blocking capture: NONE");
    expect(cu.BeginCapture(s, GLOBAL), ILLEGAL_STATE, "cuStreamBeginCapture_v2 on a stream that is capturing");
    // In order: a = 1; a[1] = v; b = a; a[0] = 0 (bytes); b[3] = 9; n += 6 blocks.
    // The parameter arrays stay alive, so that a simulator that reads v at the graph launch instead of at the call
    // reads the value that v has then.
    float v = 7.0f, nine = 9.0f;
    int one = 1, three = 3;
    void *pa[] = {&a, &one, &v}, *pb[] = {&b, &three, &nine}, *pn[] = {&n};
    const int steps = cu.MemsetD32(a, bitsOf(1.0f), 4, s)
                      | cu.LaunchKernel(fn("write_at"), 1, 1, 1, 1, 1, 1, 0, s, pa, nullptr)
                      | cu.DtoD(b, a, 16, s) | cu.MemsetD8(a, 0, 4, s)
                      | cu.LaunchKernel(fn("write_at"), 1, 1, 1, 1, 1, 1, 0, s, pb, nullptr)
                      | cu.LaunchKernel(fn("count_blocks"), 3, 2, 1, 32, 1, 1, 0, s, pn, nullptr);
    must(steps, "capture a memset, a launch, a copy, a memset, two launches");
    expect(launchOn(s, "count_blocks", {1}, {2048}, n), INVALID_VALUE, "a bad launch is refused at capture time");
    expect(captureStatus(s), ACTIVE, "a refused launch leaves the capture active");
    v = 123.0f;   // after the capture: the graph keeps the value of capture time
    const std::vector<long long> captured = cudaOnly ? before : counters();
    H graph = nullptr;
    expect(cu.EndCapture(s, &graph), SUCCESS, "cuStreamEndCapture");
    check(graph != nullptr, "cuStreamEndCapture returns a graph");
    expect(captureStatus(s), NONE, "cuStreamIsCapturing after the capture: NONE");
    checkValues(readBack(a, 4), {2, 2, 2, 2}, "captured memsets, copies and launches do not run at capture time (a)");
    checkValues(readBack(b, 4), {2, 2, 2, 2}, "captured work does not run at capture time (b)");
    check(readCount(n) == 0, "a captured launch does not run at capture time", "count " + std::to_string(readCount(n)));
    if (sim("cudasim_counters at capture")) {
        check(captured[C_LAUNCH] - before[C_LAUNCH] == 3 && captured[C_MEMSET] - before[C_MEMSET] == 2
                  && captured[C_DTOD] - before[C_DTOD] == 1,
              "counters at capture: 3 launches (the refused one not), 2 memsets, 1 copy: host calls");
        check(captured[C_CAPTURED] - before[C_CAPTURED] == 6 && captured[C_GRAPH_LAUNCH] == before[C_GRAPH_LAUNCH],
              "counters at capture: 6 captured nodes, no graph launch",
              std::to_string(captured[C_CAPTURED] - before[C_CAPTURED]) + " captured");
    }

    size_t count = 0;
    expect(cu.GraphGetNodes(graph, nullptr, &count), SUCCESS, "cuGraphGetNodes, count only");
    check(count == 6, "the graph has 6 nodes", std::to_string(count));
    H nodes[8];
    for (H &x : nodes) x = &count;
    count = 8;
    expect(cu.GraphGetNodes(graph, nodes, &count), SUCCESS, "cuGraphGetNodes into 8 entries");
    bool filled = count == 6;
    for (int i = 0; i < 8; i++) filled &= (i < 6) == (nodes[i] != nullptr);
    check(filled, "cuGraphGetNodes: 6 nodes, the other entries NULL, count 6");

    H exec = nullptr;
    if (sim("cuGraphInstantiateWithFlags refuses flags (CUDA has some)"))
        expect(cu.GraphInstantiate(&exec, graph, 1), INVALID_VALUE, "cuGraphInstantiateWithFlags with flags 1");
    expect(cu.GraphInstantiate(&exec, graph, 0), SUCCESS, "cuGraphInstantiateWithFlags");
    expect(cu.GraphLaunch(exec, s), SUCCESS, "cuGraphLaunch");
    must(cu.StreamSynchronize(s), "cuStreamSynchronize");   // s does not block the NULL stream that reads back
    checkValues(readBack(a, 4), {0, 7, 1, 1}, "graph launch: memset, launch with v of capture time, then memset (a)");
    checkValues(readBack(b, 4), {1, 7, 1, 9}, "graph launch: the copy between them, then the last launch (b)");
    check(readCount(n) == 6, "graph launch: grid (3, 2) of capture time", "count " + std::to_string(readCount(n)));
    if (sim("cudasim_counters at a graph launch")) {
        const std::vector<long long> launched = counters();
        check(launched[C_GRAPH_LAUNCH] - captured[C_GRAPH_LAUNCH] == 1 && launched[C_LAUNCH] == captured[C_LAUNCH]
                  && launched[C_MEMSET] == captured[C_MEMSET] && launched[C_DTOD] == captured[C_DTOD]
                  && launched[C_CAPTURED] == captured[C_CAPTURED],
              "counters at a graph launch: one graph launch, no kernel launch, memset or copy");
    }

    // A direct launch with another grid in between, then the graph again.
    must(launch("count_blocks", {5}, {32}, n), "a direct launch of grid 5 between graph launches");
    must(cu.MemsetD32(a, bitsOf(2.0f), 4, nullptr) | cu.MemsetD32(b, bitsOf(2.0f), 4, nullptr), "cuMemsetD32Async");
    must(cu.StreamSynchronize(nullptr), "cuStreamSynchronize of the NULL stream");   // before s reads what it wrote
    expect(cu.GraphLaunch(exec, s), SUCCESS, "cuGraphLaunch again");
    must(cu.StreamSynchronize(s), "cuStreamSynchronize");
    check(readCount(n) == 17, "two graph launches run the launch twice, with its own grid", "count " + std::to_string(readCount(n)));
    checkValues(readBack(b, 4), {1, 7, 1, 9}, "the second graph launch runs the nodes in order again");

    // The exec outlives its graph.
    expect(cu.GraphDestroy(graph), SUCCESS, "cuGraphDestroy");
    expect(cu.GraphLaunch(exec, s), SUCCESS, "cuGraphLaunch after cuGraphDestroy");
    must(cu.StreamSynchronize(s), "cuStreamSynchronize");
    check(readCount(n) == 23, "an exec runs after its graph is destroyed", "count " + std::to_string(readCount(n)));
    expect(cu.GraphExecDestroy(exec), SUCCESS, "cuGraphExecDestroy");
    // a destroyed handle, used again: undefined in CUDA
    if (sim("handles used after they were destroyed")) {
        expect(cu.GraphLaunch(exec, s), INVALID_HANDLE, "cuGraphLaunch of a destroyed exec");
        expect(cu.GraphDestroy(graph), INVALID_HANDLE, "cuGraphDestroy twice");
    }

    // A RELAXED capture: another stream's launch runs at once, and cuMemAlloc is allowed.
    H other = stream();
    must(cu.BeginCapture(s, RELAXED), "cuStreamBeginCapture_v2, relaxed mode");
    must(launchOn(s, "count_blocks", {2}, {32}, n), "captured launch");
    must(launchOn(other, "count_blocks", {4}, {32}, n), "a launch on another stream during a relaxed capture");
    must(cu.StreamSynchronize(other), "cuStreamSynchronize of the other stream (a relaxed capture allows it)");
    check(readCount(n) == 27, "it runs at once; the captured one does not", "count " + std::to_string(readCount(n)));
    Ptr p = 0;
    expect(cu.MemAlloc(&p, 64), SUCCESS, "cuMemAlloc during a relaxed capture");
    must(cu.MemsetD32(p, 0, 16, s), "captured memset");
    expect(captureStatus(s), ACTIVE, "the relaxed capture is still active");
    expect(cu.EndCapture(s, &graph), SUCCESS, "cuStreamEndCapture of the relaxed capture");
    expect(cu.GraphInstantiate(&exec, graph, 0), SUCCESS, "instantiate the relaxed capture");
    expect(cu.MemFree(p), SUCCESS, "cuMemFree of the captured memset's memory");
    // on a GPU, a memset of freed memory is undefined (it may fault the context)
    if (sim("a graph launch that writes freed memory"))
        expect(cu.GraphLaunch(exec, s), ILLEGAL_ADDRESS, "graph launch: a memset of freed memory");

    const char *name = nullptr, *text = nullptr;
    for (int code : {ILLEGAL_STATE, CAPTURE_UNSUPPORTED, CAPTURE_INVALIDATED, CAPTURE_IMPLICIT}) {
        const int r = cu.GetErrorName(code, &name) | cu.GetErrorString(code, &text);
        check(r == SUCCESS && name != nullptr && text != nullptr, "cuGetErrorName, cuGetErrorString of " + std::to_string(code));
    }
    const bool names = cu.GetErrorName(ILLEGAL_STATE, &name) == SUCCESS && std::strcmp(name, "CUDA_ERROR_ILLEGAL_STATE") == 0
                       && cu.GetErrorName(CAPTURE_UNSUPPORTED, &name) == SUCCESS
                       && std::strcmp(name, "CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED") == 0
                       && cu.GetErrorName(CAPTURE_INVALIDATED, &name) == SUCCESS
                       && std::strcmp(name, "CUDA_ERROR_STREAM_CAPTURE_INVALIDATED") == 0
                       && cu.GetErrorName(CAPTURE_IMPLICIT, &name) == SUCCESS
                       && std::strcmp(name, "CUDA_ERROR_STREAM_CAPTURE_IMPLICIT") == 0;
    check(names, "cuGetErrorName: CUDA's names of 401, 900, 901, 906");
}

// Each call that a capture refuses, in a capture of its own: 900, then cuStreamEndCapture gives 901 and no graph.
void testCaptureRefusals() {
    H s = stream(), other = stream(), e = nullptr, m = nullptr, graph = nullptr, exec = nullptr;
    must(cu.EventCreate(&e, 0), "cuEventCreate");
    const std::string ptx = handmadePtx({"count_blocks"});
    must(cu.ModuleLoadDataEx(&m, ptx.c_str(), 0, nullptr, nullptr), "cuModuleLoadDataEx");
    must(cu.BeginCapture(s, GLOBAL) | cu.EndCapture(s, &graph) | cu.GraphInstantiate(&exec, graph, 0), "an empty graph");
    Ptr dev = alloc(64), toFree = alloc(64);
    void *host = nullptr, *hostToFree = nullptr;
    must(cu.MemAllocHost(&hostToFree, 64), "cuMemAllocHost_v2");
    std::vector<unsigned char> buf(64, 0);

    // stricter: refused by the simulator where CUDA records the call or allows it (README.md, "Stricter than CUDA")
    struct Refused { const char *what; int mode; std::function<int()> call; bool stricter = false; };
    const std::vector<Refused> refused = {
            {"cuMemcpyHtoDAsync_v2 on the capturing stream", RELAXED, [&] { return cu.HtoD(dev, buf.data(), 64, s); }, true},
            {"cuMemcpyDtoHAsync_v2 on the capturing stream", RELAXED, [&] { return cu.DtoH(buf.data(), dev, 64, s); }, true},
            {"cuEventRecord on the capturing stream", RELAXED, [&] { return cu.EventRecord(e, s); }, true},
            {"cuStreamSynchronize of the capturing stream", RELAXED, [&] { return cu.StreamSynchronize(s); }, true},
            {"cuGraphLaunch into the capturing stream", RELAXED, [&] { return cu.GraphLaunch(exec, s); }, true},
            {"cuStreamDestroy_v2 of the capturing stream", RELAXED, [&] { return cu.StreamDestroy(s); }, true},
            {"global mode: cuMemAlloc_v2", GLOBAL, [&] { Ptr p = 0; return cu.MemAlloc(&p, 64); }},
            {"global mode: cuMemFree_v2", GLOBAL, [&] { return cu.MemFree(toFree); }},
            {"global mode: cuMemAllocHost_v2", GLOBAL, [&] { return cu.MemAllocHost(&host, 64); }},
            {"global mode: cuMemFreeHost", GLOBAL, [&] { return cu.MemFreeHost(hostToFree); }},
            {"global mode: cuModuleLoadDataEx", GLOBAL, [&] { H x = nullptr; return cu.ModuleLoadDataEx(&x, ptx.c_str(), 0, nullptr, nullptr); }},
            {"global mode: cuModuleUnload", GLOBAL, [&] { return cu.ModuleUnload(m); }},
            {"global mode: cuEventSynchronize", GLOBAL, [&] { return cu.EventSynchronize(e); }},
            {"global mode: cuStreamSynchronize of another stream", GLOBAL, [&] { return cu.StreamSynchronize(other); }},
            {"thread-local mode: cuMemAlloc_v2 on the capturing thread", THREAD_LOCAL, [&] { Ptr p = 0; return cu.MemAlloc(&p, 64); }},
    };
    for (const Refused &r : refused) {
        if (r.stricter && !sim(std::string("refused, stricter than CUDA: ") + r.what)) continue;
        must(cu.BeginCapture(s, r.mode), std::string("cuStreamBeginCapture_v2 for ") + r.what);
        expect(r.call(), CAPTURE_UNSUPPORTED, r.what);
        H g = &graph;
        const int end = cu.EndCapture(s, &g);
        check(end == CAPTURE_INVALIDATED && g == nullptr, std::string("then cuStreamEndCapture -> 901, no graph: ") + r.what,
              "status " + std::to_string(end));
    }

    // An invalidated capture: IsCapturing says so, and what would be captured is refused with 901.
    Ptr n = allocFilled(1, 0.0f);
    must(cu.BeginCapture(s, GLOBAL), "cuStreamBeginCapture_v2");
    must(launchOn(s, "count_blocks", {1}, {32}, n), "captured launch");
    Ptr refusedAlloc = 0;
    expect(cu.MemAlloc(&refusedAlloc, 64), CAPTURE_UNSUPPORTED, "global mode: cuMemAlloc_v2");
    expect(captureStatus(s), INVALIDATED, "cuStreamIsCapturing after it: INVALIDATED");
    expect(launchOn(s, "count_blocks", {1}, {32}, n), CAPTURE_INVALIDATED, "a launch into an invalidated capture");
    expect(cu.MemsetD32(n, 0, 1, s) | cu.DtoD(n, n, 4, s), CAPTURE_INVALIDATED, "a memset and a copy into it");
    H g = nullptr;
    expect(cu.EndCapture(s, &g), CAPTURE_INVALIDATED, "cuStreamEndCapture of it");
    expect(captureStatus(s), NONE, "the stream no longer captures");
    check(readCount(n) == 0, "nothing of the invalidated capture ran");
    expect(launchOn(s, "count_blocks", {1}, {32}, n), SUCCESS, "the stream runs launches again");
    must(cu.StreamSynchronize(s), "cuStreamSynchronize");
    check(readCount(n) == 1, "a launch on it runs");

    // Thread-local mode: another thread may allocate. Global mode: it may not.
    for (int mode : {THREAD_LOCAL, GLOBAL}) {
        must(cu.BeginCapture(s, mode), "cuStreamBeginCapture_v2");
        struct Other { int status = -1; } o;
        pthread_t t;
        auto body = [](void *arg) -> void * {
            cu.CtxSetCurrent(ctx);
            Ptr p = 0;
            static_cast<Other *>(arg)->status = cu.MemAlloc(&p, 64);
            return nullptr;
        };
        if (pthread_create(&t, nullptr, body, &o) != 0 || pthread_join(t, nullptr) != 0) { check(false, "start a thread"); return; }
        H x = nullptr;
        const int end = cu.EndCapture(s, &x);
        if (mode == THREAD_LOCAL)
            check(o.status == SUCCESS && end == SUCCESS, "thread-local mode: cuMemAlloc_v2 on another thread is allowed",
                  "status " + std::to_string(o.status) + ", end " + std::to_string(end));
        else
            check(o.status == CAPTURE_UNSUPPORTED && end == CAPTURE_INVALIDATED,
                  "global mode: cuMemAlloc_v2 on another thread is refused and invalidates the capture",
                  "status " + std::to_string(o.status) + ", end " + std::to_string(end));
    }

    // The NULL stream beside a capturing blocking stream (created without CU_STREAM_NON_BLOCKING).
    H blocking = stream(0);
    must(cu.BeginCapture(blocking, RELAXED), "cuStreamBeginCapture_v2 of a blocking stream");
    int status = -1;
    expect(cu.IsCapturing(nullptr, &status), CAPTURE_IMPLICIT, "cuStreamIsCapturing of the NULL stream then");
    expect(cu.DtoH(buf.data(), dev, 64, nullptr), CAPTURE_IMPLICIT, "cuMemcpyDtoHAsync_v2 on the NULL stream then");
    g = nullptr;
    expect(cu.EndCapture(blocking, &g), CAPTURE_INVALIDATED, "it invalidates the blocking stream's capture");
    must(cu.BeginCapture(s, RELAXED), "cuStreamBeginCapture_v2 of a non-blocking stream");
    expect(cu.DtoH(buf.data(), dev, 64, nullptr), SUCCESS, "the NULL stream beside a capturing non-blocking stream");
    expect(cu.EndCapture(s, &g), SUCCESS, "which it leaves alone");
}

// cudasim_stream_submit, with work that counts its runs and drops.
struct Work { int runs = 0, drops = 0; };
void workRun(void *w) { static_cast<Work *>(w)->runs++; }
void workDrop(void *w) { static_cast<Work *>(w)->drops++; }

void testStreamSubmit() {
    H s = stream();
    Work now, captured, late, unknown;
    expect(cu.StreamSubmit(s, workRun, &now, workDrop), SUCCESS, "cudasim_stream_submit on a stream that does not capture");
    check(now.runs == 1 && now.drops == 1, "it runs once at once and is dropped",
          std::to_string(now.runs) + " runs, " + std::to_string(now.drops) + " drops");
    int bogus = 0;
    expect(cu.StreamSubmit(&bogus, workRun, &unknown, workDrop), INVALID_HANDLE, "cudasim_stream_submit on no stream");
    check(unknown.runs == 0 && unknown.drops == 1, "that is dropped without running");

    H graph = nullptr, exec = nullptr;
    must(cu.BeginCapture(s, GLOBAL), "cuStreamBeginCapture_v2");
    expect(cu.StreamSubmit(s, workRun, &captured, workDrop), SUCCESS, "cudasim_stream_submit while capturing");
    must(cu.EndCapture(s, &graph) | cu.GraphInstantiate(&exec, graph, 0), "end, instantiate");
    check(captured.runs == 0 && captured.drops == 0, "captured: neither run nor dropped at capture");
    must(cu.GraphLaunch(exec, s) | cu.GraphLaunch(exec, s), "two graph launches");
    check(captured.runs == 2, "it runs at each graph launch", std::to_string(captured.runs) + " runs");
    must(cu.GraphDestroy(graph), "cuGraphDestroy");
    check(captured.drops == 0, "not dropped while the exec holds it");
    must(cu.GraphExecDestroy(exec), "cuGraphExecDestroy");
    check(captured.drops == 1, "dropped once with the last graph or exec", std::to_string(captured.drops) + " drops");

    must(cu.BeginCapture(s, GLOBAL), "cuStreamBeginCapture_v2");
    must(cu.StreamSynchronize(s) == CAPTURE_UNSUPPORTED ? 0 : 1, "cuStreamSynchronize invalidates the capture");
    expect(cu.StreamSubmit(s, workRun, &late, workDrop), CAPTURE_INVALIDATED, "cudasim_stream_submit into an invalidated capture");
    check(late.runs == 0 && late.drops == 1, "that is dropped without running");
    must(cu.EndCapture(s, &graph) == CAPTURE_INVALIDATED ? 0 : 1, "cuStreamEndCapture -> 901");
}

// The context and the module of the launches, made in each section's child process (CUDA does not carry a
// context over a fork): nvcc's cubin where it was built (as CudaBackend loads the sm_90 cubin on an H100), else,
// for the simulator, a PTX with the kernels' .entry lines; with --cuda-only, nvcc's PTX where the cubin does not
// load (a GPU other than sm_90).
bool openContext() {
    if (cu.Init(0) != SUCCESS || cu.PrimaryCtxRetain(&ctx, 0) != SUCCESS || cu.CtxSetCurrent(ctx) != SUCCESS) {
        check(false, "cuInit, cuDevicePrimaryCtxRetain, cuCtxSetCurrent");
        return false;
    }
    std::string image;
    int status = INVALID_IMAGE;
    if (readFile(dir + "/kernels.sm_90.cubin", image)) status = cu.ModuleLoadDataEx(&module, image.c_str(), 0, nullptr, nullptr);
    if (status != SUCCESS && cudaOnly && readFile(dir + "/kernels.ptx", image)) {
        std::printf("kernels.sm_90.cubin did not load (status %d): nvcc's kernels.ptx instead\n", status);
        status = cu.ModuleLoadDataEx(&module, image.c_str(), 0, nullptr, nullptr);
    }
    if (status != SUCCESS && !cudaOnly) {
        const std::vector<std::string> all(std::begin(KERNELS), std::end(KERNELS));
        image = handmadePtx(all);
        status = cu.ModuleLoadDataEx(&module, image.c_str(), 0, nullptr, nullptr);
    }
    check(status == SUCCESS, "load the test kernels' image", "status " + std::to_string(status));
    return status == SUCCESS;
}

// Runs fn in a child process with a time limit of `seconds`; a crash or a timeout is one more failed check. fn runs
// with the context current and the test kernels loaded (openContext), unless `bare`.
void section(const char *name, void (*fn)(), unsigned seconds = 20, bool quiet = false, bool bare = false) {
    std::printf("-- %s\n", name);
    // the simulator's complaints in a quiet section are expected and say nothing
    const ChildRun r = runInChild(seconds, quiet, [&] {
        checks = failures = 0;
        if (bare || openContext()) fn();
        return std::pair<int, int>{checks, failures};
    });
    checks += r.checks;
    failures += r.failures;
    if (r.finished) return;
    const int status = r.status;
    checks++;
    failures++;
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
        std::printf("FAIL %s: not finished after %u s (a launch that does not end?)\n", name, seconds);
    else if (WIFSIGNALED(status))
        std::printf("FAIL %s: crashed (%s) after the lines above\n", name, strsignal(WTERMSIG(status)));
    else
        std::printf("FAIL %s: exit status %d\n", name, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

}  // namespace

int main(int argc, char **argv) {
    setvbuf(stdout, nullptr, _IOLBF, 0);
    int next = 1;
    std::string driver;
    if (argc > 1 && std::strcmp(argv[1], "--cuda-only") == 0) {
        if (argc < 3) {
            std::fprintf(stderr, "usage: driver_selftest [DIR] | driver_selftest --cuda-only LIBCUDA [DIR]\n");
            return 2;
        }
        cudaOnly = true;
        driver = argv[2];
        next = 3;
    }
    dir = argc > next ? argv[next] : programDir();
    if (!cudaOnly) driver = dir + "/libcuda.so.1";
    if (sim("the production library has no test kernels")) section("production library", testProduction, 20, true, true);
    if (!loadDriver(driver, cu)) return 1;
    struct stat st;
    const bool cubin = stat((dir + "/kernels.sm_90.cubin").c_str(), &st) == 0;
    if (cudaOnly && !cubin && stat((dir + "/kernels.ptx").c_str(), &st) != 0) {
        std::printf("FAIL --cuda-only needs nvcc's kernels.sm_90.cubin or kernels.ptx in %s\n", dir.c_str());
        return 1;
    }
    std::printf("driver %s; test kernels from %s\n", driver.c_str(),
                cubin ? "nvcc's kernels.sm_90.cubin" : cudaOnly ? "nvcc's kernels.ptx" : "a hand-made PTX (built without nvcc)");
    section("module images", testImages);
    section("warp shuffles", testShuffles);
    section("shared memory", testShared);
    section("barriers", testBarriers);
    section("launch shapes", testGrids);
    section("device memory", testMemory);
    section("contexts", testContexts);
    section("stream capture and graphs", testCapture);
    section("what a capture refuses", testCaptureRefusals);
    if (sim("cudasim_stream_submit")) section("cudasim_stream_submit", testStreamSubmit);
    std::printf("%s: %d checks, %d failed%s\n", failures == 0 ? "PASS" : "FAIL", checks, failures,
                cudaOnly ? (" (CUDA's rules only, driver " + driver + ")").c_str() : "");
    return failures == 0 ? 0 : 1;
}
