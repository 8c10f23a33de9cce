package dev.sparring.train;

import dev.sparring.UserError;
import dev.sparring.backend.Backend;
import dev.sparring.backend.CompiledLoss;
import dev.sparring.backend.LossCurvature;
import dev.sparring.nn.DoubleBackward;
import dev.sparring.nn.Layer;
import dev.sparring.nn.Network;
import dev.sparring.nn.Pass;
import dev.sparring.nn.Sequential;
import dev.sparring.tensor.Tensor;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The game's gradient field and products with the transpose of its Jacobian, on one batch (x_real, z), for
 * consensus optimization ({@code --consensus}) and the Jacobian spectrum ({@code sparring numerics --checkpoint}).
 *
 * <p>The field is v(θ) = (∇_θD L_D, ∇_θG L_G) with the trainer's losses L_D = -(mean φ(t_real) + mean ψ(t_fake)),
 * L_G = mean β(t_fake), t = D(x), x_fake = G(z): what a simultaneous step computes. Its Jacobian J = ∂v/∂θ; for a
 * fixed u, Jᵀu = ∇_θ (u · v(θ)). With u = v that is ∇½‖v‖², consensus optimization's extra term.
 *
 * <p>{@link #field} runs the first-order pass and keeps what the second needs: each layer's upstream gradient dy in
 * the four backwards that make v (D on the real batch and on the fake batch with parameter gradients; D on the fake
 * batch with the generator's dt, input gradient only; G from that input gradient, with parameter gradients).
 * {@link #transposeTimes} then differentiates u · v through them, in the manner of {@link DoubleBackward}:
 * <ol>
 *   <li>each recorded backward is walked in forward order with {@link Layer#doubleBackward(Tensor, Tensor, Pass, List)},
 *       given dP/d(dθ) = u's part for the backwards that made parameter gradients, and dP/d(dx) for G's input
 *       gradient chain (G's walk ends at dP/d(dx_fake), which starts D's generator-backward walk). This adds
 *       backward's use of the weights into the gradients and collects, per layer input, dP/dx through backward's
 *       use of x;</li>
 *   <li>at the top of D the walks end at dP/d(dt); dt = c f'(t) (f = φ, ψ, β; c = -1/B, -1/B, 1/B), so
 *       dP/dt = c f''(t) dP/d(dt) ({@link Backend#lossCurvature});</li>
 *   <li>ordinary backwards with parameter gradients carry dP/dt down D (real and fake batches), adding the collected
 *       dP/dx at each layer input; D's fake-batch input gradient then goes down G.</li>
 * </ol>
 * Only networks built of layers with {@link Layer#doubleBackward(Tensor, Tensor, Pass, List)} through their parameter
 * gradients (so far Linear, with Act and Reshape: the MLP models) are accepted.
 */
public final class GameJacobian implements AutoCloseable {
    private final Backend be;
    private final Network g, d;
    private final List<Layer> gl, dl;
    private final CompiledLoss compiled;
    private final LossCurvature curvature;
    private final List<Tensor> grads = new ArrayList<>();           // D's parameter gradients, then G's
    private final Map<Tensor, Integer> gradIndex = new IdentityHashMap<>();
    private final int criticParameters;                              // how many of grads are D's
    // the four recorded backwards: each layer's upstream dy (copies), by layer index
    private final Recorded dReal, dFake, dGen, gTrain;
    private Tensor tReal, tFake;                                     // D's outputs (owned by D), from field()
    private Tensor dtReal, dtFake, dtGen;                            // (B)
    private Tensor gradTReal, gradTFake, topReal, topFake;          // (B)
    private Tensor[] accReal, accFake, accG;                         // dP/d(layer input) through backward's use of it
    private Tensor zerosX, zerosZ;                                   // gradDx of the bottom layers: P does not use those dx
    private boolean ready;

    /** Refuses, as a one-line message, networks without the second-order pass through parameter gradients. */
    public static void requireSupported(Network g, Network d, String flag) {
        for (Network n : List.of(g, d)) {
            if (!(n.root() instanceof Sequential s)) throw new UserError(flag + " needs sequential networks");
            for (Layer l : s.layers()) {
                if (!(l instanceof dev.sparring.nn.Linear) && !(l instanceof dev.sparring.nn.Act) && !(l instanceof dev.sparring.nn.Reshape)) {
                    throw new UserError(flag + " works for --model mlp only: its second-order pass through the parameter gradients "
                            + "exists for Linear, activation and reshape layers, not for " + l.getClass().getSimpleName()
                            + " (the DCGAN's convolutions and batch norm)");
                }
            }
        }
    }

    public GameJacobian(Network g, Network d, TrainLoss loss) {
        requireSupported(g, d, "the game Jacobian");
        if (loss.curvature() == null) {
            throw new UserError("the loss " + loss.spec() + " has no compiled second derivatives, which the game Jacobian needs");
        }
        this.be = d.backend();
        this.g = g;
        this.d = d;
        this.gl = ((Sequential) g.root()).layers();
        this.dl = ((Sequential) d.root()).layers();
        this.compiled = loss.compiled();
        this.curvature = loss.curvature();
        grads.addAll(d.grads());
        grads.addAll(g.grads());
        for (int i = 0; i < grads.size(); i++) gradIndex.put(grads.get(i), i);
        this.criticParameters = d.grads().size();
        this.dReal = new Recorded(dl.size());
        this.dFake = new Recorded(dl.size());
        this.dGen = new Recorded(dl.size());
        this.gTrain = new Recorded(gl.size());
    }

    /** D's parameter gradients then G's: where {@link #field} and {@link #transposeTimes} leave their results. */
    public List<Tensor> grads() { return grads; }

    public Backend backend() { return be; }

    /** How many of {@link #grads()} are the critic's (they come first). */
    public int criticParameters() { return criticParameters; }

    /**
     * v on the batch: forwards G(z) (slot TRAIN), D(x_real) (REAL), D(x_fake) (FAKE), and writes v into the
     * networks' parameter gradients ({@link #grads()}, zeroed first). Keeps what {@link #transposeTimes} needs.
     * criticLoss writes its 5 statistics at {@code stats[criticSlot]}, generatorLoss its 2 at {@code stats[generatorSlot]}.
     */
    public void field(Tensor xReal, Tensor z, Tensor stats, int criticSlot, int generatorSlot) {
        Tensor xFake = g.forward(z, Pass.TRAIN);
        tReal = d.forward(xReal, Pass.REAL);
        tFake = d.forward(xFake, Pass.FAKE);
        int b = tReal.sizeInt();
        if (dtReal == null || dtReal.sizeInt() != b) {
            close(dtReal, dtFake, dtGen, gradTReal, gradTFake, topReal, topFake);
            dtReal = be.zeros(b); dtFake = be.zeros(b); dtGen = be.zeros(b);
            gradTReal = be.zeros(b); gradTFake = be.zeros(b); topReal = be.zeros(b); topFake = be.zeros(b);
        }
        be.criticLoss(compiled, dtReal, dtFake, tReal, tFake, stats, criticSlot);
        be.generatorLoss(compiled, dtGen, tFake, stats, generatorSlot);
        d.zeroGrad();
        g.zeroGrad();
        Tensor dxFake = dGen.record(dl, dtGen, Pass.FAKE, true, false);
        gTrain.record(gl, dxFake, Pass.TRAIN, false, true);
        dReal.record(dl, dtReal, Pass.REAL, false, true);
        dFake.record(dl, dtFake, Pass.FAKE, false, true);
        zerosX = zerosLike(zerosX, xReal);
        zerosZ = zerosLike(zerosZ, z);
        ready = true;
    }

    /**
     * Jᵀu for u given as one tensor per {@link #grads()} entry (not those tensors themselves), at the batch of the last
     * {@link #field}; written into {@link #grads()} (zeroed first). May be called many times per field.
     */
    public void transposeTimes(List<Tensor> u) {
        if (!ready) throw new IllegalStateException("GameJacobian.transposeTimes before field");
        if (u.size() != grads.size()) throw new IllegalArgumentException("u has " + u.size() + " tensors, the game " + grads.size());
        for (int i = 0; i < u.size(); i++) {
            if (u.get(i) == grads.get(i)) throw new IllegalArgumentException("u must not be the gradient buffers themselves");
        }
        d.zeroGrad();
        g.zeroGrad();
        accReal = accumulators(accReal, dl, dReal);
        accFake = accumulators(accFake, dl, dFake);
        accG = accumulators(accG, gl, gTrain);
        // 1. the walks; dP/d(dt) at the top of D, dP/d(dx_fake) at the top of G
        be.copy(walk(dl, dReal, Pass.REAL, zerosX, u, accReal), topReal);
        be.copy(walk(dl, dFake, Pass.FAKE, zerosX, u, accFake), topFake);
        Tensor gradDxFake = walk(gl, gTrain, Pass.TRAIN, zerosZ, u, accG);
        Tensor topGen = walk(dl, dGen, Pass.FAKE, gradDxFake, null, accFake);
        // 2. through the loss: dtReal = -φ'/B, dtFake = -ψ'/B, dtGen = β'/B
        float b = tReal.sizeInt();
        be.lossCurvature(curvature.d2phi(), gradTReal, topReal, tReal, -1f / b, false);
        be.lossCurvature(curvature.d2psi(), gradTFake, topFake, tFake, -1f / b, false);
        be.lossCurvature(curvature.d2beta(), gradTFake, topGen, tFake, 1f / b, true);
        // 3. down the forward values
        down(dl, Pass.REAL, gradTReal, accReal, false);
        Tensor gradXFake = down(dl, Pass.FAKE, gradTFake, accFake, true);
        down(gl, Pass.TRAIN, gradXFake, accG, false);
    }

    /** Step 1 for one recorded backward: returns dP/d(that backward's dOut); adds gradX into acc. */
    private Tensor walk(List<Layer> layers, Recorded r, Pass pass, Tensor gradDx0, List<Tensor> u, Tensor[] acc) {
        Tensor gradDx = gradDx0;
        for (int i = 0; i < layers.size(); i++) {
            Layer l = layers.get(i);
            List<Tensor> gdp = null;
            if (r.paramGrads && u != null && !l.parameters().isEmpty()) {
                gdp = new ArrayList<>();
                for (var p : l.parameters()) gdp.add(u.get(gradIndex.get(p.grad())));
            }
            DoubleBackward.Grads gr = l.doubleBackward(gradDx, r.dys[i], pass, gdp);
            if (gr.gradX() != null) be.axpy(1f, gr.gradX(), acc[i]);
            gradDx = gr.gradDy();
        }
        return gradDx;
    }

    /** Step 3: backward from dP/d(output) with parameter gradients, adding acc at each layer input; returns dP/d(input) or null. */
    private Tensor down(List<Layer> layers, Pass pass, Tensor top, Tensor[] acc, boolean inputGrad) {
        Tensor carry = top;
        for (int i = layers.size() - 1; i >= 0; i--) {
            boolean wantDx = i > 0 || inputGrad;
            carry = layers.get(i).backward(carry, pass, wantDx, true);
            if (wantDx) be.axpy(1f, acc[i], carry);
        }
        return carry;
    }

    private Tensor[] accumulators(Tensor[] acc, List<Layer> layers, Recorded r) {
        if (acc == null) acc = new Tensor[layers.size()];
        for (int i = 0; i < layers.size(); i++) {
            // layer i's input has the shape of layer i-1's dy (dx_i = dy_(i-1)); the bottom one, of the network's input
            Tensor like = i > 0 ? r.dys[i - 1] : (layers == gl ? zerosZ : zerosX);
            acc[i] = zerosLike(acc[i], like);
            be.fill(acc[i], 0f);
        }
        return acc;
    }

    private Tensor zerosLike(Tensor t, Tensor like) {
        if (t != null && t.sameShape(like.shape())) return t;
        if (t != null) t.close();
        return be.zeros(like.shape());
    }

    /** One backward's upstream gradients, copied (the layers reuse their buffers). */
    private final class Recorded {
        final Tensor[] dys;
        boolean paramGrads;

        Recorded(int n) { dys = new Tensor[n]; }

        Tensor record(List<Layer> layers, Tensor dOut, Pass pass, boolean inputGrad, boolean paramGrads) {
            this.paramGrads = paramGrads;
            Tensor dy = dOut;
            for (int i = layers.size() - 1; i >= 0; i--) {
                dys[i] = zerosLike(dys[i], dy);
                be.copy(dy, dys[i]);
                dy = layers.get(i).backward(dy, pass, i > 0 || inputGrad, paramGrads);
            }
            return dy;
        }

        void close() { for (Tensor t : dys) if (t != null) t.close(); }
    }

    private static void close(Tensor... ts) { for (Tensor t : ts) if (t != null) t.close(); }

    @Override
    public void close() {
        close(dtReal, dtFake, dtGen, gradTReal, gradTFake, topReal, topFake, zerosX, zerosZ);
        for (Recorded r : List.of(dReal, dFake, dGen, gTrain)) r.close();
        for (Tensor[] a : new Tensor[][] {accReal, accFake, accG}) if (a != null) close(a);
    }
}
