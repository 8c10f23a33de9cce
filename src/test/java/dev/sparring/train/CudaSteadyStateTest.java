package dev.sparring.train;

import dev.sparring.backend.cuda.CudaBackend;
import dev.sparring.backend.cuda.CudaException;
import dev.sparring.backend.cuda.CudaRuntime;
import dev.sparring.backend.cuda.NativeLibraries;
import dev.sparring.data.ImageDataset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * What a training step asks of the device once it is warm: no allocation, no module load, and no wait for the
 * device but the metrics read every logEvery steps. The host CUDA simulator (native/cudasim) counts every driver
 * call; on a real GPU this test is skipped (there, Nsight Systems shows the same).
 */
@EnabledIf(value = "gpuAvailable", disabledReason = "no usable GPU (see CudaRuntime.probe())")
class CudaSteadyStateTest {
    static boolean gpuAvailable() { return CudaRuntime.probe().available(); }

    // cudasim_counters order (native/cudasim/driver.cpp)
    static final String[] NAMES = {"cuMemAlloc", "cuMemFree", "cuMemAllocHost", "HtoD copies", "DtoH copies", "DtoD copies",
            "memsets", "launches", "cuStreamSynchronize", "cuEventSynchronize", "cuEventRecord", "cuModuleLoadDataEx",
            "graph launches", "captured nodes"};
    static final int ALLOC = 0, FREE = 1, HOST_ALLOC = 2, HTOD = 3, DTOH = 4, LAUNCH = 7, STREAM_SYNC = 8, EVENT_SYNC = 9,
            MODULE_LOAD = 11;

    /** The simulator's cudasim_counters; skips the test (assumption) when the CUDA library is not the simulator. */
    static MethodHandle simulatorCounters() {
        try {
            return NativeLibraries.require(NativeLibraries.CUDA).bind("cudasim_counters", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        } catch (CudaException e) {
            assumeTrue(false, "not the host CUDA simulator: no call counters");
            throw e;
        }
    }

    /** The first {@code n} counters, in the order of {@link #NAMES}. */
    static long[] counters(MethodHandle h, int n) throws Throwable {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(JAVA_LONG, n);
            int have = (int) h.invokeExact(out, n);
            assertTrue(have >= n, "counters of the simulator: " + have + ", expected " + n);
            return out.toArray(JAVA_LONG);
        }
    }

    private static long[] counters(MethodHandle h) throws Throwable { return counters(h, NAMES.length); }

    @Test
    void aWarmTrainingStepAllocatesNothingAndWaitsOnlyForTheMetrics() throws Throwable {
        MethodHandle h = simulatorCounters();
        int logEvery = 5, steps = 10;
        ImageDataset data = TrainerTest.firstDigits(24);    // 6 batches of 4 per epoch: the timed steps cross epochs
        TrainConfig cfg = TrainerTest.tinyDcgan().toBuilder().steps(40).logEvery(logEvery).dSteps(2).build();
        try (CudaBackend gpu = new CudaBackend(); Trainer t = new Trainer(cfg, gpu, data, TestLosses.nonSaturating())) {
            for (int i = 0; i < logEvery; i++) t.step();   // warm-up: algorithm search, workspaces
            t.drainMetrics();
            long[] before = counters(h);
            for (int i = 0; i < steps; i++) {
                t.step();
                if (t.stepCount() % logEvery == 0) t.drainMetrics();
            }
            long[] after = counters(h);
            long[] d = new long[NAMES.length];
            StringBuilder report = new StringBuilder(steps + " warm steps asked the device for:");
            for (int i = 0; i < d.length; i++) {
                d[i] = after[i] - before[i];
                report.append(' ').append(NAMES[i]).append(' ').append(d[i]).append(',');
            }
            String r = report.toString();
            System.out.println(r);
            assertEquals(0, d[ALLOC], r);
            assertEquals(0, d[FREE], r);
            assertEquals(0, d[HOST_ALLOC], r);
            assertEquals(0, d[MODULE_LOAD], r);
            assertEquals(steps / logEvery, d[DTOH], "one metrics read per " + logEvery + " steps: " + r);
            assertEquals(steps / logEvery, d[STREAM_SYNC], "a wait for each metrics read: " + r);
            // each new epoch copies its order of the images into the same device buffer, through the pinned staging
            // buffer: its only wait is for the previous staged copy (an epoch earlier) to have left that buffer
            long batchesBefore = (long) logEvery * 2, batchesAfter = (long) (logEvery + steps) * 2, perEpoch = 24 / 4;
            long epochs = (batchesAfter - 1) / perEpoch - (batchesBefore - 1) / perEpoch;
            assertEquals(epochs, d[HTOD], "one upload per new epoch: " + r);
            assertTrue(d[EVENT_SYNC] <= epochs, "a wait for the staging buffer per upload at most: " + r);
            assertTrue(d[LAUNCH] > 0, r);
        }
    }
}
