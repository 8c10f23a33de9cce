package dev.sparring.backend.cuda;

import org.junit.jupiter.api.Test;

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
    void cudnnAndCublasStandInsMatchTheirReferences() throws IOException, InterruptedException {
        run(DIR.resolve("dnn_selftest"), 120);
    }

    @Test
    void driverSchedulerMemoryAndModuleChecksHold() throws IOException, InterruptedException {
        // each of its sections has a time limit of its own (20 s), so that a hanging simulator fails, not stalls
        run(DIR.resolve("selftest").resolve("driver_selftest"), 300);
    }

    private static void run(Path exe, long seconds) throws IOException, InterruptedException {
        assumeTrue(Files.isExecutable(exe), "the CUDA simulator was not built (no g++): " + exe);
        Process p = new ProcessBuilder(exe.toString(), exe.getParent().toString()).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(seconds, TimeUnit.SECONDS), exe.getFileName() + " did not finish");
        assertEquals(0, p.exitValue(), out);
    }
}
