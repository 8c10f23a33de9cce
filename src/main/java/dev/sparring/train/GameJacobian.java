package dev.sparring.train;

import dev.sparring.UserError;
import dev.sparring.backend.Backend;
import dev.sparring.backend.CompiledLoss;
import dev.sparring.backend.LossCurvature;
import dev.sparring.nn.Act;
import dev.sparring.nn.BatchNorm2d;
import dev.sparring.nn.Conv2d;
import dev.sparring.nn.ConvTranspose2d;
import dev.sparring.nn.DoubleBackward;
import dev.sparring.nn.Layer;
import dev.sparring.nn.Linear;
import dev.sparring.nn.Network;
import dev.sparring.nn.Projection;
import dev.sparring.nn.Pass;
import dev.sparring.nn.Reshape;
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
 * The networks are Sequentials of Linear, Conv2d, ConvTranspose2d, BatchNorm2d (training mode), Act and Reshape
 * layers (the MLP models and the DCGAN), and the critic may be a {@link Projection} of two such Sequentials (the
 * class-conditional DCGAN's): its walk goes through the features φ, then the projection's terms of backward (dh = ψ
 * .backward(dt) + dt e and dE = Yᵀ (dt h), {@link Projection#gameDoubleBackward}), then the head ψ. A conditional
 * generator's input [z, onehot(y)] is a constant of the batch, as z is.
 */
public final class GameJacobian implements AutoCloseable {
    private final Backend be;
    private final Network g, d;
    private final Chain gc, dc;                                      // G's layers; D's (body, projection, head)
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
    private Acc accReal, accFake, accG;                              // dP/d(layer input) through backward's use of it
    private Tensor zerosX, zerosZ;                                   // gradDx of the bottom layers: P does not use those dx
    private boolean ready;

    /**
     * A network's layers in forward order: a Sequential's, or a projection critic's features φ (body), the projection,
     * and its head ψ.
     */
    private record Chain(List<Layer> body, Projection projection, List<Layer> head) {
        static Chain of(Network n, String flag) {
            if (n.root() instanceof Projection p) return new Chain(layers(p.features(), flag), p, layers(p.head(), flag));
            return new Chain(layers(n.root(), flag), null, List.of());
        }

        private static List<Layer> layers(Layer l, String flag) {
            if (!(l instanceof Sequential s)) {
                throw new UserError(flag + " needs sequential networks (or a projection critic of two), not a " + l.getClass().getSimpleName());
            }
            for (Layer x : s.layers()) {
                if (!(x instanceof Linear) && !(x instanceof Conv2d) && !(x instanceof ConvTranspose2d) && !(x instanceof BatchNorm2d)
                        && !(x instanceof Act) && !(x instanceof Reshape)) {
                    throw new UserError(flag + ": the second-order pass through the parameter gradients exists for Linear, Conv2d, "
                            + "ConvTranspose2d, BatchNorm2d, activation and reshape layers, not for " + x.getClass().getSimpleName());
                }
            }
            return s.layers();
        }
    }

    /** Refuses, as a one-line message, networks without the second-order pass through parameter gradients. */
    public static void requireSupported(Network g, Network d, String flag) {
        Chain gc = Chain.of(g, flag);
        if (gc.projection() != null) throw new UserError(flag + ": the generator must be a Sequential");
        Chain.of(d, flag);
    }

    public GameJacobian(Network g, Network d, TrainLoss loss) {
        requireSupported(g, d, "the game Jacobian");
        if (loss.curvature() == null) {
            throw new UserError("the loss " + loss.spec() + " has no compiled second derivatives, which the game Jacobian needs");
        }
        this.be = d.backend();
        this.g = g;
        this.d = d;
        this.gc = Chain.of(g, "the game Jacobian");
        this.dc = Chain.of(d, "the game Jacobian");
        this.compiled = loss.compiled();
        this.curvature = loss.curvature();
        grads.addAll(d.grads());
        grads.addAll(g.grads());
        for (int i = 0; i < grads.size(); i++) gradIndex.put(grads.get(i), i);
        this.criticParameters = d.grads().size();
        this.dReal = new Recorded(dc);
        this.dFake = new Recorded(dc);
        this.dGen = new Recorded(dc);
        this.gTrain = new Recorded(gc);
    }

    /** D's parameter gradients then G's: where {@link #field} and {@link #transposeTimes} leave their results. */
    public List<Tensor> grads() { return grads; }

    public Backend backend() { return be; }

    /** How many of {@link #grads()} are the critic's (they come first). */
    public int criticParameters() { return criticParameters; }

    /** Whether the critic is a projection critic, which needs the labels of both batches ({@link #field(Tensor, Tensor, Tensor, Tensor, Tensor, int, int)}). */
    public boolean conditional() { return dc.projection() != null; }

    /** {@link #field(Tensor, Tensor, Tensor, Tensor, Tensor, int, int)} of an unconditional game: G's input is z. */
    public void field(Tensor xReal, Tensor z, Tensor stats, int criticSlot, int generatorSlot) {
        field(xReal, null, z, null, stats, criticSlot, generatorSlot);
    }

    /**
     * v on the batch: forwards G(gIn) (slot TRAIN), D(x_real) (REAL), D(x_fake) (FAKE), and writes v into the
     * networks' parameter gradients ({@link #grads()}, zeroed first). Keeps what {@link #transposeTimes} needs.
     * gIn is G's input: z, or [z, onehot(yFake)] for a conditional generator; a projection critic takes the one-hot
     * labels yReal (B, K) of the real batch and yFake (B, K) of the fake one (null for an unconditional critic).
     * criticLoss writes its 5 statistics at {@code stats[criticSlot]}, generatorLoss its 2 at {@code stats[generatorSlot]}.
     */
    public void field(Tensor xReal, Tensor yReal, Tensor gIn, Tensor yFake, Tensor stats, int criticSlot, int generatorSlot) {
        if (conditional() != (yReal != null) || conditional() != (yFake != null)) {
            throw new IllegalArgumentException("GameJacobian.field: labels must be given exactly when the critic is a projection critic");
        }
        Tensor xFake = g.forward(gIn, Pass.TRAIN);
        if (conditional()) {
            dc.projection().labels(Pass.REAL, yReal);
            dc.projection().labels(Pass.FAKE, yFake);
        }
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
        Tensor dxFake = dGen.record(dtGen, Pass.FAKE, true, false);
        gTrain.record(dxFake, Pass.TRAIN, false, true);
        dReal.record(dtReal, Pass.REAL, false, true);
        dFake.record(dtFake, Pass.FAKE, false, true);
        zerosX = zerosLike(zerosX, xReal);
        zerosZ = zerosLike(zerosZ, gIn);
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
        accReal = accumulators(accReal, dReal, zerosX);
        accFake = accumulators(accFake, dFake, zerosX);
        accG = accumulators(accG, gTrain, zerosZ);
        // 1. the walks; dP/d(dt) at the top of D, dP/d(dx_fake) at the top of G
        be.copy(walk(dReal, Pass.REAL, zerosX, u, accReal), topReal);
        be.copy(walk(dFake, Pass.FAKE, zerosX, u, accFake), topFake);
        Tensor gradDxFake = walk(gTrain, Pass.TRAIN, zerosZ, u, accG);
        Tensor topGen = walk(dGen, Pass.FAKE, gradDxFake, null, accFake);
        // 2. through the loss: dtReal = -φ'/B, dtFake = -ψ'/B, dtGen = β'/B
        float b = tReal.sizeInt();
        be.lossCurvature(curvature.d2phi(), gradTReal, topReal, tReal, -1f / b, false);
        be.lossCurvature(curvature.d2psi(), gradTFake, topFake, tFake, -1f / b, false);
        be.lossCurvature(curvature.d2beta(), gradTFake, topGen, tFake, 1f / b, true);
        // 3. down the forward values
        down(dc, Pass.REAL, gradTReal, accReal, false);
        Tensor gradXFake = down(dc, Pass.FAKE, gradTFake, accFake, true);
        down(gc, Pass.TRAIN, gradXFake, accG, false);
    }

    /** The u tensors of a layer's parameter gradients, or null when the backward made none or u is not given. */
    private List<Tensor> gradDParams(Layer l, Recorded r, List<Tensor> u) {
        if (!r.paramGrads || u == null || l.parameters().isEmpty()) return null;
        List<Tensor> gdp = new ArrayList<>();
        for (var p : l.parameters()) gdp.add(u.get(gradIndex.get(p.grad())));
        return gdp;
    }

    /** Step 1 for one recorded backward: returns dP/d(that backward's dOut); adds gradX into acc. */
    private Tensor walk(Recorded r, Pass pass, Tensor gradDx0, List<Tensor> u, Acc acc) {
        Chain c = r.chain;
        Tensor gradDx = walk(c.body(), r.dys, pass, gradDx0, r, u, acc.body);
        if (c.projection() == null) return gradDx;
        Projection p = c.projection();
        Tensor gradDE = r.paramGrads && u != null ? u.get(gradIndex.get(p.embedding.grad())) : null;
        DoubleBackward.Grads j = p.gameDoubleBackward(gradDx, r.top, gradDE, pass);
        if (j.gradX() != null) be.axpy(1f, j.gradX(), be.view(acc.head[0], j.gradX().shape()));   // dP/dh through dE
        Tensor top = walk(c.head(), r.headDys, pass, gradDx, r, u, acc.head);
        be.axpy(1f, j.gradDy(), top);                                 // dP/d(dt): ψ's walk and the projection's terms
        return top;
    }

    private Tensor walk(List<Layer> layers, Tensor[] dys, Pass pass, Tensor gradDx0, Recorded r, List<Tensor> u, Tensor[] acc) {
        Tensor gradDx = gradDx0;
        for (int i = 0; i < layers.size(); i++) {
            Layer l = layers.get(i);
            DoubleBackward.Grads gr = l.doubleBackward(gradDx, dys[i], pass, gradDParams(l, r, u));
            if (gr.gradX() != null) be.axpy(1f, gr.gradX(), acc[i]);
            gradDx = gr.gradDy();
        }
        return gradDx;
    }

    /** Step 3: backward from dP/d(output) with parameter gradients, adding acc at each layer input; returns dP/d(input) or null. */
    private Tensor down(Chain c, Pass pass, Tensor top, Acc acc, boolean inputGrad) {
        Tensor carry = top;
        for (int i = c.head().size() - 1; i >= 0; i--) {
            carry = c.head().get(i).backward(carry, pass, true, true);
            be.axpy(1f, acc.head[i], carry);
        }
        if (c.projection() != null) {
            c.projection().addEmbeddingGradient(top, pass);           // dE += Yᵀ (top h)
            c.projection().addProjectionGradient(carry, top, pass);   // dh += top e
        }
        List<Layer> layers = c.body();
        for (int i = layers.size() - 1; i >= 0; i--) {
            boolean wantDx = i > 0 || inputGrad;
            carry = layers.get(i).backward(carry, pass, wantDx, true);
            if (wantDx) be.axpy(1f, acc.body[i], carry);
        }
        return carry;
    }

    /** Per layer input of a chain, dP/d(that input) through backward's use of it. */
    private static final class Acc {
        Tensor[] body, head;
    }

    private Acc accumulators(Acc acc, Recorded r, Tensor input) {
        if (acc == null) acc = new Acc();
        acc.body = fillZeros(acc.body, r.dys, input);
        // the head's first input is h, the body's output, whose gradient is the body's top dy
        acc.head = fillZeros(acc.head, r.headDys, r.dys.length == 0 ? null : r.dys[r.dys.length - 1]);
        return acc;
    }

    private Tensor[] fillZeros(Tensor[] acc, Tensor[] dys, Tensor input) {
        if (acc == null) acc = new Tensor[dys.length];
        for (int i = 0; i < dys.length; i++) {
            // layer i's input has the shape of layer i-1's dy (dx_i = dy_(i-1)); the bottom one, of the chain's input
            acc[i] = zerosLike(acc[i], i > 0 ? dys[i - 1] : input);
            be.fill(acc[i], 0f);
        }
        return acc;
    }

    private Tensor zerosLike(Tensor t, Tensor like) {
        if (t != null && t.sameShape(like.shape())) return t;
        if (t != null) t.close();
        return be.zeros(like.shape());
    }

    /** One backward's upstream gradients, copied (the layers reuse their buffers), and its dOut. */
    private final class Recorded {
        final Chain chain;
        final Tensor[] dys, headDys;
        Tensor top;                   // dOut (the GameJacobian's own dt tensors)
        boolean paramGrads;

        Recorded(Chain c) {
            chain = c;
            dys = new Tensor[c.body().size()];
            headDys = new Tensor[c.head().size()];
        }

        private Tensor copy(Tensor[] into, int i, Tensor dy) {
            into[i] = zerosLike(into[i], dy);
            be.copy(dy, into[i]);
            return into[i];
        }

        Tensor record(Tensor dOut, Pass pass, boolean inputGrad, boolean paramGrads) {
            this.paramGrads = paramGrads;
            this.top = dOut;
            Tensor dy = dOut;
            List<Layer> head = chain.head(), body = chain.body();
            for (int i = head.size() - 1; i >= 0; i--) {
                copy(headDys, i, dy);
                dy = head.get(i).backward(dy, pass, true, paramGrads);
            }
            if (chain.projection() != null) {
                if (paramGrads) chain.projection().addEmbeddingGradient(dOut, pass);
                chain.projection().addProjectionGradient(dy, dOut, pass);
            }
            for (int i = body.size() - 1; i >= 0; i--) {
                copy(dys, i, dy);
                dy = body.get(i).backward(dy, pass, i > 0 || inputGrad, paramGrads);
            }
            return dy;
        }

        void close() {
            for (Tensor t : dys) if (t != null) t.close();
            for (Tensor t : headDys) if (t != null) t.close();
        }
    }

    private static void close(Tensor... ts) { for (Tensor t : ts) if (t != null) t.close(); }

    @Override
    public void close() {
        close(dtReal, dtFake, dtGen, gradTReal, gradTFake, topReal, topFake, zerosX, zerosZ);
        for (Recorded r : List.of(dReal, dFake, dGen, gTrain)) r.close();
        for (Acc a : new Acc[] {accReal, accFake, accG}) {
            if (a == null) continue;
            close(a.body);
            close(a.head);
        }
    }
}
