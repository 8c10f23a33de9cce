package dev.sparring.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Facts about the machine that every recorded benchmark writes beside its figures. */
public final class Machine {
    private Machine() { }

    /** The 1, 5 and 15 minute load averages from /proc/loadavg, or "unknown (why)". */
    public static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + ", " + f[1] + ", " + f[2];
        } catch (IOException | RuntimeException e) {
            return "unknown (" + e.getMessage() + ")";
        }
    }

    /** The CPU model with its vector extensions, e.g. "AMD EPYC (AVX2+FMA)"; the architecture when /proc/cpuinfo is missing. */
    public static String cpu() {
        try {
            List<String> lines = Files.readAllLines(Path.of("/proc/cpuinfo"));
            String flags = lines.stream().filter(l -> l.startsWith("flags")).findFirst().orElse("");
            for (String line : lines) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim() + (flags.contains(" avx2")
                            ? " (AVX2" + (flags.contains(" fma") ? "+FMA" : "") + (flags.contains(" avx512f") ? ", AVX-512" : "") + ")" : "");
                }
            }
        } catch (IOException | RuntimeException e) {
            return System.getProperty("os.arch");
        }
        return System.getProperty("os.arch");
    }
}
