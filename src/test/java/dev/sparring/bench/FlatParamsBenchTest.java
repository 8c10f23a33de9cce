package dev.sparring.bench;

import dev.sparring.backend.cpu.CpuBackend;
import org.junit.jupiter.api.Test;

import java.io.OutputStream;
import java.io.PrintStream;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FlatParamsBenchTest {
    private static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());

    private static FlatParamsBench.Options tiny(String... cases) {
        return new FlatParamsBench.Options(List.of(cases), "cpu", 2, 2, 3, 3, 1);
    }

    @Test
    void ringCaseTimesEveryPhaseAndEachParameterOpOnBothLayouts() {
        FlatParamsBench.Options o = tiny("--data ring8 --hidden 8 --batch 8");
        try (CpuBackend be = new CpuBackend()) {
            FlatParamsBench.CaseResult r = FlatParamsBench.run(be, o.cases().getFirst(), o, QUIET);
            assertEquals(dev.sparring.train.TrainConfig.Model.MLP, r.cfg().model());
            assertEquals(6, r.gTensors());
            assertEquals(6, r.dTensors());
            assertEquals(List.of("data", "G forward", "zero grads", "D forward", "loss", "D backward", "grad norms", "optimizers", "G backward"),
                    List.copyOf(r.phaseMs().keySet()));
            assertTrue(r.stepMs() > 0 && r.paramOpsShare() > 0 && r.paramOpsShare() < 1, String.valueOf(r.paramOpsShare()));
            assertEquals(List.of("zero grads G", "grad norms G", "optimizers (adam) G", "zero grads D", "grad norms D", "optimizers (adam) D"),
                    r.layout().stream().map(l -> l.op() + " " + l.net()).toList());
            assertTrue(r.layout().stream().allMatch(l -> l.perLayerUs() > 0 && l.flatUs() > 0 && l.diffQ1Us() <= l.diffQ3Us()));
            assertTrue(r.calls().isEmpty(), "no device counters on the CPU");
            assertEquals(-1, r.graphOps(), "no step graphs on the CPU");
            String md = FlatParamsBench.report(r, o);
            assertTrue(md.contains("### `sparring train --data ring8 --hidden 8 --batch 8`") && md.contains("| **zero grads** |"), md);
        }
    }

    @Test
    void clippedDcganCountsCriticCallsPerStep() {
        FlatParamsBench.Options o = tiny("--no-conditional --ngf 2 --ndf 2 --batch 2 --loss wgan --d-steps 2");   // the unconditional critic's 5 tensors
        try (CpuBackend be = new CpuBackend()) {
            FlatParamsBench.CaseResult r = FlatParamsBench.run(be, o.cases().getFirst(), o, QUIET);
            assertEquals(7, r.gTensors());
            assertEquals(5, r.dTensors());
            assertTrue(r.phaseMs().containsKey("clip"), String.valueOf(r.phaseMs().keySet()));
            assertEquals(List.of("zero grads G 1", "grad norms G 1", "optimizers (rmsprop) G 1", "zero grads D 2", "grad norms D 2",
                            "optimizers (rmsprop) D 2", "clip D 2"),
                    r.layout().stream().map(l -> l.op() + " " + l.net() + " " + l.callsPerStep()).toList());
            assertEquals(2 * (5 - 1) + (7 - 1), r.memsetsRemoved());
        }
    }

    @Test
    void quantiles() {
        double[] v = {4, 1, 3, 2};
        assertEquals(2.5, FlatParamsBench.median(v));
        assertEquals(1.75, FlatParamsBench.quantile(v, 0.25), 1e-12);
        assertEquals(3.25, FlatParamsBench.quantile(v, 0.75), 1e-12);
        assertEquals(4, FlatParamsBench.quantile(v, 1));
    }
}
