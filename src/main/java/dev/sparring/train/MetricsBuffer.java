package dev.sparring.train;

import dev.sparring.backend.Backend;
import dev.sparring.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/** Tracks which rows of the device-side stats block hold steps not yet read. */
final class MetricsBuffer {
    private final TrainConfig cfg;  // the learning-rate schedule: each row is reported with the rates its step used
    private final int rows;
    private long firstUnread = 0;   // step number (0-based) of the oldest unread row
    private long recorded = 0;      // steps recorded so far

    MetricsBuffer(TrainConfig cfg) {
        this.cfg = cfg;
        this.rows = cfg.logEvery();
    }

    void recorded(long stepsDone) { recorded = stepsDone; }

    void reset(long stepsDone) { recorded = stepsDone; firstUnread = stepsDone; }

    List<Metrics> drain(Backend be, Tensor stats, TrainLoss loss) {
        List<Metrics> out = new ArrayList<>();
        if (recorded == firstUnread) return out;
        if (recorded - firstUnread > rows) throw new IllegalStateException("metrics of " + (recorded - firstUnread) + " steps pending but the block holds " + rows);
        float[] s = be.download(stats);
        for (long st = firstUnread; st < recorded; st++) {
            int row = (int) (st % rows) * Metrics.SLOTS;
            java.util.Map<String, Double> extra = GradientPenalties.metrics(cfg, st, s, row);
            if (cfg.consensusOn()) {
                extra = new java.util.LinkedHashMap<>(extra);
                extra.put(Metrics.CONSENSUS_NORM_V, (double) s[row + Metrics.CONSENSUS]);
            }
            out.add(Metrics.fromRow(st + 1, s, row, loss.equilibriumCriticLoss(), (float) cfg.lrDAt(st), (float) cfg.lrGAt(st), extra));
        }
        firstUnread = recorded;
        return out;
    }
}
