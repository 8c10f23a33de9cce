package dev.sparring.backend.cuda;

import dev.sparring.backend.StepGraph;
import dev.sparring.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;

import java.lang.foreign.MemorySegment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A step graph whose capture fails leaves the backend usable: op by op work, a later capture, and close all work.
 * Skipped without a GPU; runs on the host CUDA simulator.
 */
@EnabledIf(value = "gpuAvailable", disabledReason = "no usable GPU (see CudaRuntime.probe())")
class CudaStepGraphTest {
    static boolean gpuAvailable() { return CudaRuntime.probe().available(); }

    @Test
    void aStepThatAllocatesWhileCapturedIsRefusedAndTheNextCaptureWorks() {
        try (CudaBackend gpu = new CudaBackend(); Tensor a = gpu.zeros(4); StepGraph g = gpu.stepGraph()) {
            boolean[] allocate = {false};
            Runnable step = () -> {
                gpu.fill(a, 2);
                if (allocate[0]) gpu.zeros(4).close();
                gpu.scale(a, 3);
            };
            g.run(step);                                   // op by op, clean
            allocate[0] = true;
            var e = assertThrows(IllegalStateException.class, () -> g.run(step));   // the capture
            assertTrue(e.getMessage().contains("allocating a tensor"), e.getMessage());
            assertEquals(CudaDriver.CU_STREAM_CAPTURE_STATUS_NONE, CudaDriver.streamCaptureStatus(gpu.stream()), "capture ended");
            gpu.fill(a, 1);                                // op by op work between steps
            assertEquals(1f, gpu.download(a)[0]);
            allocate[0] = false;
            g.run(step);                                   // captured now
            g.run(step);                                   // replayed
            assertEquals(new StepGraph.Stats(1, 1, 1, 2), g.stats());
            assertEquals(6f, gpu.download(a)[3]);
        }
    }

    @Test
    void aCaptureThatCudaRefusesToBeginLeavesTheBackendUsable() {
        CudaBackend gpu = new CudaBackend();
        try (Tensor a = gpu.zeros(4)) {
            StepGraph g = gpu.stepGraph();
            g.run(() -> gpu.fill(a, 5));                   // op by op: the next call captures
            MemorySegment stream = gpu.stream();
            CudaDriver.streamBeginCapture(stream, CudaDriver.CU_STREAM_CAPTURE_MODE_RELAXED);   // someone else's capture
            var e = assertThrows(CudaException.class, () -> g.run(() -> gpu.fill(a, 5)));
            assertTrue(e.getMessage().contains("cuStreamBeginCapture_v2"), e.getMessage());
            MemorySegment other = CudaDriver.streamEndCapture(stream);
            CudaDriver.graphDestroy(other);
            g.run(() -> gpu.fill(a, 5));                   // the backend is not stuck in a step
            assertEquals(5f, gpu.download(a)[2]);
            g.close();
        } finally {
            gpu.close();                                   // closes, no step left running
        }
    }
}
