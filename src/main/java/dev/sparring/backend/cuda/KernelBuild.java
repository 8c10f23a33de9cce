package dev.sparring.backend.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Properties;

/**
 * What native/build-kernels.sh put into the jar: {@code dev/sparring/kernels/kernels.properties} and, per kernel
 * family, {@code NAME.ptx} and {@code NAME.sm_XY.cubin}. Absent when the jar was built without nvcc.
 *
 * @param nvccVersion "13.0.88"
 * @param ptxArch     the compute capability of the PTX, as 10 * major + minor (80)
 * @param cubinArchs  the architectures with cubins, as 10 * major + minor (80, 90)
 * @param families    the kernel files (activations, gan_losses, ...)
 */
public record KernelBuild(String nvccVersion, int ptxArch, List<Integer> cubinArchs, List<String> families) {
    /** Class-path folder of the kernel files. */
    public static final String RESOURCE_DIR = "/dev/sparring/kernels/";

    /** The build description in the class path, if the jar carries kernels. */
    public static Optional<KernelBuild> load() {
        try (InputStream in = KernelBuild.class.getResourceAsStream(RESOURCE_DIR + "kernels.properties")) {
            if (in == null) return Optional.empty();
            Properties p = new Properties();
            p.load(in);
            return Optional.of(parse(p));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    static KernelBuild parse(Properties p) {
        String ptx = p.getProperty("ptx.arch", "compute_80").replace("compute_", "");
        List<Integer> cubins = new ArrayList<>();
        for (String a : p.getProperty("cubin.archs", "").trim().split("\\s+")) {
            if (!a.isEmpty()) cubins.add(Integer.parseInt(a.replace("sm_", "")));
        }
        List<String> fams = Arrays.stream(p.getProperty("families", "").trim().split("\\s+")).filter(s -> !s.isEmpty()).toList();
        return new KernelBuild(p.getProperty("nvcc.version", "unknown"), Integer.parseInt(ptx), List.copyOf(cubins), fams);
    }

    /**
     * The oldest driver that runs these kernels, as cuDriverGetVersion reports it (1000 * major + 10 * minor of the
     * nvcc that built them): a driver only JIT-compiles PTX of its own CUDA version or older.
     */
    public int requiredDriverVersion() {
        String[] v = nvccVersion.split("\\.");
        try {
            return 1000 * Integer.parseInt(v[0]) + 10 * Integer.parseInt(v[1]);
        } catch (RuntimeException e) {
            return 0;
        }
    }

    /** "13.0" from a cuDriverGetVersion number. */
    public static String cudaVersion(int v) {
        return (v / 1000) + "." + (v % 1000) / 10;
    }

    /** One line for reports: "nvcc 13.0.88: cubins sm_80 sm_90, PTX compute_80; 6 families". */
    public String describe() {
        StringBuilder sb = new StringBuilder("nvcc ").append(nvccVersion).append(": cubins");
        for (int a : cubinArchs) sb.append(" sm_").append(a);
        return sb.append(", PTX compute_").append(ptxArch).append("; families ").append(String.join(", ", families)).toString();
    }
}
