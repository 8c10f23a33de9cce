package dev.sparring.cli;

import dev.sparring.UserError;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The folder a command writes its figures or images into: one the user names, taken only when it is new or empty, or
 * a new numbered one in the working folder. Nothing already there is overwritten.
 */
final class OutputFolder {
    private OutputFolder() { }

    /** {@code dir} (given by {@code flag}) created, or taken when it is an empty folder; anything else is refused. */
    static Path newOrEmpty(Path dir, String flag) throws IOException {
        if (Files.isDirectory(dir)) {
            try (var s = Files.list(dir)) {
                if (s.findAny().isPresent()) throw new UserError(flag + " " + dir + " is not empty; give a new or empty folder");
            }
            return dir;
        }
        if (Files.exists(dir)) throw new UserError(flag + " " + dir + " is a file; give a new or empty folder");
        return Files.createDirectories(dir);
    }

    /** A new folder {@code name} in the working directory, or name-2, name-3, ... when taken. */
    static Path numbered(String name) throws IOException {
        for (int k = 1; ; k++) {
            try {
                return Files.createDirectory(Path.of(k == 1 ? name : name + "-" + k));
            } catch (FileAlreadyExistsException taken) {
                // the next number
            }
        }
    }

    /** {@code --out} as {@link #newOrEmpty} when given, else a new folder numbered from {@code name}. */
    static Path of(Path out, String name) throws IOException {
        return out != null ? newOrEmpty(out, "--out") : numbered(name);
    }
}
