package dev.sparring.backend.cuda;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The host CUDA simulator's own checks, so that the GPU tests that run on the simulator rely on something proven:
 * its cuDNN and cuBLAS stand-ins against naive references (native/cudasim/dnn_selftest.cpp), and its driver
 * (scheduler, device memory, module loading) with test kernels of its own (native/cudasim/driver_selftest.cpp,
 * native/cudasim/selftest/kernels.cu). Skipped where the build had no g++ and the simulator was not built.
 */
class CudaSimulatorSelfTest {
    private static final Path DIR = Path.of("target", "cudasim");

    @Test
    void cudnnAndCublasStandInsMatchTheirReferences(@TempDir Path tmp) throws IOException, InterruptedException {
        run(DIR.resolve("dnn_selftest"), 120, tmp);
    }

    @Test
    void driverSchedulerMemoryAndModuleChecksHold(@TempDir Path tmp) throws IOException, InterruptedException {
        // each of its sections has a time limit of its own (20 s), so that a hanging simulator fails, not stalls
        run(DIR.resolve("selftest").resolve("driver_selftest"), 300, tmp);
    }

    /**
     * Runs {@code exe} with a time limit: its output goes to a file, not to a pipe that would have to be read to its
     * end (which a hanging program never reaches) before the wait for it could begin. A program still running at the
     * limit is killed, with the processes it started, and fails the test with what it printed.
     */
    private static void run(Path exe, long seconds, Path tmp) throws IOException, InterruptedException {
        assumeTrue(Files.isExecutable(exe), "the CUDA simulator was not built (no g++): " + exe);
        Path log = tmp.resolve(exe.getFileName() + ".log");
        Process p = new ProcessBuilder(exe.toString(), exe.getParent().toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        p.getOutputStream().close();
        boolean finished = p.waitFor(seconds, TimeUnit.SECONDS);
        if (!finished) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly().waitFor();
        }
        String out = new String(Files.readAllBytes(log));
        assertTrue(finished, exe.getFileName() + " did not finish in " + seconds + " s; its output:\n" + out);
        assertEquals(0, p.exitValue(), out);
    }
}
