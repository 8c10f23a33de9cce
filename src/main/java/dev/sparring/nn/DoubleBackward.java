package dev.sparring.nn;

import dev.sparring.backend.Backend;
import dev.sparring.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * Second-order backward through a {@link Sequential} of layers that have a {@link Layer#doubleBackward} (so far
 * {@link Linear}, {@link Act}, {@link Reshape}, {@link Conv2d}, {@link ConvTranspose2d} and {@link BatchNorm2d} in
 * training mode: the MLP critic of {@code gan.Mlp} for the 2-D data and the DCGAN critic), or through a
 * {@link Projection} critic of two such Sequentials (the class-conditional DCGAN's), for gradient penalties on
 * the critic's input gradient: WGAN-GP's (‖∇ₓD(x)‖ - 1)², R1/R2's ‖∇ₓD(x)‖² ({@code train.GradientPenalties}). Such
 * a penalty P needs dP/dθ, the gradient with respect to the parameters of a function of the input gradient.
 *
 * <p>How a penalty uses it, in four steps:
 * <ol>
 *   <li>{@link #inputGradient}: forward x, then backward to the input with parameter gradients off (they are not
 *       wanted and would be summed into the step's), from dOut = dD/d(output) (ones for D summed over the batch).
 *       Each layer i is given an upstream dy_i; this class keeps them. The result is g = ∇ₓD(x) (N, F_in).</li>
 *   <li>The penalty's gradient with respect to g, gradG = dP/dg, on the host or by a loss op (for R1 with P =
 *       (γ/2) Σ‖g_n‖², gradG = γ g).</li>
 *   <li>{@link #backward} first walks the layers in forward order (the reverse of the backward that made g): layer
 *       i's double backward takes dP/d(dx_i) and returns dP/d(dy_i), which is dP/d(dx_(i+1)) for the next layer,
 *       adds into the parameter gradients what backward's use of the parameters contributes (Linear: dW += dyᵀ
 *       dP/d(dx); Conv2d: dW += conv2dBackwardFilter(dP/d(dx), dy)), and returns dP/dx_i through backward's use of
 *       the cached forward input x_i (Act: dP/d(dx) · dy · f''(x); zero for ReLU and LeakyReLU away from the kink,
 *       none for Linear and the convolutions; BatchNorm2d: through x̂ and the batch statistics, which couple the
 *       samples).</li>
 *   <li>It then runs an ordinary backward with parameter gradients on, from the top layer down, adding dP/dx_i at
 *       each layer's input: the forward values x_i that backward read depend on the parameters below them (dOut is
 *       taken as a constant, true of a critic's raw output).</li>
 * </ol>
 * The parameter gradients add (+=) to whatever they hold, so a step can sum the critic loss's gradients and the
 * penalty's in one set of buffers. {@code backward} reuses the layers' input-gradient buffers: g from step 1 stays
 * valid (the first layer is not asked for an input gradient), the layers' other backward outputs do not.
 */
public final class DoubleBackward {

    /**
     * What {@link Layer#doubleBackward} returns: gradDy = dP/d(dy), and gradX = dP/dx through backward's use of its
     * cached forward input x (null where backward does not read x).
     */
    public record Grads(Tensor gradDy, Tensor gradX) { }

    /** The layers with a double backward, for messages. */
    static final String HAVE = "Linear, Act, Reshape, Conv2d, ConvTranspose2d and BatchNorm2d";

    private final Layer critic;
    private final List<Layer> body;          // the Sequential's layers, or the projection critic's φ
    private final List<Layer> head;          // the projection critic's ψ; empty for a Sequential
    private final Projection projection;     // null for a Sequential
    private final Pass pass;
    private final Backend be;
    private final List<Tensor> dys = new ArrayList<>();       // dy_i given to body layer i by inputGradient's backward
    private final List<Tensor> headDys = new ArrayList<>();   // the same for the head's layers
    private Tensor dOut;

    /**
     * Through a {@link Sequential} of layers with a double backward, or a {@link Projection} critic whose features φ and
     * head ψ are such Sequentials (the conditional DCGAN critic). For the projection D(x, y) = ψ(φ(x)) + ⟨E[y], φ(x)⟩,
     * backward's dh = ψ.backward(dt) + dt E[y] (h = φ(x)), so the input gradient g = φ.backward(dh) depends on E through
     * the second term: dP/dE = Yᵀ (dt dP/d(dh)), and on ψ's parameters and cached inputs (h among them) through the
     * first, which is ψ's own double backward given dP/d(dh).
     */
    public DoubleBackward(Layer critic, Pass pass) {
        if (critic instanceof Projection p) {
            this.body = layersOf(p.features(), "the projection critic's features");
            this.head = layersOf(p.head(), "the projection critic's head");
            this.projection = p;
        } else {
            this.body = layersOf(critic, "the critic");
            this.head = List.of();
            this.projection = null;
        }
        for (List<Layer> ls : List.of(body, head)) {
            for (Layer l : ls) {
                if (!(l instanceof Linear) && !(l instanceof Act) && !(l instanceof Reshape) && !(l instanceof Conv2d)
                        && !(l instanceof ConvTranspose2d) && !(l instanceof BatchNorm2d)) {
                    throw new IllegalArgumentException("DoubleBackward: " + l.getClass().getSimpleName()
                            + " has no double backward (" + HAVE + " have)");
                }
            }
        }
        this.critic = critic;
        this.pass = pass;
        this.be = critic.backend();
    }

    private static List<Layer> layersOf(Layer l, String what) {
        if (l instanceof Sequential s) return s.layers();
        throw new IllegalArgumentException("DoubleBackward: " + what + " is a " + l.getClass().getSimpleName()
                + "; it takes a Sequential, or a Projection of two Sequentials");
    }

    /**
     * Step 1: forward x, backward from dOut with parameter gradients off; returns ∇ₓ(dOut · D(x)), owned by the
     * first layer, valid until its next backward for this slot (not touched by {@link #backward}). A projection
     * critic's labels for this slot must be set ({@link Projection#labels}).
     */
    public Tensor inputGradient(Tensor x, Tensor dOut) {
        critic.forward(x, pass);
        return inputGradient(dOut);
    }

    /**
     * Step 1 for the network's last forward in this pass's slot (the input it cached, e.g. the batch a critic loss was
     * just computed on), without a new forward: batch norm's running statistics and counter move only once. As
     * {@link #inputGradient(Tensor, Tensor)} otherwise.
     */
    public Tensor inputGradient(Tensor dOut) {
        this.dOut = dOut;
        Tensor dy = dOut;
        headDys.clear();
        for (int i = 0; i < head.size(); i++) headDys.add(null);
        for (int i = head.size() - 1; i >= 0; i--) {
            headDys.set(i, dy);
            dy = head.get(i).backward(dy, pass, true, false);
        }
        if (projection != null) projection.addProjectionGradient(dy, dOut, pass);   // dh = ψ.backward(dt) + dt E[y]
        dys.clear();
        for (int i = 0; i < body.size(); i++) dys.add(null);
        for (int i = body.size() - 1; i >= 0; i--) {
            dys.set(i, dy);
            dy = body.get(i).backward(dy, pass, true, false);
        }
        return dy;
    }

    /** Steps 3 and 4: adds dP/dθ into every parameter's gradient, given gradG = dP/dg for g from {@link #inputGradient}. */
    public void backward(Tensor gradG) {
        if (dOut == null) throw new IllegalStateException("DoubleBackward.backward before inputGradient");
        Tensor[] gradXs = new Tensor[body.size()], headGradXs = new Tensor[head.size()];
        Tensor gradDx = gradG;
        for (int i = 0; i < body.size(); i++) {
            Grads g = body.get(i).doubleBackward(gradDx, dys.get(i), pass);
            gradXs[i] = g.gradX();
            gradDx = g.gradDy();
        }
        if (projection != null) {
            // gradDx is dP/d(dh): into E through dt E[y], and into ψ's first dx, which dh is the sum of with it
            projection.projectionDoubleBackward(gradDx, dOut, pass);
            for (int i = 0; i < head.size(); i++) {
                Grads g = head.get(i).doubleBackward(gradDx, headDys.get(i), pass);
                headGradXs[i] = g.gradX();
                gradDx = g.gradDy();
            }
        }
        Tensor carry = null;    // dP/d(output of layer i) through the forward values; zero above the top layer
        for (int i = head.size() - 1; i >= 0; i--) {
            Tensor below = carry == null ? null : head.get(i).backward(carry, pass, true, true);
            carry = plus(below, headGradXs[i]);   // the head's first input is h, a forward value of the layers below
        }
        for (int i = body.size() - 1; i >= 0; i--) {
            Tensor below = carry == null ? null : body.get(i).backward(carry, pass, i > 0, true);
            carry = i > 0 ? plus(below, gradXs[i]) : below;
        }
        dys.clear();
        headDys.clear();
        dOut = null;
    }

    /** a + b, into a's buffer when both are given; either may be null (zero). */
    private Tensor plus(Tensor a, Tensor b) {
        if (b == null) return a;
        if (a == null) return b;
        be.axpy(1f, b, a);
        return a;
    }
}
