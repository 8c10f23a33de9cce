package dev.sparring.backend.cuda;

import dev.sparring.backend.BackendException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/** probe() and doctorReport() on any machine: they never throw, and an unavailable GPU comes with its reason. */
class CudaRuntimeTest {

    @Test
    void probeIsConsistent() {
        CudaRuntime.Status s = CudaRuntime.probe();
        if (s.available()) {
            assertNull(s.reason());
            assertTrue(s.device() != null && s.device().contains("sm_"), String.valueOf(s.device()));
            assertTrue(s.driverVersion() >= 12000, "driver " + s.driverVersion());
        } else {
            assertTrue(s.reason() != null && !s.reason().isBlank());
        }
    }

    @Test
    void doctorReportCoversEveryPart() {
        String r = CudaRuntime.doctorReport();
        for (String part : new String[] {"kernels in this jar:", "driver library:", "cuBLAS:", "cuDNN:", "status:"}) {
            assertTrue(r.contains(part), "missing '" + part + "' in\n" + r);
        }
    }

    @Test
    void doctorShowsALibrarySearchReportOnce() {
        CudaRuntime.Status s = CudaRuntime.probe();
        assumeFalse(s.available(), "a GPU is available here");
        String r = CudaRuntime.doctorReport();
        String detail = s.reason().lines().skip(1).findFirst().orElse(null);
        if (detail != null) {
            assertEquals(r.indexOf(detail.strip()), r.lastIndexOf(detail.strip()), "the search report twice in\n" + r);
            assertTrue(r.contains("  status: unavailable: " + CudaRuntime.firstLine(s.reason()) + " (see above)"), r);
        } else {
            assertTrue(r.contains("  status: unavailable: " + s.reason()), r);
        }
    }

    @Test
    void backendWithoutAGpuFailsWithTheProbeReason() {
        CudaRuntime.Status s = CudaRuntime.probe();
        assumeFalse(s.available(), "a GPU is available here");
        BackendException e = assertThrows(BackendException.class, CudaBackend::new);
        assertTrue(e.getMessage().startsWith("CUDA backend unavailable: "), e.getMessage());
        assertTrue(e.getMessage().contains(s.reason()), e.getMessage());
        assertFalse(e instanceof CudaException, "not a native failure: nothing was called");
    }
}
