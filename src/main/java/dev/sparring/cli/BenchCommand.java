package dev.sparring.cli;

import dev.sparring.UserError;
import dev.sparring.backend.Backend;
import dev.sparring.backend.BackendException;
import dev.sparring.backend.cpu.CpuBackend;
import dev.sparring.backend.cuda.CudaBackend;
import dev.sparring.backend.cuda.CudaRuntime;
import dev.sparring.bench.TrainBench;
import dev.sparring.data.ImageDataset;
import dev.sparring.gan.loss.GanLoss;
import dev.sparring.train.TrainLoss;
import dev.sparring.io.Json;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.Callable;

@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false, showDefaultValues = true,
        description = {"Time DCGAN training steps on synthetic images kept on the device. Sizes left unset are, on a GPU, "
                + "PyTorch's DCGAN example (64 px RGB, nz 100, ngf = ndf = 64, batch 128) and, on the CPU, the default "
                + "`sparring train` job (28 px gray, nz 64, ngf = ndf = 32, batch 32).",
                "Prints one result line, the per-phase breakdown, and one JSON line (starting with {\"bench\").",
                "An option given twice takes its last value, so that scripts can append overrides."})
public final class BenchCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    DeviceOption device;
    @Option(names = "--image-size", description = "DCGAN image side: 28, 32 or 64 (default: 64 on a GPU, 28 on the CPU)")
    Integer imageSize;
    @Option(names = "--channels", description = "image channels (default: 3 on a GPU, 1 on the CPU)")
    Integer channels;
    @Option(names = "--nz", description = "latent size (default: 100 on a GPU, 64 on the CPU)")
    Integer nz;
    @Option(names = "--ngf", description = "generator width (default: 64 on a GPU, 32 on the CPU)")
    Integer ngf;
    @Option(names = "--ndf", description = "critic width (default: 64 on a GPU, 32 on the CPU)")
    Integer ndf;
    @Option(names = "--batch", description = "batch size (default: 128 on a GPU, 32 on the CPU)")
    Integer batch;
    @Option(names = "--images", defaultValue = "1024", description = "random images kept on the device")
    int images;
    @Option(names = "--loss", defaultValue = "nsgan", description = "loss NAME[:params] or a formula (its defaults give the optimizer and critic steps)")
    String loss;
    @Option(names = "--warmup", defaultValue = "10", description = "untimed steps first")
    int warmup;
    @Option(names = "--iters", defaultValue = "50", description = "steps per timed block")
    int iters;
    @Option(names = "--repeats", defaultValue = "3", description = "timed blocks; the median is reported")
    int repeats;
    @Option(names = "--phase-iters", defaultValue = "10", description = "iterations of the per-phase breakdown (0: none)")
    int phaseIters;
    @Option(names = "--check-steps", defaultValue = "0",
            description = "first compare this many steps with the CPU backend from the same seed (CUDA only; slow on the CPU side at full size)")
    int checkSteps;
    @Option(names = "--tf32", description = "let cuDNN and cuBLAS use TF32 tensor cores (CUDA only; PyTorch's default for convolutions)")
    boolean tf32;
    @Option(names = "--batch-norm", defaultValue = "cudnn", description = "CUDA: whose batch norm runs, cudnn or kernels "
            + "(Sparring's kernels/batchnorm.cu)")
    String batchNorm;
    @Option(names = "--cuda-graphs", description = "CUDA: run the checked and timed steps as a CUDA graph (captured once warm, "
            + "then replayed); the phase breakdown still runs op by op")
    boolean cudaGraphs;
    @Option(names = "--seed", defaultValue = "1", description = "seed for weights, noise and the synthetic images")
    long seed;
    @Option(names = "--json", description = "also append the JSON line to this file")
    Path json;

    @Override
    public Integer call() throws IOException {
        String lossSpec = Losses.parse(loss, "--loss").spec();
        PrintWriter out = spec.commandLine().getOut();
        TrainBench.Result r;
        try (Backend be = backend()) {
            TrainBench.Options o = options(be instanceof CpuBackend ? TrainBench.Options.defaultJob() : TrainBench.Options.dcgan64(), lossSpec);
            boolean reference = checkSteps > 0 && !(be instanceof CpuBackend);
            // on the CPU, the same JIT warm-up as sparring train's: its first warm-up step waits for the compiled kernels
            ImageDataset data = TrainBench.syntheticImages(o);   // the warm-up's images too
            JitWarmup jit = be instanceof CpuBackend
                    ? JitWarmup.start(TrainBench.config(o, 1, 1), data, TrainLoss.of(GanLoss.parse(o.loss()))) : null;
            try (JitWarmup stopsWarmup = jit) {
                r = TrainBench.run(be, o, data, reference ? CpuBackend::new : null, System.err, cudaGraphs, jit == null ? null : () -> {
                    try {
                        long waited = jit.awaitCompiled();
                        System.err.printf("bench: the first warm-up step waited %.1f s for the JIT to compile the CPU kernels (%d JIT warm-up steps "
                                + "at batch %d, on another thread)%n", waited / 1000.0, jit.steps(), jit.batch());
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    jit.close();
                });
            }
        }
        out.println(r.line());
        if (!r.phases().isEmpty()) out.println(TrainBench.phaseTable(r.phases(), r.medianMs()));
        String line = Json.write(r.toMap());
        out.println(line);
        out.flush();
        if (json != null) {
            Path parent = json.toAbsolutePath().getParent();
            if (parent != null) Files.createDirectories(parent);
            Files.writeString(json, line + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        }
        if (r.check().status().equals("mismatch")) {
            System.err.println("sparring bench: the " + r.device() + " steps differ from the CPU reference beyond tolerance (table above); "
                    + "the timing is printed but the backend computes something else");
            return 4;
        }
        return 0;
    }

    /** The sizes given on the command line over {@code base} (the device's defaults), with the other flags. */
    private TrainBench.Options options(TrainBench.Options base, String lossSpec) {
        return new TrainBench.Options(or(imageSize, base.imageSize()), or(channels, base.channels()), or(nz, base.nz()),
                or(ngf, base.ngf()), or(ndf, base.ndf()), or(batch, base.batch()), images, lossSpec, warmup, iters, repeats,
                phaseIters, checkSteps, seed);
    }

    private static int or(Integer given, int otherwise) { return given != null ? given : otherwise; }

    /** The backend --device asks for; with --tf32 or --batch-norm kernels a CUDA backend with those options. */
    private Backend backend() {
        CudaBackend.BatchNorm bn;
        try {
            bn = CudaBackend.BatchNorm.parse(batchNorm);
        } catch (IllegalArgumentException e) {
            throw new UserError("--batch-norm must be cudnn or kernels, got " + batchNorm);
        }
        if (!tf32 && bn == CudaBackend.BatchNorm.CUDNN) return device.create();
        String flags = (tf32 ? "--tf32" : "") + (tf32 && bn != CudaBackend.BatchNorm.CUDNN ? " and " : "")
                + (bn != CudaBackend.BatchNorm.CUDNN ? "--batch-norm " + batchNorm : "");
        if (device.name.equals("cpu")) {
            throw new UserError(flags + (flags.contains(" and ") ? " apply" : " applies") + " to --device cuda (or auto on a GPU), not to the CPU");
        }
        CudaRuntime.Status st = CudaRuntime.probe();
        if (!st.available()) throw new BackendException(flags + " needs CUDA: " + st.reason());
        Backend be = new CudaBackend(new CudaBackend.Options(0, tf32, false, bn));
        System.err.println("device: cuda (" + be.description() + "); as asked by " + flags);
        return be;
    }
}
