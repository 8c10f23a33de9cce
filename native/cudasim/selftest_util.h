// selftest_util.h: what the simulator's two self-test programs (dnn_selftest.cpp, driver_selftest.cpp) share.
#pragma once

#include <string>
#include <unistd.h>

// The folder of the running program: the self-tests load the libraries built beside them.
inline std::string programDir() {
    char buf[4096];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n <= 0) return ".";
    std::string p(buf, size_t(n));
    size_t slash = p.rfind('/');
    return slash == std::string::npos ? "." : p.substr(0, slash);
}
