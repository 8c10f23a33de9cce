package dev.sparring.io;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Test files with large extra tensors that cost no disk: a copy of a safetensors file whose header also declares U8
 * tensors of the given sizes after the original data, made sparse with {@link RandomAccessFile#setLength} (their bytes
 * read as zeros and occupy no blocks).
 */
public final class SparseExtras {
    private SparseExtras() { }

    /** Writes to {@code to} the file {@code from} with U8 tensors of the given names and byte sizes appended. */
    public static Path append(Path from, Path to, Map<String, Long> extraBytes) throws IOException {
        byte[] all = Files.readAllBytes(from);
        int n = Math.toIntExact(ByteBuffer.wrap(all, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong());
        Map<String, Object> header = new LinkedHashMap<>(
                Json.parseObject(new String(all, 8, n, StandardCharsets.UTF_8), from.toString()));
        long end = all.length - 8L - n;
        for (Map.Entry<String, Long> e : extraBytes.entrySet()) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("dtype", "U8");
            entry.put("shape", List.of(e.getValue()));
            entry.put("data_offsets", List.of(end, end + e.getValue()));
            header.put(e.getKey(), entry);
            end += e.getValue();
        }
        byte[] json = Json.write(header).getBytes(StandardCharsets.UTF_8);
        byte[] h = Arrays.copyOf(json, (json.length + 7) / 8 * 8);
        Arrays.fill(h, json.length, h.length, (byte) ' ');
        Files.deleteIfExists(to);
        try (RandomAccessFile f = new RandomAccessFile(to.toFile(), "rw")) {
            f.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).array());
            f.write(h);
            f.write(all, 8 + n, all.length - 8 - n);
            f.setLength(8L + h.length + end);
        }
        return to;
    }
}
