package dev.sparring.backend.cuda;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The host CUDA simulator's own checks, so that the GPU tests that run on the simulator rely on something proven:
 * its cuDNN and cuBLAS stand-ins against naive references (native/cudasim/dnn_selftest.cpp), and its driver
 * (scheduler, device memory, module loading) with test kernels of its own (native/cudasim/driver_selftest.cpp,
 * native/cudasim/selftest/kernels.cu); and that the subset of the driver's checks that a GPU session runs against the
 * real driver ({@code driver_selftest --cuda-only}, bench/gpu/session.sh) holds on the simulator too. Skipped where the
 * build had no g++ and the simulator was not built.
 */
class CudaSimulatorSelfTest {
    private static final Path DIR = Path.of("target", "cudasim");

    @Test
    void cudnnAndCublasStandInsMatchTheirReferences(@TempDir Path tmp) throws IOException, InterruptedException {
        Path exe = DIR.resolve("dnn_selftest");
        run(exe, 120, tmp, exe.getParent().toString());
    }

    @Test
    void driverSchedulerMemoryAndModuleChecksHold(@TempDir Path tmp) throws IOException, InterruptedException {
        // each of its sections has a time limit of its own (20 s), so that a hanging simulator fails, not stalls
        Path exe = DIR.resolve("selftest").resolve("driver_selftest");
        run(exe, 300, tmp, exe.getParent().toString());
    }

    @Test
    void driverChecksOfCudasOwnRulesHoldOnTheSimulator(@TempDir Path tmp) throws IOException, InterruptedException {
        // what a GPU session runs against the real driver: an expectation there that the simulator fails is wrong
        Path dir = DIR.resolve("selftest");
        String out = run(dir.resolve("driver_selftest"), 300, tmp, "--cuda-only", dir.resolve("libcuda.so.1").toString(), dir.toString());
        assertTrue(out.contains("SKIP simulator only: cudasim_stream_submit") && out.contains("(CUDA's rules only"), out);
    }

    /**
     * Runs {@code exe} with a time limit: its output goes to a file, not to a pipe that would have to be read to its
     * end (which a hanging program never reaches) before the wait for it could begin. A program still running at the
     * limit is killed, with the processes it started, and fails the test with what it printed. Returns its output.
     */
    private static String run(Path exe, long seconds, Path tmp, String... args) throws IOException, InterruptedException {
        assumeTrue(Files.isExecutable(exe), "the CUDA simulator was not built (no g++): " + exe);
        Path log = tmp.resolve(exe.getFileName() + ".log");
        List<String> command = new ArrayList<>(List.of(exe.toString()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        p.getOutputStream().close();
        boolean finished = p.waitFor(seconds, TimeUnit.SECONDS);
        if (!finished) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly().waitFor();
        }
        String out = new String(Files.readAllBytes(log));
        assertTrue(finished, exe.getFileName() + " did not finish in " + seconds + " s; its output:\n" + out);
        assertEquals(0, p.exitValue(), out);
        return out;
    }
}
