package dev.sparring.train;

import dev.sparring.backend.cpu.CpuBackend;
import dev.sparring.data.Datasets;
import dev.sparring.data.Mixture2D;
import dev.sparring.gan.loss.GanLoss;
import dev.sparring.io.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A run on 2-D data measures the mode coverage ({@link Mixture2D#coverage}) of the samples of every scatter plot it
 * writes: one line of coverage.jsonl per scatter, shown on the progress lines after it, and the last one printed at
 * the end. A resumed run keeps the lines up to its checkpoint and moves the later ones aside, as metrics.jsonl.
 */
class CoverageRecordTest {
    private static final TrainConfig TINY = TrainConfig.builder().data("ring8").model(TrainConfig.Model.MLP).hidden(8)
            .depth(1).nz(2).batch(16).lrD(2e-3).lrG(2e-3).steps(6)
            .sampleEvery(3).checkpointEvery(4).logEvery(2).build();

    private static Trainer trainer(Mixture2D ring) {
        return new Trainer(TINY, new CpuBackend(), ring, TrainLoss.of(GanLoss.parse("nsgan")));
    }

    private static List<String> lines(Path file) throws IOException {
        return Files.readAllLines(file).stream().filter(l -> !l.isBlank()).toList();
    }

    @Test
    void everyScatterOfA2DRunRecordsItsCoverage(@TempDir Path dir) throws IOException {
        // 9 wide modes near the origin, where the barely trained G puts its samples: coverage between none and all
        Mixture2D ring = Mixture2D.grid(3, 0.3, 0.1);
        Path runDir = dir.resolve("run");
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        Mixture2D.Coverage atEnd;
        try (Trainer t = trainer(ring)) {
            TrainingRun run = new TrainingRun(t, runDir, new PrintStream(log, true), ring).progressBar(false);
            run.initFresh();
            assertEquals(TrainingRun.Outcome.COMPLETED, run.run().outcome());
            int n = TrainingRun.COVERAGE_SAMPLES;
            atEnd = ring.coverage(t.fixedSamples(n), n);   // fixed noise: the samples of the last scatter
        }
        List<String> cov = lines(runDir.resolve("coverage.jsonl"));
        assertEquals(2, cov.size(), "one line per scatter (steps 3 and 6): " + cov);
        Map<String, Object> first = Json.parseObject(cov.get(0), "coverage"), last = Json.parseObject(cov.get(1), "coverage");
        assertEquals(List.of("step", "modes_covered", "modes", "hq_share", "samples"), List.copyOf(last.keySet()));
        assertEquals(3, first.get("step"));
        assertEquals(6, last.get("step"));
        assertEquals(9, last.get("modes"));
        assertTrue(atEnd.modesCovered() > 0 && atEnd.highQualityShare() > 0 && atEnd.highQualityShare() < 1, atEnd.toString());
        assertEquals(TrainingRun.COVERAGE_SAMPLES, last.get("samples"));
        assertEquals(atEnd.modesCovered(), last.get("modes_covered"));
        assertEquals(atEnd.highQualityShare(), ((Number) last.get("hq_share")).doubleValue(), 5e-5);

        String out = log.toString();
        assertTrue(out.contains("samples at step 6: " + atEnd + " (" + TrainingRun.COVERAGE_SAMPLES + " fixed-noise samples"), out);
        Mixture2D.Coverage at3 = new Mixture2D.Coverage(((Number) first.get("modes_covered")).intValue(), 9,
                ((Number) first.get("hq_share")).doubleValue());
        String note = String.format(Locale.ROOT, "| modes %d/9, HQ %.1f%% (step 3)", at3.modesCovered(), 100 * at3.highQualityShare());
        assertTrue(out.lines().anyMatch(l -> l.contains(" 4/6 ") && l.endsWith(note)), "the progress line after the step-3 scatter: " + out);

        // resumed from step 4: the step-6 line goes aside with the step-6 scatter, and the continued run writes it again
        try (Trainer t = trainer(ring)) {
            Checkpoint.restore(t, TrainingRun.open(runDir.resolve("checkpoints/step_000004.safetensors")));
            TrainingRun run = new TrainingRun(t, runDir, new PrintStream(PrintStream.nullOutputStream()), ring).progressBar(false);
            run.initResumed();
            assertEquals(cov.subList(0, 1), lines(runDir.resolve("coverage.jsonl")));
            Path aside;
            try (var s = Files.list(runDir.resolve("rewound"))) {
                aside = s.findFirst().orElseThrow();
            }
            assertEquals(cov.subList(1, 2), lines(aside.resolve("coverage.jsonl")));
            run.run();
        }
        assertEquals(cov, lines(runDir.resolve("coverage.jsonl")), "the continued run measures the same samples");
    }

    @Test
    void imageRunsWriteNoCoverage(@TempDir Path dir) throws IOException {
        TrainConfig cfg = TrainerTest.smallDcgan().toBuilder().steps(2).sampleEvery(1).checkpointEvery(0).logEvery(1).build();
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        try (Trainer t = new Trainer(cfg, new CpuBackend(), TrainerTest.firstDigits(64), TrainLoss.of(GanLoss.parse("nsgan")))) {
            TrainingRun run = new TrainingRun(t, dir, new PrintStream(log, true), null).progressBar(false);
            run.initFresh();
            run.run();
        }
        assertFalse(Files.exists(dir.resolve("coverage.jsonl")));
        assertFalse(log.toString().contains("modes"), log.toString());
    }
}
