package dev.sparring.train;

import dev.sparring.UserError;
import dev.sparring.backend.Backend;
import dev.sparring.backend.cpu.CpuBackend;
import dev.sparring.data.Datasets;
import dev.sparring.data.Mixture2D;
import dev.sparring.gan.loss.GanLoss;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** A library user resumes a run with one call, and it trains on as the run would have without the stop. */
class ResumeTest {
    private static final PrintStream QUIET = new PrintStream(PrintStream.nullOutputStream());
    private static final TrainConfig RING = TrainConfig.builder().data("ring8").model(TrainConfig.Model.MLP).hidden(8).depth(1)
            .nz(2).batch(16).lrD(2e-3).lrG(2e-3).steps(4).sampleEvery(0).checkpointEvery(2).logEvery(1).build();

    private static void train(TrainConfig cfg, Path dir) throws IOException {
        Mixture2D ring = (Mixture2D) Datasets.open("ring8", 0, 0);
        try (Backend be = new CpuBackend(); Trainer t = new Trainer(cfg, be, ring, TrainLoss.of(GanLoss.parse(cfg.loss())))) {
            TrainingRun run = new TrainingRun(t, Files.createDirectories(dir), QUIET, ring).progressBar(false);
            run.initFresh();
            assertEquals(TrainingRun.Outcome.COMPLETED, run.run().outcome());
        }
    }

    /** The metrics lines without the wall-clock fields, which no two runs share. */
    private static List<String> metrics(Path run) throws IOException {
        return Files.readAllLines(run.resolve("metrics.jsonl")).stream()
                .map(l -> l.replaceAll(",\"img_per_s\":[^,}]*", "").replaceAll(",\"time_s\":[^,}]*", "")).toList();
    }

    @Test
    void aRunResumedByOneCallTrainsOnAsIfItHadNotStopped(@TempDir Path dir) throws IOException {
        train(RING, dir.resolve("resumed"));
        train(RING.toBuilder().steps(6).build(), dir.resolve("straight"));

        Resume resume = Resume.from(dir.resolve("resumed")).steps(6);
        assertEquals(dir.resolve("resumed/checkpoints/step_000004.safetensors"), resume.checkpoint(), "the newest checkpoint");
        assertEquals(dir.resolve("resumed"), resume.runFolder());
        assertEquals(4, resume.step());
        assertEquals("steps 4 -> 6", resume.changes());
        TrainingRun.Result r;
        try (Backend be = new CpuBackend()) {
            r = resume.run(be, QUIET);
        }
        assertEquals(TrainingRun.Outcome.COMPLETED, r.outcome(), r.message());
        assertEquals(6, r.steps());
        assertEquals(metrics(dir.resolve("straight")), metrics(dir.resolve("resumed")));
        assertTrue(Files.exists(dir.resolve("resumed/checkpoints/step_000002.safetensors")) && !Files.exists(dir.resolve("resumed/rewound")),
                "it continued at step 4: nothing the run held was beyond it");
        assertEquals(RING.toBuilder().steps(6).build(), TrainConfig.fromMap(dev.sparring.io.Json.readObject(dir.resolve("resumed/config.json"))));

        try (Backend be = new CpuBackend()) {
            TrainingRun.Result again = Resume.from(dir.resolve("resumed")).run(be, QUIET);
            assertEquals(6, again.steps());
            assertTrue(again.message().startsWith("already finished (step 6 of 6)"), again.message());
        }
        assertEquals(6, metrics(dir.resolve("resumed")).size(), "nothing trained");
    }

    @Test
    void aResumedRunChangesOnlyWhatNoTrainedStepDependsOn(@TempDir Path dir) throws IOException {
        train(RING.toBuilder().lrDecayAt(3).lrDecay(0.5).build(), dir.resolve("run"));
        Resume resume = Resume.from(dir.resolve("run"));
        assertEquals(4, resume.step());
        assertEquals(RING.toBuilder().lrDecayAt(3).lrDecay(0.5).epochs(2).steps(0).logEvery(2).build(),
                resume.epochs(2).logEvery(2).config(), "--epochs alone: a total in epochs, the steps cleared");
        String e = assertThrows(UserError.class, () -> Resume.from(dir.resolve("run")).steps(8).lrDecayAt(List.of(2L)).config()).getMessage();
        assertTrue(e.contains("the checkpoint is at step 4, and steps 1-4 trained with the rates dropping after step 3"), e);
        e = assertThrows(UserError.class, () -> Resume.from(dir.resolve("run")).steps(8).lrDecay(0.1).config()).getMessage();
        assertTrue(e.contains("a resumed run keeps that factor"), e);
        assertEquals(List.of(3L, 6L), Resume.from(dir.resolve("run")).steps(8).lrDecayAt(List.of(3L, 6L)).config().lrDecayAt(),
                "a drop after the checkpoint's step may be added");

        Path elsewhere = Files.copy(dir.resolve("run/checkpoints/step_000004.safetensors"), dir.resolve("kept.safetensors"));
        Resume outside = Resume.from(elsewhere).steps(6);
        assertNull(outside.runFolder(), "a checkpoint kept outside a run folder");
        try (Backend be = new CpuBackend()) {
            e = assertThrows(UserError.class, () -> outside.run(be, QUIET)).getMessage();
            assertTrue(e.startsWith(elsewhere + " is not in a run's checkpoints/ folder"), e);
        }
    }
}
