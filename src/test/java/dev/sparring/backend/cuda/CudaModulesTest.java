package dev.sparring.backend.cuda;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Which kernel image a device gets (pure logic, no GPU). */
class CudaModulesTest {
    private static final KernelBuild BUILD = new KernelBuild("13.0.88", 80, List.of(80, 90), List.of("noise"));
    private static final String DIR = KernelBuild.RESOURCE_DIR;

    private static List<CudaModules.Image> pick(int major, int minor) {
        return CudaModules.candidates(BUILD, "noise", major, minor);
    }

    @Test
    void exactCubinFirstThenPtx() {
        assertEquals(List.of(new CudaModules.Image(DIR + "noise.sm_90.cubin", false), new CudaModules.Image(DIR + "noise.ptx", true)),
                pick(9, 0));
        assertEquals(List.of(new CudaModules.Image(DIR + "noise.sm_80.cubin", false), new CudaModules.Image(DIR + "noise.ptx", true)),
                pick(8, 0));
    }

    @Test
    void laterMinorOfTheSameMajorRunsTheOlderCubin() {
        assertEquals(DIR + "noise.sm_80.cubin", pick(8, 6).get(0).resource());
        assertEquals(DIR + "noise.sm_80.cubin", pick(8, 9).get(0).resource());
    }

    @Test
    void newerMajorGetsOnlyThePtx() {
        assertEquals(List.of(new CudaModules.Image(DIR + "noise.ptx", true)), pick(10, 0));
        assertEquals(List.of(new CudaModules.Image(DIR + "noise.ptx", true)), pick(12, 0));
    }

    @Test
    void olderThanThePtxTargetGetsNothing() {
        assertEquals(List.of(), pick(7, 5));
    }

    @Test
    void buildDescriptionParsesTheScriptOutput() {
        Properties p = new Properties();
        p.setProperty("nvcc.version", "13.0.88");
        p.setProperty("ptx.arch", "compute_80");
        p.setProperty("cubin.archs", "sm_80 sm_90");
        p.setProperty("families", "activations noise");
        KernelBuild b = KernelBuild.parse(p);
        assertEquals(new KernelBuild("13.0.88", 80, List.of(80, 90), List.of("activations", "noise")), b);
        assertEquals(13000, b.requiredDriverVersion());
        assertEquals("12.8", KernelBuild.cudaVersion(12080));
    }
}
