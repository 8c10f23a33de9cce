// Self-test of the cudasim driver (driver.cpp): its scheduler, its device-memory checks and its module loading.
//
//   driver_selftest [DIR]   DIR: build.sh's OUTDIR/selftest, which holds libcuda.so.1 built from driver.cpp and
//                           the test kernels of selftest/kernels.cu only, and, where nvcc was there at build time,
//                           those kernels' kernels.ptx and kernels.sm_90.cubin; default: the folder of this program
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

const float NaN = std::numeric_limits<float>::quiet_NaN();

// Whether got equals want element by element (NaN matching NaN); the first difference in *detail.
bool same(const std::vector<float> &got, const std::vector<float> &want, std::string *detail) {
    if (got.size() != want.size()) { *detail = "size"; return false; }
    for (size_t i = 0; i < got.size(); i++) {
        if (got[i] == want[i] || (std::isnan(got[i]) && std::isnan(want[i]))) continue;
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
    check(ok, what, detail);
}

// ------------------------------------------------------------------------------------------ the driver API

using H = void *;
using Ptr = unsigned long long;   // CUdeviceptr

constexpr int SUCCESS = 0, INVALID_VALUE = 1, INVALID_IMAGE = 200, INVALID_CONTEXT = 201, NOT_FOUND = 500,
              ILLEGAL_ADDRESS = 700, LAUNCH_FAILED = 719;

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
           && symbol(l, "cuModuleGetFunction", d.ModuleGetFunction) && symbol(l, "cuLaunchKernel", d.LaunchKernel);
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
int launch(const char *kernel, Dim grid, Dim block, A... args) {
    void *params[] = {static_cast<void *>(&args)..., nullptr};
    return cu.LaunchKernel(fn(kernel), grid.x, grid.y, grid.z, block.x, block.y, block.z, 0, nullptr, params, nullptr);
}

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

    // A cubin: only the entry symbols of its symbol table are kernels.
    const std::vector<unsigned char> cubin = handmadeElf(
            190, {{"count_blocks", 2, 0x10}, {"write_at", 2, 0}, {"shared_from_block0", 1, 0}},
            {"count_blocks", "write_at", "copy_floats"});
    H c = load(cubin.data(), "a hand-made cubin");
    expect(lookup(c, "count_blocks"), SUCCESS, "cubin: an entry symbol (STT_FUNC, STO_CUDA_ENTRY)");
    expect(lookup(c, "write_at"), NOT_FOUND, "cubin: an STT_FUNC without STO_CUDA_ENTRY (device function)");
    expect(lookup(c, "copy_floats"), NOT_FOUND, "cubin: only a section .text.copy_floats, no symbol");
    expect(lookup(c, "shared_from_block0"), NOT_FOUND, "cubin: an STT_OBJECT symbol");
    expect(lookup(c, "blocks"), NOT_FOUND, "cubin: the end of a kernel's name");

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
    // First launch of this process: the slots of the missing lanes were never written by anyone.
    shuffle({48}, 16, 48, "48 threads: the last warp's missing lanes read NaN");
    // Threads (x, 1) are lanes 16..31 of warp 0, not lanes 0..15 of a second warp 0.
    shuffle({16, 2}, 16, 32, "block (16, 2): warps from the linear thread index");
    shuffle({4, 4, 4}, 1, 64, "block (4, 4, 4): warps from the linear thread index");
    shuffle({8, 2, 3}, 8, 48, "block (8, 2, 3): a short last warp of a 3-D block");

    // Lanes that wrote their slot and returned read NaN.
    Ptr r = allocFilled(64, 0);
    for (unsigned keep : {32u, 24u, 16u}) {
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
    Ptr fresh = alloc(100);
    std::vector<unsigned char> bytes(100, 0);
    must(cu.DtoH(bytes.data(), fresh, 100, nullptr), "cuMemcpyDtoHAsync");
    bool allOnes = true;
    for (unsigned char b : bytes) allOnes &= b == 0xff;
    check(allOnes, "a fresh allocation reads 0xff bytes (NaN)");
    Ptr dst = allocFilled(25, 0);
    expect(launch("copy_floats", {1}, {32}, dst, fresh, 25), SUCCESS, "launch copy_floats");
    checkValues(readBack(dst, 25), std::vector<float>(25, NaN), "a kernel reads NaN from a fresh allocation");

    // Copies and memsets inside one allocation, and one byte beyond it.
    Ptr a = alloc(100), b = alloc(100);
    std::vector<unsigned char> host(200, 1);
    const int inside = cu.HtoD(a, host.data(), 100, nullptr) | cu.DtoH(host.data(), a, 100, nullptr)
                       | cu.DtoD(b, a, 100, nullptr) | cu.MemsetD8(a + 1, 0, 99, nullptr) | cu.MemsetD32(a + 4, 0, 24, nullptr)
                       | cu.HtoD(a, host.data(), 0, nullptr);
    expect(inside, SUCCESS, "copies and memsets that fill one allocation exactly");
    expect(cu.HtoD(a, host.data(), 101, nullptr), INVALID_VALUE, "cuMemcpyHtoDAsync one byte past the end");
    expect(cu.HtoD(a + 100, host.data(), 1, nullptr), INVALID_VALUE, "cuMemcpyHtoDAsync to the end of an allocation");
    expect(cu.DtoH(host.data(), a, 101, nullptr), INVALID_VALUE, "cuMemcpyDtoHAsync one byte past the end");
    expect(cu.DtoH(host.data(), a - 4, 8, nullptr), INVALID_VALUE, "cuMemcpyDtoHAsync from before the start");
    expect(cu.DtoD(b, a + 1, 100, nullptr), INVALID_VALUE, "cuMemcpyDtoDAsync: source one byte past the end");
    expect(cu.DtoD(b + 1, a, 100, nullptr), INVALID_VALUE, "cuMemcpyDtoDAsync: destination one byte past the end");
    expect(cu.MemsetD8(a, 0, 101, nullptr), INVALID_VALUE, "cuMemsetD8Async one byte past the end");
    expect(cu.MemsetD32(a, 0, 26, nullptr), INVALID_VALUE, "cuMemsetD32Async one word past the end");
    expect(cu.HtoD(0x1000, host.data(), 4, nullptr), INVALID_VALUE, "cuMemcpyHtoDAsync to an address that is no allocation");
    expect(cu.MemFree(a + 4), INVALID_VALUE, "cuMemFree of a pointer inside an allocation");

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

// What a second thread got: before it made the context current, and after.
struct OtherThread { H f; int before = -1, looked = -1, launched = -1, after = -1, freed = -1; };

void *otherThread(void *arg) {
    OtherThread &o = *static_cast<OtherThread *>(arg);
    Ptr p = 0;
    H g = nullptr;
    o.before = cu.MemAlloc(&p, 64);
    o.looked = cu.ModuleGetFunction(&g, module, "count_blocks");
    void *params[] = {&p};
    o.launched = cu.LaunchKernel(o.f, 1, 1, 1, 1, 1, 1, 0, nullptr, params, nullptr);
    cu.CtxSetCurrent(ctx);
    o.after = cu.MemAlloc(&p, 64);
    o.freed = cu.MemFree(p);
    return nullptr;
}

void testContexts() {
    OtherThread o;
    o.f = fn("count_blocks");
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

// Runs fn in a child process with a time limit of `seconds`; a crash or a timeout is one more failed check.
void section(const char *name, void (*fn)(), unsigned seconds = 20, bool quiet = false) {
    std::printf("-- %s\n", name);
    std::fflush(stdout);
    int counts[2] = {0, 0}, pipefd[2];
    if (pipe(pipefd) != 0) { std::perror("pipe"); std::exit(2); }
    const pid_t pid = fork();
    if (pid < 0) { std::perror("fork"); std::exit(2); }
    if (pid == 0) {
        close(pipefd[0]);
        if (quiet) {   // the simulator's complaints here are expected and say nothing
            const int null = open("/dev/null", O_WRONLY);
            if (null >= 0) dup2(null, 2);
        }
        alarm(seconds);
        checks = failures = 0;
        fn();
        std::fflush(stdout);
        counts[0] = checks;
        counts[1] = failures;
        _exit(write(pipefd[1], counts, sizeof counts) == (ssize_t)sizeof counts ? 0 : 3);
    }
    close(pipefd[1]);
    const ssize_t got = ::read(pipefd[0], counts, sizeof counts);
    close(pipefd[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    checks += counts[0];
    failures += counts[1];
    if (got == (ssize_t)sizeof counts && WIFEXITED(status) && WEXITSTATUS(status) == 0) return;
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
    dir = argc > 1 ? argv[1] : programDir();
    section("production library", testProduction, 20, true);
    if (!loadDriver(dir + "/libcuda.so.1", cu)) return 1;
    if (cu.Init(0) != SUCCESS || cu.PrimaryCtxRetain(&ctx, 0) != SUCCESS || cu.CtxSetCurrent(ctx) != SUCCESS) {
        std::printf("FAIL cuInit, cuDevicePrimaryCtxRetain, cuCtxSetCurrent\n");
        return 1;
    }
    // The module of the launches: nvcc's cubin where it was built (as CudaBackend loads the sm_90 cubin on an
    // H100), else a PTX with the kernels' .entry lines.
    std::string image;
    const bool nvcc = readFile(dir + "/kernels.sm_90.cubin", image);
    if (!nvcc) {
        const std::vector<std::string> all(std::begin(KERNELS), std::end(KERNELS));
        image = handmadePtx(all);
    }
    if (cu.ModuleLoadDataEx(&module, image.c_str(), 0, nullptr, nullptr) != SUCCESS) {
        std::printf("FAIL load the test kernels' image\n");
        return 1;
    }
    std::printf("test kernels from %s\n", nvcc ? "nvcc's kernels.sm_90.cubin" : "a hand-made PTX (built without nvcc)");
    section("module images", testImages);
    section("warp shuffles", testShuffles);
    section("shared memory", testShared);
    section("barriers", testBarriers);
    section("launch shapes", testGrids);
    section("device memory", testMemory);
    section("contexts", testContexts);
    std::printf("%s: %d checks, %d failed\n", failures == 0 ? "PASS" : "FAIL", checks, failures);
    return failures == 0 ? 0 : 1;
}
