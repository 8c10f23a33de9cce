package dev.sparring.io;

import com.google.protobuf.InvalidProtocolBufferException;
import org.tensorflow.proto.Event;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * A reader of TensorBoard event files written for the tests, sharing no code with {@link EventFileWriter}: it splits
 * a file into its TFRecord records, checks both masked CRC-32Cs of each (its own masking), and decodes each record
 * with TensorFlow's own generated class for its event.proto ({@code org.tensorflow.proto.Event}, from the
 * tensorflow-core-native jar), not with Sparring's.
 */
public final class TfRecords {
    private TfRecords() { }

    /** The masked CRC of TFRecord: the CRC-32C rotated right by 15 bits, plus 0xa282ead8, mod 2^32. */
    static long mask(long crc32c) {
        return (Integer.toUnsignedLong(Integer.rotateRight((int) crc32c, 15)) + 0xa282ead8L) & 0xffffffffL;
    }

    static long crc32c(byte[] b, int off, int len) {
        java.util.zip.CRC32C c = new java.util.zip.CRC32C();
        c.update(b, off, len);
        return c.getValue();
    }

    /** The data of every record of {@code file}, after checking its length's CRC and its data's CRC. */
    public static List<byte[]> records(Path file) throws IOException {
        byte[] f = Files.readAllBytes(file);
        ByteBuffer b = ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN);
        List<byte[]> out = new ArrayList<>();
        while (b.hasRemaining()) {
            int at = b.position();
            if (b.remaining() < 12) throw new AssertionError(file + ": " + b.remaining() + " stray bytes at offset " + at);
            long length = b.getLong();
            long lengthCrc = Integer.toUnsignedLong(b.getInt());
            if (lengthCrc != mask(crc32c(f, at, 8))) {
                throw new AssertionError(file + ": record " + out.size() + " at offset " + at + ": the length's CRC is wrong");
            }
            if (length < 0 || length > b.remaining() - 4) {
                throw new AssertionError(file + ": record " + out.size() + " at offset " + at + ": length " + length + " past the end");
            }
            byte[] data = new byte[(int) length];
            b.get(data);
            long dataCrc = Integer.toUnsignedLong(b.getInt());
            if (dataCrc != mask(crc32c(data, 0, data.length))) {
                throw new AssertionError(file + ": record " + out.size() + " at offset " + at + ": the data's CRC is wrong");
            }
            out.add(data);
        }
        return out;
    }

    /** Every record of {@code file} as TensorFlow's Event. */
    public static List<Event> events(Path file) throws IOException {
        List<Event> events = new ArrayList<>();
        for (byte[] r : records(file)) {
            try {
                events.add(Event.parseFrom(r));
            } catch (InvalidProtocolBufferException e) {
                throw new AssertionError(file + ": record " + events.size() + " is not an Event: " + e.getMessage(), e);
            }
        }
        return events;
    }

    /** The event files of a folder, by name (TensorBoard's reading order). */
    public static List<Path> eventFiles(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().startsWith("events.out.tfevents.")).sorted().toList();
        }
    }
}
