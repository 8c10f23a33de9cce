package dev.sparring.train;

import dev.sparring.UserError;
import dev.sparring.backend.Backend;
import dev.sparring.backend.cpu.CpuBackend;
import dev.sparring.data.Dataset;
import dev.sparring.data.Datasets;
import dev.sparring.data.ImageDataset;
import dev.sparring.gan.Dcgan;
import dev.sparring.data.Mixture2D;
import dev.sparring.gan.Mlp;
import dev.sparring.gan.loss.GanLoss;
import dev.sparring.nn.Network;
import dev.sparring.optim.Optimizer;
import dev.sparring.random.NoiseStream;
import dev.sparring.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Consensus optimization in the trainer: the update it makes, resuming, metrics and what it refuses. */
class ConsensusTest {
    private final Backend be = new CpuBackend();
    private final Mixture2D ring = (Mixture2D) Datasets.open("ring8", 0, 0);
    private final TrainLoss nsgan = TrainLoss.of(GanLoss.parse("nsgan"));

    private static TrainConfig.Builder small() {
        return TrainConfig.builder().data("ring8").hidden(16).depth(1).nz(2).batch(16).steps(6).logEvery(1)
                .simultaneous(true).lrDecay(1);
    }

    /**
     * One step with SGD at lr 1 (its first step moves each parameter by -lr times the gradient it is given) moves the
     * parameters by -(v + γ Jᵀv), with v and Jᵀv computed by a GameJacobian of its own on the same batch and weights.
     */
    @Test
    void theBiasedStepIsTheFieldPlusGammaTimesJTransposeV() {
        double gamma = 0.5;
        TrainConfig cfg = small().consensus(gamma).optimizer(Optimizer.Kind.SGD).lrD(1).lrG(1).build().resolvedFor(ring);
        Mlp.Config mc = new Mlp.Config(cfg.nz(), cfg.hidden(), cfg.depth(), 2);
        NoiseStream init = NoiseStream.derive(cfg.seed(), "init");
        Network g = Mlp.generator(be, mc, init), d = Mlp.discriminator(be, mc, init);
        List<float[]> expected = new ArrayList<>();
        try (GameJacobian jac = new GameJacobian(g, d, nsgan);
             RealBatches.Points real = new RealBatches.Points(be, ring, cfg.batch(), NoiseStream.derive(cfg.seed(), "data"))) {
            Tensor z = be.zeros(cfg.batch(), cfg.nz());
            NoiseStream zs = NoiseStream.derive(cfg.seed(), "z");
            be.normal(z, zs.seed(), zs.take(z.size()));
            jac.field(real.next(), z, be.zeros(16), 0, 5);
            List<Tensor> v = new ArrayList<>();
            for (Tensor t : jac.grads()) v.add(be.upload(be.download(t), t.shape()));
            jac.transposeTimes(v);
            List<Tensor> params = new ArrayList<>(d.values());
            params.addAll(g.values());
            for (int i = 0; i < v.size(); i++) {
                float[] p = be.download(params.get(i)), vi = be.download(v.get(i)), jtv = be.download(jac.grads().get(i));
                for (int k = 0; k < p.length; k++) p[k] -= (float) (vi[k] + gamma * jtv[k]);
                expected.add(p);
            }
        }
        try (Trainer t = new Trainer(cfg, be, ring, nsgan)) {
            t.step();
            List<Tensor> params = new ArrayList<>(t.critic().values());
            params.addAll(t.generator().values());
            for (int i = 0; i < params.size(); i++) {
                float[] got = be.download(params.get(i)), want = expected.get(i);
                for (int k = 0; k < got.length; k++) {
                    assertEquals(want[k], got[k], 1e-5 + 1e-4 * Math.abs(want[k]), "parameter tensor " + i + "[" + k + "]");
                }
            }
            Metrics m = t.drainMetrics().getFirst();
            assertTrue(m.penalties().get("consensus_norm_v") > 0, m.toString());
            assertTrue(m.toMap().containsKey("consensus_norm_v"));
        }
    }

    /**
     * The same on the class-conditional DCGAN: the trainer's real batch, its labels, the fake batch's z and labels (G fed
     * [z, onehot(y)], the projection critic given both label sets) are those a GameJacobian of its own gets from the
     * same streams.
     */
    @Test
    void theBiasedStepOnTheConditionalDcganIsTheFieldPlusGammaTimesJTransposeV() {
        double gamma = 0.5;
        ImageDataset data = ConditionalTrainingTest.quadrants(8, 1);
        TrainConfig cfg = TrainerTest.tinyDcgan().toBuilder().conditional(true).simultaneous(true).consensus(gamma)
                .optimizer(Optimizer.Kind.SGD).lrD(1).lrG(1).lrDecay(1).steps(1).logEvery(1).build().resolvedFor(data);
        int k = cfg.classes(), b = cfg.batch();
        Dcgan.Config dc = new Dcgan.Config(cfg.imageSize(), 1, cfg.nz(), cfg.ngf(), cfg.ndf(), k);
        NoiseStream init = NoiseStream.derive(cfg.seed(), "init");
        Network g = Dcgan.generator(be, dc, init), d = Dcgan.discriminator(be, dc, init);
        List<float[]> expected = new ArrayList<>();
        try (GameJacobian jac = new GameJacobian(g, d, nsgan);
             RealBatches.Images real = new RealBatches.Images(be, data, b, cfg.seed(), 1, k)) {
            Tensor xReal = real.next();
            Tensor z = be.zeros(b, cfg.nz(), 1, 1);
            NoiseStream zs = NoiseStream.derive(cfg.seed(), "z"), ls = NoiseStream.derive(cfg.seed(), "labels");
            be.normal(z, zs.seed(), zs.take(z.size()));
            int[] labels = new int[b];
            for (int i = 0; i < b; i++) labels[i] = ls.nextInt(k);
            float[] onehot = new float[b * k], gIn = new float[b * (cfg.nz() + k)];
            Conditioning.onehot(labels, b, k, onehot);
            float[] zh = be.download(z);
            for (int i = 0; i < b; i++) {
                System.arraycopy(zh, i * cfg.nz(), gIn, i * (cfg.nz() + k), cfg.nz());
                gIn[i * (cfg.nz() + k) + cfg.nz() + labels[i]] = 1;
            }
            jac.field(xReal, real.labels(), be.upload(gIn, b, cfg.nz() + k, 1, 1), be.upload(onehot, b, k), be.zeros(16), 0, 5);
            List<Tensor> v = new ArrayList<>();
            for (Tensor t : jac.grads()) v.add(be.upload(be.download(t), t.shape()));
            jac.transposeTimes(v);
            List<Tensor> params = new ArrayList<>(d.values());
            params.addAll(g.values());
            for (int i = 0; i < v.size(); i++) {
                float[] p = be.download(params.get(i)), vi = be.download(v.get(i)), jtv = be.download(jac.grads().get(i));
                for (int j = 0; j < p.length; j++) p[j] -= (float) (vi[j] + gamma * jtv[j]);
                expected.add(p);
            }
        }
        try (Trainer t = new Trainer(cfg, be, data, nsgan)) {
            t.step();
            List<Tensor> params = new ArrayList<>(t.critic().values());
            params.addAll(t.generator().values());
            assertEquals(expected.size(), params.size());
            for (int i = 0; i < params.size(); i++) {
                float[] got = be.download(params.get(i)), want = expected.get(i);
                for (int j = 0; j < got.length; j++) {
                    assertEquals(want[j], got[j], 1e-5 + 1e-4 * Math.abs(want[j]), "parameter tensor " + i + "[" + j + "]");
                }
            }
            assertTrue(t.drainMetrics().getFirst().penalties().get("consensus_norm_v") > 0);
        }
    }

    /**
     * With γ so small that γ Jᵀv vanishes in float32, consensus steps are the simultaneous steps: the same batches, labels
     * and field v, in the same order of operations, so the weights agree bit for bit after a few steps.
     */
    @Test
    void aVanishingGammaOnTheConditionalDcganIsTheSimultaneousStep() {
        ImageDataset data = ConditionalTrainingTest.quadrants(16, 1);
        TrainConfig plain = TrainerTest.tinyDcgan().toBuilder().conditional(true).simultaneous(true).steps(3).logEvery(1).build();
        float[] a, b;
        try (Trainer t = new Trainer(plain, be, data, nsgan)) {
            for (int i = 0; i < 3; i++) t.step();
            a = values(t);
        }
        try (Trainer t = new Trainer(plain.toBuilder().consensus(1e-30).build(), be, data, nsgan)) {
            for (int i = 0; i < 3; i++) t.step();
            b = values(t);
        }
        assertArrayEquals(a, b);
    }

    /** The unbiased estimator's half batches on the conditional DCGAN: each half's images with its own labels, resumed bit for bit. */
    @Test
    void anUnbiasedConditionalDcganRunResumesBitIdentically(@TempDir Path dir) throws IOException {
        ImageDataset data = ConditionalTrainingTest.quadrants(16, 1);
        TrainConfig cfg = TrainerTest.tinyDcgan().toBuilder().conditional(true).simultaneous(true).consensus(0.3)
                .consensusEstimator(TrainConfig.ConsensusEstimator.UNBIASED).batch(8).steps(4).logEvery(1).build();
        assertResumesBitIdentically(cfg, data, 4, 2, dir.resolve("cp.safetensors"));
    }

    @Test
    void anUnbiasedRunResumesBitIdentically(@TempDir Path dir) throws IOException {
        TrainConfig cfg = small().consensus(2).consensusEstimator(TrainConfig.ConsensusEstimator.UNBIASED).build();
        Path file = dir.resolve("cp.safetensors");
        assertResumesBitIdentically(cfg, ring, 6, 2, file);
        assertEquals(cfg.resolvedFor(ring), Checkpoint.config(TrainingRun.open(file)), "the checkpoint keeps --consensus and its estimator");
    }

    /**
     * Trains cfg on data for {@code total} steps straight, and again for {@code at} steps, a checkpoint into file and the
     * rest resumed from it: the weights and every step's metrics must be the same, and each step's ‖v‖² finite.
     */
    private void assertResumesBitIdentically(TrainConfig cfg, Dataset data, int total, int at, Path file) throws IOException {
        float[] straight;
        List<Metrics> straightMetrics = new ArrayList<>(), resumedMetrics = new ArrayList<>();
        try (Trainer t = new Trainer(cfg, be, data, nsgan)) {
            for (int i = 0; i < total; i++) {
                t.step();
                straightMetrics.addAll(t.drainMetrics());
            }
            straight = values(t);
        }
        try (Trainer t = new Trainer(cfg, be, data, nsgan)) {
            for (int i = 0; i < at; i++) {
                t.step();
                resumedMetrics.addAll(t.drainMetrics());
            }
            Checkpoint.save(t, file);
        }
        try (Trainer t = new Trainer(cfg, be, data, nsgan)) {
            Checkpoint.restore(t, TrainingRun.open(file));
            for (int i = at; i < total; i++) {
                t.step();
                resumedMetrics.addAll(t.drainMetrics());
            }
            assertArrayEquals(straight, values(t));
        }
        assertEquals(straightMetrics, resumedMetrics);
        for (Metrics m : straightMetrics) assertTrue(Double.isFinite(m.penalties().get("consensus_norm_v")), m.toString());
    }

    @Test
    void refusesWhatItIsNotDefinedFor() {
        UserError alt = assertThrows(UserError.class, () -> small().simultaneous(false).consensus(1).build());
        assertTrue(alt.getMessage().startsWith("--consensus needs --updates simultaneous"), alt.getMessage());
        UserError neg = assertThrows(UserError.class, () -> small().consensus(-1).build());
        assertTrue(neg.getMessage().startsWith("--consensus must be >= 0"), neg.getMessage());
        UserError odd = assertThrows(UserError.class, () -> small().batch(15).consensus(1)
                .consensusEstimator(TrainConfig.ConsensusEstimator.UNBIASED).build());
        assertTrue(odd.getMessage().contains("--batch must be even"), odd.getMessage());
        UserError noCurvature = assertThrows(UserError.class, () -> new Trainer(small().consensus(1).build(), be, ring,
                TestLosses.nonSaturating()));
        assertTrue(noCurvature.getMessage().contains("second derivatives"), noCurvature.getMessage());
    }

    private float[] values(Trainer t) {
        List<Float> all = new ArrayList<>();
        for (Network n : List.of(t.critic(), t.generator())) for (Tensor v : n.values()) for (float x : be.download(v)) all.add(x);
        float[] out = new float[all.size()];
        for (int i = 0; i < out.length; i++) out[i] = all.get(i);
        return out;
    }
}
