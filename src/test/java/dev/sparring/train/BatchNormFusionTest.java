package dev.sparring.train;

import dev.sparring.backend.cpu.CpuBackend;
import dev.sparring.gan.Dcgan;
import dev.sparring.gan.loss.GanLoss;
import dev.sparring.io.SafeTensors;
import dev.sparring.nn.Act;
import dev.sparring.nn.BatchNorm2d;
import dev.sparring.nn.DoubleBackward;
import dev.sparring.nn.Layer;
import dev.sparring.nn.Network;
import dev.sparring.nn.Pass;
import dev.sparring.nn.Projection;
import dev.sparring.nn.Sequential;
import dev.sparring.random.NoiseStream;
import dev.sparring.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The DCGAN with each batch norm and its activation fused ({@link BatchNorm2d#fuse}, what {@link Dcgan} builds) against
 * the same networks unfused, bit for bit: a training step's passes, eval mode, the gradient penalties' double backward,
 * the consensus field and its Jacobian products; and the state a checkpoint stores, named and loaded as before.
 */
class BatchNormFusionTest {
    private final CpuBackend be = new CpuBackend();
    private static final int B = 5, NZ = 8, K = 3;

    private record Pair(Network g, Network d, Dcgan.Config c) { }

    private Pair build(boolean fuse, int classes) {
        Dcgan.Config c = new Dcgan.Config(28, 1, NZ, 8, 8, classes);
        NoiseStream init = new NoiseStream(17, 0);
        Network g = Dcgan.generator(be, c, init, fuse), d = Dcgan.discriminator(be, c, init, fuse);
        return new Pair(g, d, c);
    }

    private Tensor randn(long seed, double std, int... shape) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[(int) dev.sparring.tensor.Shapes.size(shape)];
        for (int i = 0; i < v.length; i++) v[i] = (float) (std * r.nextGaussian());
        return be.upload(v, shape);
    }

    private Tensor onehot(long seed, int classes) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[B * classes];
        for (int i = 0; i < B; i++) v[i * classes + r.nextInt(classes)] = 1f;
        return be.upload(v, B, classes);
    }

    /** Everything a training step leaves, in order: outputs, every gradient, every buffer. */
    private List<float[]> trainStep(Pair p) {
        int classes = p.c().classes();
        List<float[]> out = new ArrayList<>();
        Tensor z = randn(1, 1, B, NZ + classes, 1, 1), xr = randn(2, 0.5, B, 1, 28, 28);
        if (classes > 0) {
            Dcgan.projection(p.d()).labels(Pass.REAL, onehot(3, classes));
            Dcgan.projection(p.d()).labels(Pass.FAKE, onehot(4, classes));
        }
        Tensor xf = p.g().forward(z, Pass.TRAIN);
        out.add(be.download(xf));
        out.add(be.download(p.d().forward(xr, Pass.REAL)));
        out.add(be.download(p.d().forward(xf, Pass.FAKE)));
        p.d().zeroGrad();
        p.g().zeroGrad();
        p.d().backward(randn(5, 1, B), Pass.REAL, false, true);
        p.d().backward(randn(6, 1, B), Pass.FAKE, false, true);
        Tensor dxf = p.d().backward(randn(7, 1, B), Pass.FAKE, true, false);
        out.add(be.download(dxf));
        p.g().backward(dxf, Pass.TRAIN, false, true);
        for (Network n : List.of(p.d(), p.g())) {
            for (Tensor t : n.grads()) out.add(be.download(t));
            for (Tensor t : n.namedBuffers().values()) out.add(be.download(t));
        }
        out.add(be.download(p.g().forward(z, Pass.EVAL)));   // batch norm with the running statistics
        out.add(be.download(p.d().forward(xr, Pass.EVAL)));
        return out;
    }

    private static void assertSame(List<float[]> want, List<float[]> got, String what) {
        assertEquals(want.size(), got.size(), what);
        for (int i = 0; i < want.size(); i++) assertArrayEquals(want.get(i), got.get(i), what + ": tensor " + i);
    }

    @Test
    void dcganBuildsFusedPairs() {
        Pair p = build(true, 0);
        int fused = 0;
        for (Network n : List.of(p.g(), p.d())) {
            List<Layer> ls = ((Sequential) n.root()).layers();
            for (int i = 0; i < ls.size(); i++) {
                if (ls.get(i) instanceof BatchNorm2d bn) {
                    assertNotNull(bn.fused(), n.name() + " layer " + i);
                    assertTrue(ls.get(i + 1) == bn.fused() && bn.fused().fusedInto() == bn);
                    fused++;
                }
                if (ls.get(i) instanceof Act a && a.fusedInto() == null) assertTrue(i == 1 || i == ls.size() - 1, "only D's first and G's Tanh are alone");
            }
        }
        assertEquals(3, fused);   // G's two, D's one at 28 px
        assertNull(((BatchNorm2d) ((Sequential) build(false, 0).g().root()).layers().get(1)).fused());
    }

    @Test
    void trainingStepAndEvalGiveTheUnfusedBits() {
        for (int classes : new int[] {0, K}) {
            assertSame(trainStep(build(false, classes)), trainStep(build(true, classes)), "classes " + classes);
        }
    }

    /** The penalties' path (DoubleBackward): the input gradient g and the parameter gradients of a function of it. */
    @Test
    void gradientPenaltyPathGivesTheUnfusedBits() {
        for (int classes : new int[] {0, K}) {
            List<List<float[]>> runs = new ArrayList<>();
            for (boolean fuse : new boolean[] {false, true}) {
                Pair p = build(fuse, classes);
                if (classes > 0) Dcgan.projection(p.d()).labels(Pass.FAKE, onehot(3, classes));
                DoubleBackward db = new DoubleBackward(p.d().root(), Pass.FAKE);
                p.d().zeroGrad();
                Tensor g = db.inputGradient(randn(2, 0.5, B, 1, 28, 28), randn(8, 1, B));
                List<float[]> out = new ArrayList<>();
                out.add(be.download(g));
                db.backward(randn(9, 1, B, 1, 28, 28));
                for (Tensor t : p.d().grads()) out.add(be.download(t));
                runs.add(out);
            }
            assertSame(runs.get(0), runs.get(1), "classes " + classes);
        }
    }

    /** Consensus's path (GameJacobian): the field v and Jᵀu, through both networks' batch norms. */
    @Test
    void consensusPathGivesTheUnfusedBits() {
        TrainLoss nsgan = TrainLoss.of(GanLoss.parse("nsgan"));
        for (int classes : new int[] {0, K}) {
            List<List<float[]>> runs = new ArrayList<>();
            for (boolean fuse : new boolean[] {false, true}) {
                Pair p = build(fuse, classes);
                List<float[]> out = new ArrayList<>();
                try (GameJacobian jac = new GameJacobian(p.g(), p.d(), nsgan)) {
                    Tensor yr = classes > 0 ? onehot(3, classes) : null, yf = classes > 0 ? onehot(4, classes) : null;
                    jac.field(randn(2, 0.5, B, 1, 28, 28), yr, randn(1, 1, B, NZ + classes, 1, 1), yf, be.zeros(16), 0, 5);
                    List<Tensor> u = new ArrayList<>();
                    for (Tensor t : jac.grads()) {
                        out.add(be.download(t));
                        u.add(be.upload(be.download(t), t.shape()));
                    }
                    jac.transposeTimes(u);
                    for (Tensor t : jac.grads()) out.add(be.download(t));
                }
                runs.add(out);
            }
            assertSame(runs.get(0), runs.get(1), "classes " + classes);
        }
    }

    /** A checkpoint's names are PyTorch's DCGAN's, as before; the state of an unfused network loads into a fused one. */
    @Test
    void checkpointStateIsNamedAndLoadsAsBefore(@TempDir Path dir) throws Exception {
        Pair old = build(false, 0), now = build(true, 0);
        for (int i = 0; i < 2; i++) {
            Network a = i == 0 ? old.g() : old.d(), b = i == 0 ? now.g() : now.d();
            assertEquals(List.copyOf(a.namedParameters().keySet()), List.copyOf(b.namedParameters().keySet()));
            assertEquals(List.copyOf(a.namedBuffers().keySet()), List.copyOf(b.namedBuffers().keySet()));
            assertEquals(a.counters().keySet(), b.counters().keySet());
        }
        assertTrue(now.g().namedBuffers().containsKey("main.1.running_mean") && now.g().namedParameters().containsKey("main.3.weight"));
        assertTrue(now.d().namedBuffers().containsKey("main.3.running_var") && now.d().namedParameters().containsKey("main.5.weight"));
        trainStep(old);   // moves the running statistics and the counters away from the fresh ones
        SafeTensors.Writer w = SafeTensors.writer();
        for (Map.Entry<String, dev.sparring.nn.Parameter> e : old.g().namedParameters().entrySet()) {
            w.putF32(e.getKey(), be.download(e.getValue().value()), e.getValue().value().shape());
        }
        for (Map.Entry<String, Tensor> e : old.g().namedBuffers().entrySet()) w.putF32(e.getKey(), be.download(e.getValue()), e.getValue().shape());
        for (Map.Entry<String, Long> e : old.g().counters().entrySet()) w.putI64(e.getKey(), new long[] {e.getValue()}, 1);
        Path f = dir.resolve("g.safetensors");
        w.write(f);
        Network fresh = build(true, 0).g();
        fresh.loadState(SafeTensors.read(f), "");
        assertEquals(old.g().counters(), fresh.counters());
        Tensor z = randn(1, 1, B, NZ, 1, 1);
        assertArrayEquals(be.download(old.g().forward(z, Pass.EVAL)), be.download(fresh.forward(z, Pass.EVAL)));
        assertArrayEquals(be.download(old.g().forward(z, Pass.TRAIN)), be.download(fresh.forward(z, Pass.TRAIN)));
    }

    @Test
    void refusesWhatDoesNotFuse() {
        assertThrows(IllegalArgumentException.class, () -> new BatchNorm2d(be, 2).fuse(Act.tanh(be)));
        assertThrows(IllegalArgumentException.class, () -> new BatchNorm2d(be, 2).fuse(Act.leakyRelu(be, -0.5)));
        BatchNorm2d bn = new BatchNorm2d(be, 2);
        Act relu = bn.fuse(Act.relu(be));
        assertThrows(IllegalStateException.class, () -> bn.fuse(Act.relu(be)));
        assertThrows(IllegalStateException.class, () -> new BatchNorm2d(be, 2).fuse(relu));
        // the fused activation takes its batch norm's output, nothing else
        Tensor x = randn(1, 1, 2, 2, 3, 3);
        bn.forward(x, Pass.TRAIN);
        assertThrows(IllegalStateException.class, () -> relu.forward(x, Pass.TRAIN));
    }
}
