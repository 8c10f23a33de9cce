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
 * The host CUDA simulator's own check of its cuDNN and cuBLAS stand-ins against naive references
 * (native/cudasim/dnn_selftest.cpp), so that the GPU tests that run on the simulator compare against something
 * proven. Skipped where the build had no g++ and the simulator was not built.
 */
class CudaSimulatorSelfTest {
    @Test
    void cudnnAndCublasStandInsMatchTheirReferences() throws IOException, InterruptedException {
        Path exe = Path.of("target", "cudasim", "dnn_selftest");
        assumeTrue(Files.isExecutable(exe), "the CUDA simulator was not built (no g++): " + exe);
        Process p = new ProcessBuilder(exe.toString(), exe.getParent().toString()).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "dnn_selftest did not finish");
        assertEquals(0, p.exitValue(), out);
    }
}
