package dev.sparring.io;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Whole-file writes that never leave a half-written file at the target path: the bytes go to a temporary
 * file in the same directory ({@code .NAME.RANDOM.tmp}), which is flushed to disk ({@code fsync}) and then
 * renamed over the target in one atomic step ({@code ATOMIC_MOVE}, rename(2) on POSIX). A reader of the target
 * sees either the old file or the complete new one. After the rename the directory itself is fsynced where the
 * platform allows it (POSIX), so the rename survives a power cut.
 *
 * <p>If the writer throws, the temporary file is deleted and the target is left untouched. A process killed in
 * the middle can leave a stale {@code .NAME.*.tmp} beside the target; it is never read and can be deleted.
 * The new file gets the default permissions for new files (as {@code Files.newOutputStream} would), not the
 * old file's.
 */
public final class AtomicFile {

    /** Writes the contents of the new file; the stream is buffered and must not be closed by the body. */
    @FunctionalInterface
    public interface Body {
        void write(OutputStream out) throws IOException;
    }

    private AtomicFile() { }

    /** Replaces {@code target} atomically by {@code bytes}. */
    public static void write(Path target, byte[] bytes) throws IOException {
        write(target, out -> out.write(bytes));
    }

    /** Replaces {@code target} atomically by what {@code body} writes. */
    public static void write(Path target, Body body) throws IOException {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        if (dir == null) throw new IOException(target + ": cannot write a file at the file-system root");
        if (!Files.isDirectory(dir)) throw new IOException(target + ": the directory " + dir + " does not exist; create it first");
        if (Files.isDirectory(abs)) throw new IOException(target + ": is a directory, not a file");

        Path tmp = createTemp(dir, abs.getFileName().toString());
        boolean done = false;
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                OutputStream out = new BufferedOutputStream(Channels.newOutputStream(ch), 1 << 16);
                body.write(out);
                out.flush();
                ch.force(true);
            }
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException(target + ": this file system cannot rename atomically (" + e.getMessage()
                        + "); write to a local disk instead", e);
            }
            done = true;
        } finally {
            if (!done) Files.deleteIfExists(tmp);
        }
        syncDirectory(dir);
    }

    private static Path createTemp(Path dir, String name) throws IOException {
        for (int attempt = 0; ; attempt++) {
            String suffix = Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 16);
            Path tmp = dir.resolve("." + name + "." + suffix + ".tmp");
            try {
                // CREATE_NEW: never reuse a file someone else is writing; default permissions (umask), unlike createTempFile's 0600.
                Files.newByteChannel(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close();
                return tmp;
            } catch (FileAlreadyExistsException e) {
                if (attempt >= 16) throw new IOException(dir + ": could not create a temporary file for " + name, e);
            }
        }
    }

    /** fsync of the directory entry; POSIX only (opening a directory fails elsewhere, where rename is durable anyway). */
    private static void syncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // Windows and some file systems do not allow opening or syncing a directory; the rename is done.
        }
    }
}
