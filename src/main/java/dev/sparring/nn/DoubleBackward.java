package dev.sparring.nn;

import dev.sparring.backend.Backend;
import dev.sparring.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * Second-order backward through a {@link Sequential} of layers that have a {@link Layer#doubleBackward} (so far
 * {@link Linear}, {@link Act}, {@link Reshape}, {@link Conv2d}, {@link ConvTranspose2d} and {@link BatchNorm2d} in
 * training mode: the MLP critic of {@code gan.Mlp} for the 2-D data and the DCGAN critic), for gradient penalties on
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

    private final Sequential net;
    private final Pass pass;
    private final Backend be;
    private final List<Tensor> dys = new ArrayList<>();   // dy_i given to layer i by inputGradient's backward

    public DoubleBackward(Sequential net, Pass pass) {
        for (Layer l : net.layers()) {
            if (!(l instanceof Linear) && !(l instanceof Act) && !(l instanceof Reshape) && !(l instanceof Conv2d)
                    && !(l instanceof ConvTranspose2d) && !(l instanceof BatchNorm2d)) {
                throw new IllegalArgumentException("DoubleBackward: " + l.getClass().getSimpleName()
                        + " has no double backward (" + HAVE + " have)");
            }
        }
        this.net = net;
        this.pass = pass;
        this.be = net.backend();
    }

    /**
     * Step 1: forward x, backward from dOut with parameter gradients off; returns ∇ₓ(dOut · D(x)), owned by the
     * first layer, valid until its next backward for this slot (not touched by {@link #backward}).
     */
    public Tensor inputGradient(Tensor x, Tensor dOut) {
        net.forward(x, pass);
        return inputGradient(dOut);
    }

    /**
     * Step 1 for the network's last forward in this pass's slot (the input it cached, e.g. the batch a critic loss was
     * just computed on), without a new forward: batch norm's running statistics and counter move only once. As
     * {@link #inputGradient(Tensor, Tensor)} otherwise.
     */
    public Tensor inputGradient(Tensor dOut) {
        List<Layer> layers = net.layers();
        dys.clear();
        for (int i = 0; i < layers.size(); i++) dys.add(null);
        Tensor dy = dOut;
        for (int i = layers.size() - 1; i >= 0; i--) {
            dys.set(i, dy);
            dy = layers.get(i).backward(dy, pass, true, false);
        }
        return dy;
    }

    /** Steps 3 and 4: adds dP/dθ into every parameter's gradient, given gradG = dP/dg for g from {@link #inputGradient}. */
    public void backward(Tensor gradG) {
        List<Layer> layers = net.layers();
        if (dys.size() != layers.size()) throw new IllegalStateException("DoubleBackward.backward before inputGradient");
        Tensor[] gradXs = new Tensor[layers.size()];
        Tensor gradDx = gradG;
        for (int i = 0; i < layers.size(); i++) {
            Grads g = layers.get(i).doubleBackward(gradDx, dys.get(i), pass);
            gradXs[i] = g.gradX();
            gradDx = g.gradDy();
        }
        Tensor carry = null;    // dP/d(output of layer i) through the forward values; zero above the top layer
        for (int i = layers.size() - 1; i >= 0; i--) {
            Tensor below = carry == null ? null : layers.get(i).backward(carry, pass, i > 0, true);
            if (gradXs[i] != null && i > 0) {
                if (below == null) below = gradXs[i];
                else be.axpy(1f, gradXs[i], below);
            }
            carry = below;
        }
        dys.clear();
    }
}
