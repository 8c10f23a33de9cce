package dev.sparring.train;

import dev.sparring.backend.Backend;
import dev.sparring.nn.Network;
import dev.sparring.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * Consensus optimization (Mescheder, Nowozin and Geiger, "The Numerics of GANs", NeurIPS 2017): both players step
 * together along the joint gradient field v = (∇_θD L_D, ∇_θG L_G) plus γ ∇(½‖v‖²) = γ Jᵀv, which damps the rotation
 * of the field around an equilibrium. Each optimizer gets its part of v + γ Jᵀv in place of its gradient; the update is
 * simultaneous by definition (v and Jᵀv at the same parameters).
 *
 * <p>Two estimators of ∇(½‖v‖²) from a batch ({@code --consensus-estimator}):
 * <ul>
 *   <li>biased (the paper's): v and Jᵀv from the same batch. E[Jᵀv] ≠ (E J)ᵀ(E v): the batch's noise adds
 *       ∇ of the field's variance;</li>
 *   <li>unbiased: two independent half batches give v₁ and v₂ with E[v₁ · v₂] = ‖E v‖², so
 *       ∇(½ v₁ · v₂) = ½ (J₁ᵀv₂ + J₂ᵀv₁) is unbiased; the step uses v = (v₁ + v₂)/2, the whole batch's field. It costs one
 *       more first-order pass (the first half's, run again for its second-order pass).</li>
 * </ul>
 * Metrics: the step's losses (of the whole batch; with the unbiased estimator, of the first half batch), the
 * gradient norms of v + γ Jᵀv, and ‖v‖² as {@code consensus_norm_v}.
 */
final class Consensus implements AutoCloseable {
    private final Backend be;
    private final float gamma;
    private final boolean unbiased;
    private final GameJacobian jac;
    private final FakeInputs fakes;
    private final List<Tensor> grads;            // D's then G's parameter gradients (the optimizers read these)
    private final List<Tensor> v, v2, other;     // copies: v (or v₁), v₂, and J₂ᵀv₁
    private final Fake fake, fake1;              // the fake batch's inputs (B or B/2); the first half's, kept
    private final Tensor x1, y1;                 // the first half's real batch and its one-hot labels (y1: conditional only), kept
    private final Tensor scratch;                // stats of the first half's second pass

    /**
     * Draws a fake batch's inputs from the run's streams: z into {@code z}, and for a conditional run one label per row
     * (into {@code labels}, one-hot through {@code onehotHost} into {@code onehot}); returns G's input (z, or [z, onehot]
     * written into {@code gIn}).
     */
    @FunctionalInterface
    interface FakeInputs {
        Tensor draw(Tensor z, int[] labels, float[] onehotHost, Tensor onehot, Tensor gIn);
    }

    /** One fake batch's buffers: z (n, nz[, 1, 1]), and for K classes its labels, one-hot rows (n, K) and G's input. */
    private final class Fake implements AutoCloseable {
        final Tensor z, onehot, gIn;
        final int[] labels;
        final float[] host;
        Tensor input;                            // G's input of the last draw

        Fake(int[] zShape, int classes) {
            z = be.zeros(zShape);
            int n = zShape[0];
            labels = classes > 0 ? new int[n] : null;
            host = classes > 0 ? new float[n * classes] : null;
            onehot = classes > 0 ? be.zeros(n, classes) : null;
            gIn = classes > 0 ? be.zeros(n, zShape[1] + classes, 1, 1) : null;
        }

        void draw() { input = fakes.draw(z, labels, host, onehot, gIn); }

        @Override
        public void close() { for (Tensor t : new Tensor[] {z, onehot, gIn}) if (t != null) t.close(); }
    }

    /**
     * @param zShape    one draw's latent batch, (n, nz) or (n, nz, 1, 1), n = {@link #dataBatch}
     * @param realShape one draw's real batch
     * @param classes   K of a conditional run (0: unconditional)
     */
    Consensus(TrainConfig cfg, Backend be, Network g, Network d, TrainLoss loss, int[] zShape, int[] realShape, int classes,
              FakeInputs fakes) {
        this.be = be;
        this.gamma = (float) cfg.consensus();
        this.unbiased = cfg.consensusEstimator() == TrainConfig.ConsensusEstimator.UNBIASED;
        this.jac = new GameJacobian(g, d, loss);
        this.fakes = fakes;
        this.grads = jac.grads();
        this.v = zerosLike(grads);
        this.v2 = unbiased ? zerosLike(grads) : List.of();
        this.other = unbiased ? zerosLike(grads) : List.of();
        this.fake = new Fake(zShape, classes);
        this.fake1 = unbiased ? new Fake(zShape, classes) : null;
        this.x1 = unbiased ? be.zeros(realShape) : null;
        this.y1 = unbiased && classes > 0 ? be.zeros(realShape[0], classes) : null;
        this.scratch = be.zeros(Metrics.SLOTS);
    }

    /** The batch that one draw of real data takes: the whole batch, or half of it for the unbiased estimator. */
    static int dataBatch(TrainConfig cfg) {
        return cfg.consensusOn() && cfg.consensusEstimator() == TrainConfig.ConsensusEstimator.UNBIASED ? cfg.batch() / 2 : cfg.batch();
    }

    private List<Tensor> zerosLike(List<Tensor> ts) {
        List<Tensor> out = new ArrayList<>();
        for (Tensor t : ts) out.add(be.zeros(t.shape()));
        return out;
    }

    private void copy(List<Tensor> from, List<Tensor> to) {
        for (int i = 0; i < from.size(); i++) be.copy(from.get(i), to.get(i));
    }

    /**
     * One joint update's gradients: v + γ Jᵀv into the networks' parameter gradients, for the trainer's simultaneous
     * update of both players; the losses and ‖v‖² into {@code stats} row {@code row}.
     */
    void gradients(RealBatches real, Tensor stats, int row, Trainer.PhaseListener phases) {
        if (!unbiased) {
            Tensor xReal = real.next();
            fake.draw();
            jac.field(xReal, real.labels(), fake.input, fake.onehot, stats, row + Metrics.D_LOSS, row + Metrics.G_LOSS);
            copy(grads, v);
            jac.transposeTimes(v);                                    // grads = Jᵀv
            for (int i = 0; i < grads.size(); i++) {
                be.scale(grads.get(i), gamma);
                be.axpy(1f, v.get(i), grads.get(i));                  // grads = v + γ Jᵀv
            }
        } else {
            be.copy(real.next(), x1);
            if (y1 != null) be.copy(real.labels(), y1);
            fake1.draw();
            jac.field(x1, y1, fake1.input, fake1.onehot, stats, row + Metrics.D_LOSS, row + Metrics.G_LOSS);
            copy(grads, v);                                           // v₁
            Tensor x2 = real.next();
            fake.draw();
            jac.field(x2, real.labels(), fake.input, fake.onehot, scratch, 0, Metrics.G_LOSS);
            copy(grads, v2);                                          // v₂
            jac.transposeTimes(v);                                    // J₂ᵀv₁
            copy(grads, other);
            jac.field(x1, y1, fake1.input, fake1.onehot, scratch, 0, Metrics.G_LOSS);   // the first half again, for its second-order pass
            jac.transposeTimes(v2);                                   // J₁ᵀv₂
            for (int i = 0; i < grads.size(); i++) {
                Tensor gr = grads.get(i);
                be.axpy(1f, other.get(i), gr);
                be.scale(gr, gamma / 2);                              // γ ½ (J₁ᵀv₂ + J₂ᵀv₁)
                be.axpy(1f, v.get(i), v2.get(i));
                be.scale(v2.get(i), 0.5f);                            // v = (v₁ + v₂)/2
                be.axpy(1f, v2.get(i), gr);
            }
        }
        phases.ended("consensus");
        be.sumSquares(unbiased ? v2 : v, stats, row + Metrics.CONSENSUS);
    }

    @Override
    public void close() {
        jac.close();
        for (List<Tensor> l : List.of(v, v2, other)) for (Tensor t : l) t.close();
        fake.close();
        if (fake1 != null) fake1.close();
        for (Tensor t : new Tensor[] {x1, y1, scratch}) if (t != null) t.close();
    }
}
