package dev.sparring.backend;

import dev.sparring.backend.cpu.CpuBackend;

import java.io.PrintStream;

/** Creates the backend that {@code --device} asks for and says which one runs, and why, in one line. */
public final class Backends {
    private Backends() { }

    public static Backend create(String device, PrintStream notice) {
        return switch (device) {
            case "cpu" -> {
                Backend be = new CpuBackend();
                notice.println("device: cpu (" + be.description() + "), as asked by --device cpu");
                yield be;
            }
            case "auto" -> {
                Backend be = new CpuBackend();
                notice.println("device: cpu (" + be.description() + "); CUDA backend not built into this version");
                yield be;
            }
            case "cuda" -> throw new BackendException("--device cuda: the CUDA backend is not built into this version; use --device cpu");
            default -> throw new IllegalArgumentException("--device must be auto, cpu or cuda, got " + device);
        };
    }
}
