package dev.sparring.eval;

import dev.sparring.UserError;
import dev.sparring.io.AtomicFile;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * numpy's {@code .npz} archives: a zip of {@code NAME.npy} entries, stored ({@code numpy.savez}) or deflated
 * ({@code numpy.savez_compressed}), zip64 included (java.util.zip reads both). Errors are one-line
 * {@link UserError}s naming the file.
 */
public final class Npz {
    private Npz() { }

    /** Arrays whose bytes would exceed this are refused rather than read (a 2048 × 2048 float64 matrix is 32 MiB). */
    static final long MAX_ENTRY_BYTES = 1L << 30;

    /** Every array in the archive, by name (the entry name less {@code .npy}), in archive order. */
    public static Map<String, NpyArray> read(Path file) {
        String where = file.toString();
        Map<String, NpyArray> out = new LinkedHashMap<>();
        forEachArray(file, (key, e, in) -> {
            if (e.getSize() > MAX_ENTRY_BYTES) {
                throw new UserError(where + ": array " + key + " is " + e.getSize() + " bytes, more than the "
                        + MAX_ENTRY_BYTES + " this reader takes");
            }
            byte[] bytes = in.readNBytes((int) Math.min(MAX_ENTRY_BYTES + 1, Integer.MAX_VALUE - 8));
            if (bytes.length > MAX_ENTRY_BYTES) throw new UserError(where + ": array " + key + " is larger than " + MAX_ENTRY_BYTES + " bytes");
            out.put(key, NpyArray.parse(bytes, where + ": " + key));
        });
        return out;
    }

    /**
     * The header of every array in the archive, by name, in archive order, without reading the elements: what
     * {@code sparring fid} looks at to tell statistics (mu, sigma) from images. Errors as for {@link #read}.
     */
    public static Map<String, NpyArray.Header> headers(Path file) {
        String where = file.toString();
        Map<String, NpyArray.Header> out = new LinkedHashMap<>();
        forEachArray(file, (key, e, in) -> out.put(key, NpyArray.readHeader(in, where + ": " + key)));
        return out;
    }

    /** What is done with one array's entry: its key (the entry name less {@code .npy}), the entry and its bytes. */
    private interface ArrayEntry { void accept(String key, ZipEntry entry, InputStream in) throws IOException; }

    /** Every {@code NAME.npy} entry in archive order (numpy.load ignores other entries too); one-line errors naming the file. */
    private static void forEachArray(Path file, ArrayEntry body) {
        String where = file.toString();
        if (!Files.isRegularFile(file)) {
            throw new UserError(where + ": " + (Files.exists(file) ? "is not a regular file" : "no such file"));
        }
        try (ZipFile zip = new ZipFile(file.toFile())) {
            Enumeration<? extends ZipEntry> entries = zip.entries();
            while (entries.hasMoreElements()) {
                ZipEntry e = entries.nextElement();
                String name = e.getName();
                if (e.isDirectory() || !name.endsWith(".npy")) continue;
                try (InputStream in = zip.getInputStream(e)) {
                    body.accept(name.substring(0, name.length() - 4), e, in);
                }
            }
        } catch (NoSuchFileException e) {
            throw new UserError(where + ": no such file");
        } catch (ZipException e) {
            throw new UserError(where + ": not a readable .npz (zip) archive: " + e.getMessage());
        } catch (IOException e) {
            throw new UserError(where + ": cannot be read: " + e.getMessage(), e);
        }
    }

    /** The arrays of a file as a message lists them: {@code a (float64, (3,)), b (uint8, (10, 28, 28, 1))}, or "no arrays". */
    public static String describe(Map<String, NpyArray.Header> headers) {
        if (headers.isEmpty()) return "no arrays";
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, NpyArray.Header> h : headers.entrySet()) {
            if (!sb.isEmpty()) sb.append(", ");
            sb.append(h.getKey()).append(" (").append(h.getValue().dtypeName()).append(", ").append(h.getValue().shapeText()).append(')');
        }
        return sb.toString();
    }

    /**
     * Writes the arrays as {@code NAME.npy} entries, stored uncompressed as {@code numpy.savez} does, replacing
     * {@code file} atomically.
     */
    public static void write(Path file, Map<String, NpyArray> arrays) throws IOException {
        AtomicFile.write(file, out -> {
            ZipOutputStream zip = new ZipOutputStream(out);
            for (Map.Entry<String, NpyArray> a : arrays.entrySet()) {
                byte[] bytes = a.getValue().toBytes();
                ZipEntry e = new ZipEntry(a.getKey() + ".npy");
                e.setMethod(ZipEntry.STORED);
                e.setSize(bytes.length);
                e.setCompressedSize(bytes.length);
                CRC32 crc = new CRC32();
                crc.update(bytes);
                e.setCrc(crc.getValue());
                zip.putNextEntry(e);
                zip.write(bytes);
                zip.closeEntry();
            }
            zip.finish();                                                   // AtomicFile closes the stream
        });
    }
}
