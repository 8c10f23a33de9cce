// selftest_util.h: what the simulator's two self-test programs (dnn_selftest.cpp, driver_selftest.cpp) share.
#pragma once

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>

// The folder of the running program: the self-tests load the libraries built beside them.
inline std::string programDir() {
    char buf[4096];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n <= 0) return ".";
    std::string p(buf, size_t(n));
    size_t slash = p.rfind('/');
    return slash == std::string::npos ? "." : p.substr(0, slash);
}

// How a child process of runInChild ended: its checks and failures, and whether it finished (else `status` is
// its wait status: a crash, a timeout by SIGALRM, or an exit status).
struct ChildRun {
    int checks = 0, failures = 0;
    bool finished = false;
    int status = 0;
};

// Runs body() in a child process with a time limit of `seconds` (stderr silenced when quiet). body runs checks and
// returns {checks, failures}; they come back through a pipe. A section in a child cannot take the program down, and
// what it loads stays out of the parent.
template <typename Body>
ChildRun runInChild(unsigned seconds, bool quiet, Body body) {
    std::fflush(stdout);
    int counts[2] = {0, 0}, pipefd[2];
    if (pipe(pipefd) != 0) { std::perror("pipe"); std::exit(2); }
    const pid_t pid = fork();
    if (pid < 0) { std::perror("fork"); std::exit(2); }
    if (pid == 0) {
        close(pipefd[0]);
        if (quiet) {
            const int null = open("/dev/null", O_WRONLY);
            if (null >= 0) dup2(null, 2);
        }
        alarm(seconds);
        const auto [checks, failures] = body();
        std::fflush(stdout);
        counts[0] = checks;
        counts[1] = failures;
        _exit(write(pipefd[1], counts, sizeof counts) == (ssize_t)sizeof counts ? 0 : 3);
    }
    close(pipefd[1]);
    const ssize_t got = ::read(pipefd[0], counts, sizeof counts);
    close(pipefd[0]);
    ChildRun r;
    waitpid(pid, &r.status, 0);
    r.checks = counts[0];
    r.failures = counts[1];
    r.finished = got == (ssize_t)sizeof counts && WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0;
    return r;
}
