package dev.sparring.cli;

import dev.sparring.backend.Backend;
import dev.sparring.backend.Backends;
import dev.sparring.backend.cuda.CudaRuntime;
import picocli.CommandLine.Option;

/** {@code --device}, for the commands that run on a backend (train, sample, classify, bench): {@code @Mixin DeviceOption device}. */
final class DeviceOption {
    @Option(names = "--device", paramLabel = "<device>", defaultValue = "auto", description = "auto, cpu or cuda")
    String name;

    /** The backend --device asks for; which one, and why, is told on stderr. */
    Backend create() { return Backends.create(name, System.err); }

    /** Whether {@link #create} will give the CPU backend (asked for, or no usable GPU). */
    boolean cpu() { return name.equals("cpu") || (name.equals("auto") && !CudaRuntime.probe().available()); }
}
