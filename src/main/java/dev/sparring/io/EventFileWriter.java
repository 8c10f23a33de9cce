package dev.sparring.io;

import com.google.protobuf.ByteString;
import dev.sparring.io.tensorboard.DataType;
import dev.sparring.io.tensorboard.Event;
import dev.sparring.io.tensorboard.SourceMetadata;
import dev.sparring.io.tensorboard.Summary;
import dev.sparring.io.tensorboard.SummaryMetadata;
import dev.sparring.io.tensorboard.TensorProto;
import dev.sparring.io.tensorboard.TensorShapeProto;

import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * A TensorBoard event file: {@code events.out.tfevents.<unix seconds>.<host>}, a sequence of TFRecord records, each
 * an {@link Event} (src/main/proto/sparring/tensorboard/, the fields of TensorBoard's event.proto and summary.proto
 * that Sparring writes). The first event holds {@code file_version "brain.Event:2"}; each later one a
 * {@link Summary} at a step: scalars as {@code simple_value} (what TensorBoard's scalar dashboard and tensorboardX
 * use), images as PNG bytes, text as a string tensor for the text plugin.
 *
 * <pre>
 * record:  uint64 length | uint32 masked crc32c(length) | data[length] | uint32 masked crc32c(data)    (little endian)
 * masked:  ((crc &gt;&gt;&gt; 15) | (crc &lt;&lt; 17)) + 0xa282ead8
 * </pre>
 *
 * The file is created new (never overwritten: a name taken in the same second gets {@code .2}, {@code .3}, ...),
 * buffered, and written to disk at {@link #flush()} and {@link #close()}.
 */
public final class EventFileWriter implements Closeable {
    /** The file version TensorBoard expects in an event file's first record. */
    public static final String FILE_VERSION = "brain.Event:2";
    /** Every event file's name starts with this; TensorBoard finds the files by it. */
    public static final String PREFIX = "events.out.tfevents.";

    private final Path file;
    private final OutputStream out;
    private final byte[] header = new byte[12];   // length and its masked CRC
    private final byte[] footer = new byte[4];    // the data's masked CRC

    private EventFileWriter(Path file, OutputStream out) {
        this.file = file;
        this.out = out;
    }

    /**
     * Creates a new event file in {@code dir} named for {@code wallTime} (seconds since the epoch) and this host, and
     * writes its file_version record.
     */
    public static EventFileWriter create(Path dir, double wallTime) throws IOException {
        String base = PREFIX + (long) wallTime + "." + hostName();
        for (int k = 1; ; k++) {
            Path file = dir.resolve(k == 1 ? base : base + "." + k);
            OutputStream os;
            try {
                os = Files.newOutputStream(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            } catch (FileAlreadyExistsException taken) {
                continue;
            }
            EventFileWriter w = new EventFileWriter(file, new BufferedOutputStream(os, 1 << 16));
            w.write(Event.newBuilder().setWallTime(wallTime).setFileVersion(FILE_VERSION)
                    .setSourceMetadata(SourceMetadata.newBuilder().setWriter("sparring")).build());
            return w;
        }
    }

    public Path file() { return file; }

    /** One event at {@code step} holding a scalar per entry of {@code values} (tag to value), in their order. */
    public void scalars(long step, double wallTime, Map<String, Float> values) throws IOException {
        if (values.isEmpty()) return;
        Summary.Builder s = Summary.newBuilder();
        values.forEach((tag, v) -> s.addValue(Summary.Value.newBuilder().setTag(tag).setSimpleValue(v)));
        write(Event.newBuilder().setWallTime(wallTime).setStep(step).setSummary(s).build());
    }

    /** An image at {@code step}: the bytes of a PNG file, with its size and colour type read from its header. */
    public void image(String tag, long step, double wallTime, byte[] png) throws IOException {
        int[] hwc = pngHeader(png);
        Summary.Image img = Summary.Image.newBuilder().setHeight(hwc[0]).setWidth(hwc[1]).setColorspace(hwc[2])
                .setEncodedImageString(ByteString.copyFrom(png)).build();
        write(Event.newBuilder().setWallTime(wallTime).setStep(step)
                .setSummary(Summary.newBuilder().addValue(Summary.Value.newBuilder().setTag(tag).setImage(img))).build());
    }

    /** A text at {@code step}, rendered as Markdown by TensorBoard's text plugin: a scalar string tensor. */
    public void text(String tag, long step, double wallTime, String markdown) throws IOException {
        TensorProto t = TensorProto.newBuilder().setDtype(DataType.DT_STRING).setTensorShape(TensorShapeProto.getDefaultInstance())
                .addStringVal(ByteString.copyFromUtf8(markdown)).build();
        SummaryMetadata meta = SummaryMetadata.newBuilder()
                .setPluginData(SummaryMetadata.PluginData.newBuilder().setPluginName("text")).build();
        write(Event.newBuilder().setWallTime(wallTime).setStep(step)
                .setSummary(Summary.newBuilder().addValue(Summary.Value.newBuilder().setTag(tag).setMetadata(meta).setTensor(t)))
                .build());
    }

    /** Appends one record holding {@code event}. */
    public void write(Event event) throws IOException {
        byte[] data = event.toByteArray();
        ByteBuffer h = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN);
        h.putLong(0, data.length);
        h.putInt(8, maskedCrc32c(header, 0, 8));
        ByteBuffer.wrap(footer).order(ByteOrder.LITTLE_ENDIAN).putInt(0, maskedCrc32c(data, 0, data.length));
        out.write(header);
        out.write(data);
        out.write(footer);
    }

    /** Writes what is buffered to the file, so that TensorBoard sees it. */
    public void flush() throws IOException { out.flush(); }

    @Override
    public void close() throws IOException { out.close(); }

    /**
     * Cuts an event file after {@code step}: when it holds an event of a later step, or ends in a damaged or partly
     * written record (a run killed while writing), the file is moved into the folder {@code aside} (created if needed)
     * and replaced by a copy of its whole records up to the first damaged one whose step is at most {@code step}, byte
     * for byte. Returns how many records the copy left out; 0: the file was left as it was.
     */
    public static int keepUpTo(Path file, long step, Path aside) throws IOException {
        byte[] f = Files.readAllBytes(file);
        ByteBuffer b = ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN);
        java.io.ByteArrayOutputStream kept = new java.io.ByteArrayOutputStream(f.length);
        int dropped = 0;
        while (b.remaining() > 0) {
            int at = b.position();
            long length = b.remaining() >= 12 ? b.getLong(at) : -1;
            if (length < 0 || length > b.remaining() - 16 || b.getInt(at + 8) != maskedCrc32c(f, at, 8)
                    || b.getInt(at + 12 + (int) length) != maskedCrc32c(f, at + 12, (int) length)) {
                dropped++;   // a damaged or partly written record, and everything after it
                break;
            }
            Event e;
            try {
                e = Event.parseFrom(ByteBuffer.wrap(f, at + 12, (int) length));
            } catch (com.google.protobuf.InvalidProtocolBufferException notAnEvent) {
                dropped++;
                break;
            }
            if (e.getStep() <= step) kept.write(f, at, 16 + (int) length);
            else dropped++;
            b.position(at + 16 + (int) length);
        }
        if (dropped == 0) return 0;
        Files.createDirectories(aside);
        Files.move(file, aside.resolve(file.getFileName().toString()), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        AtomicFile.write(file, kept.toByteArray());
        return dropped;
    }

    /** The CRC-32C of {@code b[off, off + len)}, rotated right by 15 bits plus 0xa282ead8, as TFRecord stores it. */
    public static int maskedCrc32c(byte[] b, int off, int len) {
        CRC32C crc = new CRC32C();
        crc.update(b, off, len);
        int c = (int) crc.getValue();
        return ((c >>> 15) | (c << 17)) + 0xa282ead8;
    }

    /**
     * Height, width and TensorBoard colorspace (1 gray, 2 gray + alpha, 3 RGB, 4 RGBA) from a PNG's IHDR chunk; a palette
     * image counts as RGB.
     */
    static int[] pngHeader(byte[] png) {
        if (png.length < 26 || (png[0] & 0xff) != 0x89 || png[1] != 'P' || png[2] != 'N' || png[3] != 'G'
                || png[12] != 'I' || png[13] != 'H' || png[14] != 'D' || png[15] != 'R') {
            throw new IllegalArgumentException("not a PNG file (no IHDR chunk at its start)");
        }
        ByteBuffer b = ByteBuffer.wrap(png);   // big endian, as PNG
        int width = b.getInt(16), height = b.getInt(20);
        int colorspace = switch (png[25]) {
            case 0 -> 1;        // gray
            case 4 -> 2;        // gray + alpha
            case 6 -> 4;        // RGBA
            default -> 3;       // RGB (2) or palette (3)
        };
        return new int[]{height, width, colorspace};
    }

    /**
     * This machine's name for the file name, as TensorFlow puts it there: the kernel's on Linux, else Java's; only
     * letters, digits, '.', '_' and '-' are kept.
     */
    static String hostName() {
        String name = null;
        try {
            Path kernel = Path.of("/proc/sys/kernel/hostname");
            if (Files.isReadable(kernel)) name = Files.readString(kernel, StandardCharsets.UTF_8).strip();
            if (name == null || name.isEmpty()) name = java.net.InetAddress.getLocalHost().getHostName();
        } catch (IOException | RuntimeException unknown) {
            name = null;
        }
        name = name == null ? "" : name.replaceAll("[^A-Za-z0-9._-]", "_");
        return name.isEmpty() ? "localhost" : name;
    }
}
