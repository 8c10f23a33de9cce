package dev.sparring.cli;

import dev.sparring.UserError;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code --overwrite}, for the commands that write a file the user names (sample --out, loss check --png): an existing
 * file is replaced only with it. {@code @Mixin OverwriteOption overwrite}.
 */
final class OverwriteOption {
    @Option(names = "--overwrite", description = "replace an existing output file")
    boolean allowed;

    /** Refuses {@code file}, given by {@code flag}, when it exists and --overwrite is not given. */
    void check(String flag, Path file) {
        if (file != null && Files.exists(file) && !allowed) {
            throw new UserError(flag + " " + file + " exists; choose another file, or pass --overwrite to replace it");
        }
    }
}
