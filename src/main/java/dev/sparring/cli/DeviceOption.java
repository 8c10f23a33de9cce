package dev.sparring.cli;

import dev.sparring.backend.Backend;
import dev.sparring.backend.Backends;
import picocli.CommandLine.Option;

/** {@code --device}, for the commands that run on a backend (train, sample, classify, bench): {@code @Mixin DeviceOption device}. */
final class DeviceOption {
    @Option(names = "--device", paramLabel = "<device>", defaultValue = "auto", description = "auto, cpu or cuda")
    String name;

    /** The backend --device asks for; which one, and why, is told on stderr. */
    Backend create() { return Backends.create(name, System.err); }
}
