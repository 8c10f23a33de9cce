package dev.sparring.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.Event;
import org.tensorflow.proto.Summary;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** TensorBoard event files ({@link EventFileWriter}) against TensorBoard's own writer and TensorFlow's own classes. */
class EventFileTest {
    /** A 2 x 1 gray PNG (pixels 0 and 255), made with Python's zlib and struct. */
    static final byte[] PNG = HexFormat.of().parseHex("89504e470d0a1a0a0000000d4948445200000002000000010800000000d149"
            + "20560000000b4944415478da6360f80f0001020100d11acb8f0000000049454e44ae426082");

    /**
     * The file TensorBoard 2.21 writes for the same four events: built with its own classes (tensorboard.compat.proto's
     * event_pb2, types_pb2) and framed by its own record writer and CRC-32C
     * (tensorboard.summary.writer.record_writer.RecordWriter):
     * <pre>
     * e = event_pb2.Event(wall_time=1700000000.5, file_version="brain.Event:2"); e.source_metadata.writer = "sparring"
     * e = event_pb2.Event(wall_time=1700000001.25, step=7)
     * e.summary.value.add(tag="metrics/d_loss", simple_value=0.25); e.summary.value.add(tag="metrics/g_loss", simple_value=-1.5)
     * e = event_pb2.Event(wall_time=1700000002.0, step=8)
     * v = e.summary.value.add(tag="config"); v.metadata.plugin_data.plugin_name = "text"
     * v.tensor.dtype = types_pb2.DT_STRING; v.tensor.tensor_shape.SetInParent(); v.tensor.string_val.append(b"a *b*")
     * e = event_pb2.Event(wall_time=1700000003.0, step=9)
     * v = e.summary.value.add(tag="samples/real"); v.image.height = 1; v.image.width = 2; v.image.colorspace = 1
     * v.image.encoded_image_string = PNG
     * </pre>
     */
    static final String TENSORBOARD_BYTES = "2400000000000000422b804d0900002040fc54d9411a0d627261696e2e4576656e743a32520a0a087370"
            + "617272696e670739e8443b000000000000001a23ac5c0900005040fc54d94110072a2e0a150a0e6d6574726963732f645f6c6f7373150000"
            + "803e0a150a0e6d6574726963732f675f6c6f7373150000c0bfaea4c54d2e00000000000000c5cb57fa0900008040fc54d94110082a210a1f"
            + "0a06636f6e666967420b08071200420561202a622a4a080a060a04746578741ec8147c6b0000000000000087efa6e1090000c040fc54d941"
            + "10092a5e0a5c0a0c73616d706c65732f7265616c224c080110021801224489504e470d0a1a0a0000000d494844520000000200000001080000"
            + "0000d14920560000000b4944415478da6360f80f0001020100d11acb8f0000000049454e44ae4260826e3166c4";

    private static Path writeTheFourEvents(Path dir) throws IOException {
        Map<String, Float> scalars = new LinkedHashMap<>();
        scalars.put("metrics/d_loss", 0.25f);
        scalars.put("metrics/g_loss", -1.5f);
        try (EventFileWriter w = EventFileWriter.create(dir, 1700000000.5)) {
            w.scalars(7, 1700000001.25, scalars);
            w.text("config", 8, 1700000002.0, "a *b*");
            w.image("samples/real", 9, 1700000003.0, PNG);
            return w.file();
        }
    }

    @Test
    void theBytesAreThoseTensorBoardWritesForTheSameEvents(@TempDir Path dir) throws IOException {
        Path file = writeTheFourEvents(dir);
        assertTrue(file.getFileName().toString().matches("events\\.out\\.tfevents\\.1700000000\\.[A-Za-z0-9._-]+"), file.toString());
        assertEquals(TENSORBOARD_BYTES, HexFormat.of().formatHex(Files.readAllBytes(file)));
    }

    @Test
    void tensorFlowsOwnClassesReadEveryFieldBack(@TempDir Path dir) throws IOException {
        List<Event> events = TfRecords.events(writeTheFourEvents(dir));
        assertEquals(4, events.size());
        assertEquals("brain.Event:2", events.get(0).getFileVersion());
        assertEquals(1700000000.5, events.get(0).getWallTime());
        assertEquals("sparring", events.get(0).getSourceMetadata().getWriter());

        Event scalars = events.get(1);
        assertEquals(7, scalars.getStep());
        assertEquals(1700000001.25, scalars.getWallTime());
        List<Summary.Value> v = scalars.getSummary().getValueList();
        assertEquals(List.of("metrics/d_loss", "metrics/g_loss"), v.stream().map(Summary.Value::getTag).toList());
        assertEquals(Summary.Value.ValueCase.SIMPLE_VALUE, v.get(0).getValueCase());
        assertEquals(0.25f, v.get(0).getSimpleValue());
        assertEquals(-1.5f, v.get(1).getSimpleValue());

        Summary.Value text = events.get(2).getSummary().getValue(0);
        assertEquals(8, events.get(2).getStep());
        assertEquals("text", text.getMetadata().getPluginData().getPluginName());
        assertEquals(DataType.DT_STRING, text.getTensor().getDtype());
        assertEquals(0, text.getTensor().getTensorShape().getDimCount(), "a scalar string");
        assertEquals("a *b*", text.getTensor().getStringVal(0).toStringUtf8());

        Summary.Image img = events.get(3).getSummary().getValue(0).getImage();
        assertEquals(9, events.get(3).getStep());
        assertEquals(1, img.getHeight());
        assertEquals(2, img.getWidth());
        assertEquals(1, img.getColorspace(), "gray");
        assertArrayEquals(PNG, img.getEncodedImageString().toByteArray());
    }

    @Test
    void theReaderFindsADamagedRecord(@TempDir Path dir) throws IOException {
        Path file = writeTheFourEvents(dir);
        byte[] b = Files.readAllBytes(file);
        int second = 12 + 0x24 + 4;   // the first record: header, 36 bytes of data, footer
        for (int at : new int[]{second + 3, second + 12 + 5}) {   // in the second record's length; in its data
            byte[] damaged = b.clone();
            damaged[at] ^= 1;
            Files.write(file, damaged);
            AssertionError e = assertThrows(AssertionError.class, () -> TfRecords.records(file));
            assertTrue(e.getMessage().contains("record 1 at offset " + second), e.getMessage());
        }
    }

    @Test
    void aFileIsNeverReplaced(@TempDir Path dir) throws IOException {
        Path first, second;
        try (EventFileWriter a = EventFileWriter.create(dir, 1700000000.0); EventFileWriter b = EventFileWriter.create(dir, 1700000000.9)) {
            first = a.file();
            second = b.file();
        }
        assertEquals(first.getFileName() + ".2", second.getFileName().toString(), "a name taken in the same second is numbered");
        assertEquals(1, TfRecords.records(first).size());
        assertEquals(1, TfRecords.records(second).size());
    }

    @Test
    void aFileIsCutAfterAStepOrAtItsFirstDamagedRecordWithTheWholeMovedAside(@TempDir Path dir) throws IOException {
        Path file = writeTheFourEvents(dir);
        byte[] whole = Files.readAllBytes(file);
        assertEquals(0, EventFileWriter.keepUpTo(file, 9, dir.resolve("aside")), "nothing after step 9");
        assertArrayEquals(whole, Files.readAllBytes(file));
        assertFalse(Files.exists(dir.resolve("aside")));

        assertEquals(2, EventFileWriter.keepUpTo(file, 7, dir.resolve("aside")), "the events of steps 8 and 9");
        assertArrayEquals(whole, Files.readAllBytes(dir.resolve("aside").resolve(file.getFileName())));
        List<Event> kept = TfRecords.events(file);
        assertEquals(List.of(0L, 7L), kept.stream().map(Event::getStep).toList());
        int two = 16 + 0x24 + 16 + 0x3b;   // the first two records, byte for byte
        assertArrayEquals(java.util.Arrays.copyOf(whole, two), Files.readAllBytes(file));

        // a run killed while writing: the last record is cut short
        Files.write(file, java.util.Arrays.copyOf(whole, whole.length - 5));
        assertEquals(1, EventFileWriter.keepUpTo(file, 100, dir.resolve("aside2")));
        assertEquals(List.of(0L, 7L, 8L), TfRecords.events(file).stream().map(Event::getStep).toList());
    }

    @Test
    void theImageHeaderGivesSizeAndColorspace() {
        assertArrayEquals(new int[]{1, 2, 1}, EventFileWriter.pngHeader(PNG));
        byte[] rgba = PNG.clone();
        rgba[25] = 6;
        assertEquals(4, EventFileWriter.pngHeader(rgba)[2]);
        rgba[25] = 2;
        assertEquals(3, EventFileWriter.pngHeader(rgba)[2]);
        assertThrows(IllegalArgumentException.class, () -> EventFileWriter.pngHeader(new byte[40]));
    }
}
