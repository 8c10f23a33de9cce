package dev.sparring.backend;

import dev.sparring.UserError;
import dev.sparring.backend.cpu.CpuBackend;
import dev.sparring.backend.cuda.CudaBackend;
import dev.sparring.backend.cuda.CudaRuntime;

import java.io.PrintStream;

/**
 * Creates the backend that {@code --device} asks for and says which one runs, and why, in one line:
 * {@code cpu} always works; {@code cuda} fails with the probe's reason when no usable GPU stack is found;
 * {@code auto} uses CUDA when it is present and ready, else the CPU.
 */
public final class Backends {
    private Backends() { }

    public static Backend create(String device, PrintStream notice) {
        return switch (device) {
            case "cpu" -> cpu(notice, "as asked by --device cpu");
            case "cuda" -> {
                CudaRuntime.Status st = CudaRuntime.probe();
                if (!st.available()) throw new BackendException("--device cuda: " + st.reason());
                yield cuda(notice, "as asked by --device cuda");
            }
            case "auto" -> {
                CudaRuntime.Status st = CudaRuntime.probe();
                if (st.available()) yield cuda(notice, "found by --device auto");
                yield cpu(notice, "CUDA not available: " + firstLine(st.reason()));
            }
            default -> throw new UserError("--device must be auto, cpu or cuda, got " + device);
        };
    }

    private static Backend cpu(PrintStream notice, String why) {
        Backend be = new CpuBackend();
        notice.println("device: cpu (" + be.description() + "); " + why);
        return be;
    }

    private static Backend cuda(PrintStream notice, String why) {
        Backend be = new CudaBackend();
        notice.println("device: cuda (" + be.description() + "); " + why);
        return be;
    }

    /** The first sentence of a probe's reason, for the one-line notice. */
    private static String firstLine(String s) {
        int nl = s.indexOf('\n'), dot = s.indexOf(". ");
        int cut = nl < 0 ? dot : dot < 0 ? nl : Math.min(nl, dot);
        return cut < 0 ? s : s.substring(0, cut) + " (`sparring doctor` has the details)";
    }
}
