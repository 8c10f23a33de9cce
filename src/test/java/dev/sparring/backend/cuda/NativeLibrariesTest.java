package dev.sparring.backend.cuda;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.FunctionDescriptor;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The library search and its one message, with injected search paths (no GPU needed). */
class NativeLibrariesTest {

    @Test
    void nothingFoundExplainsWhatWasSearchedAndWhatToInstall(@TempDir Path tmp) throws Exception {
        Path empty = Files.createDirectory(tmp.resolve("empty"));
        Path missing = tmp.resolve("missing");
        NativeLibraries.Located l = NativeLibraries.locate(NativeLibraries.CUDNN,
                new NativeLibraries.Search(Map.of(), List.of(empty, missing), false));
        assertFalse(l.found());
        String m = l.message();
        assertTrue(m.startsWith("cuDNN not found"), m);
        assertTrue(m.contains("$SPARRING_LIBCUDNN: unset"), m);
        assertTrue(m.contains("folders without libcudnn.so.9 or libcudnn.so.8: " + empty), m);
        assertTrue(m.contains("folders that do not exist: " + missing), m);
        assertTrue(m.contains("Found: no usable file."), m);
        assertTrue(m.contains("To fix: pip install nvidia-cudnn-cu12"), m);
        assertFalse(m.contains("system loader"), "the system loader was not asked: " + m);
    }

    @Test
    void aFileThatFailsToLoadIsReportedWithTheLoaderError(@TempDir Path tmp) throws Exception {
        Path bogus = tmp.resolve("libcublas.so.12");
        Files.writeString(bogus, "not an ELF file");
        NativeLibraries.Located l = NativeLibraries.locate(NativeLibraries.CUBLAS,
                new NativeLibraries.Search(Map.of(), List.of(tmp), false));
        assertFalse(l.found());
        String m = l.message();
        assertTrue(m.contains(bogus + " exists but failed to load: "), m);
        // dlerror names the file and the reason (glibc: "invalid ELF header" or "file too short")
        String reason = m.substring(m.indexOf("failed to load: ") + 16);
        assertTrue(reason.contains(bogus.toString()) || reason.contains("ELF") || reason.contains("short"), m);
    }

    @Test
    void overrideVariableIsTheOnlyPlaceLookedAtWhenSet(@TempDir Path tmp) {
        Path nowhere = tmp.resolve("libcuda.so.1");
        NativeLibraries.Located l = NativeLibraries.locate(NativeLibraries.CUDA,
                new NativeLibraries.Search(Map.of("SPARRING_LIBCUDA", nowhere.toString()), List.of(tmp), true));
        assertFalse(l.found());
        assertTrue(l.message().contains("SPARRING_LIBCUDA=" + nowhere + " is not a file"), l.message());
    }

    @Test
    void overrideVariablePointingAtABrokenFileSaysSo(@TempDir Path tmp) throws Exception {
        Path bogus = Files.writeString(tmp.resolve("libcudnn.so.9"), "garbage");
        NativeLibraries.Located l = NativeLibraries.locate(NativeLibraries.CUDNN,
                new NativeLibraries.Search(Map.of("SPARRING_LIBCUDNN", bogus.toString()), List.of(), false));
        assertFalse(l.found());
        assertTrue(l.message().startsWith("cuDNN could not be loaded from SPARRING_LIBCUDNN=" + bogus), l.message());
    }

    /** A real library (the C math library the JVM has mapped) found in a folder; symbols bind, a missing one is named. */
    @Test
    void findsALibraryInAFolderAndNamesAMissingSymbol() throws Throwable {
        Path libm = NativeLibraries.mappedPath("libm.so.6");
        assumeTrue(libm != null, "libm.so.6 is not mapped in this JVM");
        NativeLibraries.Spec spec = new NativeLibraries.Spec("libm", "SPARRING_TEST_LIBM", List.of("libm.so.6"), Map.of(),
                "nothing to install");
        NativeLibraries.Located l = NativeLibraries.locate(spec,
                new NativeLibraries.Search(Map.of(), List.of(libm.getParent()), false));
        assertTrue(l.found(), l.message());
        assertEquals("folder " + libm.getParent(), l.library().how());
        MethodHandle cos = l.library().bind("cos", FunctionDescriptor.of(JAVA_DOUBLE, JAVA_DOUBLE));
        assertEquals(Math.cos(0.5), (double) cos.invokeExact(0.5), 1e-15);
        CudaException e = assertThrows(CudaException.class,
                () -> l.library().bind("cudnnNoSuchFunction", FunctionDescriptor.ofVoid()));
        assertTrue(e.getMessage().contains("has no symbol cudnnNoSuchFunction"), e.getMessage());
        assertTrue(e.getMessage().contains(libm.getParent().toString()), e.getMessage());
        assertEquals("libm", e.library());
    }

    @Test
    void mappedPathFallsBackToTheStemOfTheSoname() {
        Path libm = NativeLibraries.mappedPath("libm.so.6");
        assumeTrue(libm != null, "libm.so.6 is not mapped in this JVM");
        assertEquals(libm, NativeLibraries.mappedPath("libm.so.99"), "libcuda.so.1 is mapped as libcuda.so.<driver version>");
        assertEquals(null, NativeLibraries.mappedPath("libsparring_absent.so.1"));
    }

    @Test
    void standardSearchOfTheDriverLooksInTheSystemFoldersOnly() {
        List<Path> dirs = NativeLibraries.Search.standard().dirs().apply(NativeLibraries.CUDA);
        assertEquals(NativeLibraries.DRIVER_DIRS, dirs);
        assertNotNull(NativeLibraries.Search.standard().dirs().apply(NativeLibraries.CUDNN));
    }
}
