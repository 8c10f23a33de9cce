package dev.sparring.backend.cuda;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * native/build-kernels.sh: with nvcc (as the build runs it, in process-classes) every kernel of kernels/*.cu is in
 * the PTX and the cubins under target/classes; without nvcc the script says so in one line and succeeds.
 */
class KernelBuildTest {
    private static final Path KERNELS = Path.of("kernels");
    private static final Path OUT = Path.of("target", "classes", "dev", "sparring", "kernels");

    /** nvcc as the script finds it: PATH, then $CUDA_HOME/bin. */
    private static boolean nvccPresent() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "nvcc"))) return true;
        }
        String home = System.getenv("CUDA_HOME");
        return home != null && Files.isExecutable(Path.of(home, "bin", "nvcc"));
    }

    /** The extern "C" __global__ entry points of a .cu file. */
    static List<String> entries(Path cu) throws IOException {
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile("extern \"C\" __global__ void (\\w+)\\(").matcher(Files.readString(cu));
        while (m.find()) out.add(m.group(1));
        return out;
    }

    static List<Path> sources() throws IOException {
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(KERNELS, "*.cu")) {
            for (Path p : ds) out.add(p);
        }
        out.sort(null);
        return out;
    }

    @Test
    void everyKernelIsInThePtxAndTheCubinsExist() throws IOException {
        assumeTrue(nvccPresent(), "nvcc not found: this build is CPU-only");
        Optional<KernelBuild> build = KernelBuild.load();
        assertTrue(build.isPresent(), "kernels.properties missing from the class path although nvcc is present");
        List<String> families = new ArrayList<>();
        for (Path cu : sources()) {
            String family = cu.getFileName().toString().replace(".cu", "");
            families.add(family);
            List<String> names = entries(cu);
            assertFalse(names.isEmpty(), cu + " has no extern \"C\" __global__ kernel");
            String ptx = Files.readString(OUT.resolve(family + ".ptx"));
            assertTrue(ptx.contains(".target sm_" + build.get().ptxArch()), family + ".ptx does not target compute_" + build.get().ptxArch());
            for (String name : names) {
                assertTrue(ptx.contains(".entry " + name + "("), family + ".ptx lacks the entry " + name);
            }
            for (int arch : build.get().cubinArchs()) {
                byte[] cubin = Files.readAllBytes(OUT.resolve(family + ".sm_" + arch + ".cubin"));
                assertArrayEquals(new byte[] {0x7f, 'E', 'L', 'F'}, java.util.Arrays.copyOf(cubin, 4), family + " sm_" + arch + " is not an ELF cubin");
                for (String name : names) {
                    assertTrue(new String(cubin, java.nio.charset.StandardCharsets.ISO_8859_1).contains(name),
                            family + ".sm_" + arch + ".cubin lacks " + name);
                }
            }
        }
        assertEquals(families, build.get().families().stream().sorted().toList());
    }

    @Test
    void withoutNvccTheScriptSaysSoAndSucceeds(@TempDir Path tmp) throws Exception {
        Path bash = Path.of("/bin/bash");
        assumeTrue(Files.isExecutable(bash), "no /bin/bash");
        assumeTrue(!Files.exists(Path.of("/usr/bin/nvcc")) && !Files.exists(Path.of("/bin/nvcc")),
                "nvcc is in /usr/bin or /bin: cannot hide it");
        Path out = tmp.resolve("kernels");
        ProcessBuilder pb = new ProcessBuilder(bash.toString(), "native/build-kernels.sh", out.toString()).redirectErrorStream(true);
        Map<String, String> env = pb.environment();
        env.put("PATH", "/usr/bin:/bin");
        env.remove("CUDA_HOME");
        Process p = pb.start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "build-kernels.sh did not finish");
        String output = new String(p.getInputStream().readAllBytes()).strip();
        assertEquals(0, p.exitValue(), output);
        assertEquals(1, output.lines().count(), output);
        assertTrue(output.contains("nvcc not found") && output.contains("CPU-only"), output);
        assertFalse(Files.exists(out), "no kernel folder without nvcc");
    }
}
