package dev.sparring.train;

import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordingFile;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Where a piece of code allocates, from the JDK Flight Recorder's allocation samples: what a test that bounds the bytes
 * a step allocates reports when the bound fails, so that the failure names the method (a Vector API kernel whose
 * vectors C2 left boxed, say) instead of only a byte count.
 */
final class AllocationSites {
    private AllocationSites() { }

    /**
     * Runs work under a recording and returns the sites that allocated the most sampled bytes, most first, one per line:
     * each the first frame of the project's code (dev.sparring) on the sampled stack with the frame under it, the
     * allocated class and the share of the sampled bytes.
     */
    static String of(Runnable work, int top) {
        Path file;
        try {
            file = Files.createTempFile("sparring-alloc", ".jfr");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try (Recording r = new Recording()) {
            r.enable("jdk.ObjectAllocationSample").with("throttle", "2000/s").withStackTrace();
            r.start();
            work.run();
            r.stop();
            r.dump(file);
            Map<String, Long> bytes = new HashMap<>();
            long total = 0;
            for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
                if (!e.getEventType().getName().equals("jdk.ObjectAllocationSample") || e.getStackTrace() == null) continue;
                long w = e.getLong("weight");
                total += w;
                bytes.merge(site(e.getStackTrace().getFrames()) + " allocates " + e.getClass("objectClass").getName(), w, Long::sum);
            }
            if (total == 0) return "(no allocation sampled)";
            long all = total;
            return bytes.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(top)
                    .map(s -> String.format("%3d%% %s", Math.round(100.0 * s.getValue() / all), s.getKey()))
                    .collect(Collectors.joining("\n"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            try {
                Files.deleteIfExists(file);
            } catch (IOException ignored) {
                // a temporary file left behind
            }
        }
    }

    private static String site(List<RecordedFrame> frames) {
        for (int i = 0; i < frames.size(); i++) {
            if (!frames.get(i).getMethod().getType().getName().startsWith("dev.sparring.")) continue;
            String s = name(frames.get(i));
            return i + 1 < frames.size() ? s + " (from " + name(frames.get(i + 1)) + ")" : s;
        }
        return frames.isEmpty() ? "?" : name(frames.get(0));
    }

    private static String name(RecordedFrame f) {
        return f.getMethod().getType().getName() + "." + f.getMethod().getName() + ":" + f.getLineNumber() + " [" + f.getType() + "]";
    }
}
