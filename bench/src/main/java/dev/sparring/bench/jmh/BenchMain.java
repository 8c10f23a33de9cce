package dev.sparring.bench.jmh;

import dev.sparring.bench.Machine;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Runs the JMH benchmarks and writes a markdown table with time and GFLOP/s per shape.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -jar sparring-bench.jar [options] [benchmark regex ...]
 *   --out FILE         markdown report (default: print only)
 *   --command TEXT     the command line to record in the report
 *   --code TEXT        the sparring version measured (run-cpu.sh passes the git commit)
 *   --warmup N         warmup iterations (default 5: the JIT needs seconds for the Vector API kernels)
 *   --iterations N     measurement iterations (default 5)
 *   --time S           seconds per iteration (default 1)
 *   --forks N          JVM forks (default 1)
 *   --param NAME=V,V   restrict a @Param (e.g. layer=dcgan-64x128 or pass=forward), repeatable
 * </pre>
 */
public final class BenchMain {
    private BenchMain() { }

    public static void main(String[] args) throws Exception {
        Path out = null;
        String command = "java -jar sparring-bench.jar " + String.join(" ", args), code = "not recorded";
        int warmup = 5, iterations = 5, forks = 1;
        double seconds = 1;
        List<String> includes = new ArrayList<>();
        List<String[]> params = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--out" -> out = Path.of(value(args, ++i, a));
                case "--command" -> command = value(args, ++i, a);
                case "--code" -> code = value(args, ++i, a);
                case "--warmup" -> warmup = Integer.parseInt(value(args, ++i, a));
                case "--iterations" -> iterations = Integer.parseInt(value(args, ++i, a));
                case "--time" -> seconds = Double.parseDouble(value(args, ++i, a));
                case "--forks" -> forks = Integer.parseInt(value(args, ++i, a));
                case "--param" -> {
                    String v = value(args, ++i, a);
                    int eq = v.indexOf('=');
                    if (eq < 1) throw new IllegalArgumentException("bench: --param wants NAME=V1,V2, got '" + v + "'");
                    params.add(new String[] {v.substring(0, eq), v.substring(eq + 1)});
                }
                default -> {
                    if (a.startsWith("--")) throw new IllegalArgumentException("bench: unknown option " + a + " (see BenchMain's usage)");
                    includes.add(a);
                }
            }
        }
        if (includes.isEmpty()) includes.add("dev.sparring.bench.jmh.*");
        String loadBefore = Machine.loadAverage();
        ChainedOptionsBuilder opt = new OptionsBuilder()
                .warmupIterations(warmup).measurementIterations(iterations)
                .warmupTime(TimeValue.milliseconds((long) (seconds * 1000))).measurementTime(TimeValue.milliseconds((long) (seconds * 1000)))
                .forks(forks)
                .jvmArgsAppend("--add-modules", "jdk.incubator.vector", "-Xmx8g");
        for (String inc : includes) opt = opt.include(inc);
        for (String[] p : params) opt = opt.param(p[0], p[1].split(","));
        Collection<RunResult> results = new Runner(opt.build()).run();
        String report = report(results, command, code, loadBefore, Machine.loadAverage(), warmup, iterations, seconds, forks);
        System.out.println(report);
        if (out != null) {
            Files.createDirectories(out.toAbsolutePath().getParent());
            Files.writeString(out, report);
            System.out.println("bench: wrote " + out);
        }
    }

    private static String value(String[] args, int i, String flag) {
        if (i >= args.length) throw new IllegalArgumentException("bench: " + flag + " needs a value");
        return args[i];
    }

    static String report(Collection<RunResult> results, String command, String code, String loadBefore, String loadAfter,
                         int warmup, int iterations, double seconds, int forks) throws IOException {
        StringBuilder sb = new StringBuilder();
        sb.append("# Sparring CPU kernels: sgemm and DCGAN convolutions\n\n");
        sb.append("- date: ").append(ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME)).append('\n');
        sb.append("- machine: ").append(Machine.cpu()).append(", ").append(Runtime.getRuntime().availableProcessors()).append(" CPUs visible to the JVM\n");
        sb.append("- JDK: ").append(System.getProperty("java.vm.name")).append(' ').append(System.getProperty("java.runtime.version")).append('\n');
        sb.append("- load average (1, 5, 15 min) before: ").append(loadBefore).append("; after: ").append(loadAfter).append('\n');
        sb.append("- command: `").append(command).append("`\n");
        sb.append("- code: ").append(code).append('\n');
        sb.append("- JMH: average time, ").append(forks).append(" fork(s), ").append(warmup).append(" warmup + ").append(iterations)
                .append(" measured iterations of ").append(seconds).append(" s; every benchmark checked its result against a double-precision reference before timing\n");
        sb.append("- GFLOP/s = 2 M N K (sgemm) or 2 N K C R S P Q (conv) / mean time; the error column is JMH's 99.9% half-interval\n\n");
        sb.append("| benchmark | shape | time (ms) | ± (ms) | GFLOP/s |\n|---|---|---:|---:|---:|\n");
        for (RunResult r : results) {
            var p = r.getParams();
            String bench = p.getBenchmark().substring(p.getBenchmark().lastIndexOf('.', p.getBenchmark().lastIndexOf('.') - 1) + 1);
            double ms = r.getPrimaryResult().getScore(), err = r.getPrimaryResult().getScoreError();
            double flops;
            String shape;
            if (p.getParam("mnk") != null) {
                shape = p.getParam("mnk");
                flops = KernelShapes.sgemmFlops(shape);
            } else {
                var g = KernelShapes.layer(p.getParam("layer"));
                shape = p.getParam("pass") + " " + p.getParam("layer") + " (" + KernelShapes.LAYER_NOTES.get(p.getParam("layer")) + "; N=" + g.n() + ")";
                flops = KernelShapes.convFlops(g);
            }
            sb.append(String.format("| %s | %s | %.3f | %.3f | %.1f |%n", bench, shape, ms, Double.isNaN(err) ? 0 : err, flops / (ms * 1e6)));
        }
        return sb.toString();
    }
}
