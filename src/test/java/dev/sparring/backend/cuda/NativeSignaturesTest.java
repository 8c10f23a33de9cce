package dev.sparring.backend.cuda;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Checks every FFM binding of CudaDriver, Cublas and Cudnn against the library's own C header, where the header and
 * a C++ compiler are present (cuda.h comes with nvcc; cublas_api.h and cudnn.h with the toolkit or the NVIDIA pip
 * wheels): a generated C++ file static_asserts, per function, the argument count and the calling-convention class
 * of the result and of each argument (4-byte integer or enum, 8-byte word = pointer or 64-bit integer, float,
 * double, byte). Device pointers bound as {@code long} are words like {@code void*}, as the ABI passes them.
 * Header folders: CPATH, CPLUS_INCLUDE_PATH, $CUDA_HOME/include, /usr/local/cuda/include, /usr/include and the
 * pip wheels' nvidia/*&#47;include.
 */
class NativeSignaturesTest {
    private static final Path SRC = Path.of("src/main/java/dev/sparring/backend/cuda");
    private static final Map<String, Character> KIND = Map.of("JAVA_INT", 'I', "JAVA_LONG", 'W', "ADDRESS", 'W',
            "JAVA_FLOAT", 'F', "JAVA_DOUBLE", 'D', "JAVA_BYTE", 'B');

    /** (function, kinds: result first) from the bind(...) calls of a binding class. */
    static Map<String, String> bindings(Path java) throws IOException {
        String src = Files.readString(java).replaceAll("\\s+", " ");
        Map<String, String> out = new java.util.LinkedHashMap<>();
        // bind("name", ...) and bindFirst(List.of("name", "older name"), ...): the first name is the header's
        Matcher m = Pattern.compile("bind(?:First\\(List\\.of)?\\(\"(\\w+)\"(?:, \"\\w+\")*\\)?, (status\\(|FunctionDescriptor\\.of\\()([^)]*)\\)\\)")
                .matcher(src);
        while (m.find()) {
            StringBuilder kinds = new StringBuilder(m.group(2).startsWith("status") ? "I" : "");
            for (String a : m.group(3).split(",")) {
                if (a.isBlank()) continue;
                Character k = KIND.get(a.trim());
                if (k == null) throw new IllegalStateException("unknown layout " + a + " for " + m.group(1));
                kinds.append(k);
            }
            out.put(m.group(1), kinds.toString());
        }
        return out;
    }

    /** Folders that may hold the CUDA, cuBLAS and cuDNN headers on this machine. */
    static List<Path> includeDirs() {
        Set<Path> dirs = new LinkedHashSet<>();
        for (String var : List.of("CPATH", "CPLUS_INCLUDE_PATH")) {
            for (String d : System.getenv().getOrDefault(var, "").split(":")) if (!d.isBlank()) dirs.add(Path.of(d));
        }
        String home = System.getenv("CUDA_HOME");
        if (home != null) dirs.add(Path.of(home, "include"));
        dirs.add(Path.of("/usr/local/cuda/include"));
        dirs.add(Path.of("/usr/include"));
        for (Path site : NativeLibraries.pythonSiteDirs(System.getenv())) {
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(site.resolve("nvidia"))) {
                for (Path pkg : ds) if (Files.isDirectory(pkg.resolve("include"))) dirs.add(pkg.resolve("include"));
            } catch (IOException | RuntimeException ignored) {
                // no NVIDIA wheels in this site folder
            }
        }
        return dirs.stream().filter(Files::isDirectory).toList();
    }

    static Path gxx() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "g++"))) return Path.of(dir, "g++");
        }
        return null;
    }

    @ParameterizedTest(name = "{0} against {1}")
    @CsvSource({"CudaDriver, cuda.h", "Cublas, cublas_api.h", "Cudnn, cudnn.h", "Cusolver, cusolverDn.h"})
    void bindingsMatchTheHeader(String binding, String header, @TempDir Path tmp) throws Exception {
        Path gxx = gxx();
        assumeTrue(gxx != null, "no g++ on PATH");
        List<Path> includes = includeDirs();
        assumeTrue(includes.stream().anyMatch(d -> Files.exists(d.resolve(header))), header + " not found in " + includes);
        Map<String, String> sigs = bindings(SRC.resolve(binding + ".java"));
        assertTrue(sigs.size() >= 8, "too few bindings parsed from " + binding + ".java: " + sigs.keySet());

        StringBuilder cpp = new StringBuilder()
                .append("#include <").append(header).append(">\n#include <array>\n#include <type_traits>\n")
                .append("template<typename T> constexpr char kind() {\n")
                .append("  if constexpr (std::is_pointer_v<T>) return 'W';\n")
                .append("  else if constexpr (std::is_floating_point_v<T>) return sizeof(T) == 8 ? 'D' : 'F';\n")
                .append("  else if constexpr (sizeof(T) == 8) return 'W';\n")
                .append("  else if constexpr (sizeof(T) == 4) return 'I';\n")
                .append("  else if constexpr (sizeof(T) == 1) return 'B';\n  else return '?';\n}\n")
                .append("template<typename R, typename... A> constexpr std::array<char, sizeof...(A) + 1> sig(R (*)(A...)) {\n")
                .append("  return {kind<R>(), kind<A>()...};\n}\n");
        for (Map.Entry<String, String> e : sigs.entrySet()) {
            String k = e.getValue();
            StringBuilder arr = new StringBuilder();
            for (char c : k.toCharArray()) arr.append(arr.isEmpty() ? "" : ",").append('\'').append(c).append('\'');
            cpp.append("static_assert(sig(&").append(e.getKey()).append(") == std::array<char, ").append(k.length())
                    .append(">{").append(arr).append("}, \"").append(e.getKey()).append(": Java binding ").append(k)
                    .append(" differs from the header\");\n");
        }
        Path file = Files.writeString(tmp.resolve("check.cpp"), cpp);
        List<String> cmd = new ArrayList<>(List.of(gxx.toString(), "-std=c++20", "-fsyntax-only"));
        for (Path d : includes) cmd.add("-I" + d);
        cmd.add(file.toString());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "g++ did not finish");
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.exitValue(), binding + " bindings do not match " + header + ":\n"
                + out.lines().filter(l -> l.contains("error")).limit(20).reduce("", (a, b) -> a + b + "\n"));
    }
}
