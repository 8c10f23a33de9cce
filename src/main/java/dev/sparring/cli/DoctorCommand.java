package dev.sparring.cli;

import dev.sparring.backend.cpu.CpuBackend;
import dev.sparring.backend.cuda.CudaRuntime;
import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

@Command(name = "doctor", mixinStandardHelpOptions = true,
        description = "Print what Sparring can run on: Java, CPU, and the GPU, driver and CUDA libraries found (with paths and versions).")
public final class DoctorCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        System.out.println("java: " + Runtime.version() + " (" + System.getProperty("java.vendor") + ", " + System.getProperty("java.home") + ")");
        try (CpuBackend cpu = new CpuBackend()) {
            System.out.println("cpu: " + cpu.description());
        }
        System.out.println(CudaRuntime.doctorReport());
        CudaRuntime.Status st = CudaRuntime.probe();
        System.out.println(st.available() ? "--device auto will use CUDA on " + st.device()
                : "--device auto will use the CPU: " + CudaRuntime.firstLine(st.reason())
                        + (st.reason().contains("\n") ? " (see above)" : ""));
        return 0;
    }
}
