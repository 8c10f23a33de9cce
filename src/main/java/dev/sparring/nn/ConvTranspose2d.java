package dev.sparring.nn;

import dev.sparring.backend.Backend;
import dev.sparring.backend.ConvSpec;
import dev.sparring.tensor.Tensor;

import java.util.List;

/**
 * Transposed 2-D convolution, as PyTorch's nn.ConvTranspose2d: weight (Cin, Cout, R, R) — the layout of the
 * equivalent convolution's filter (K = Cin, C = Cout) — so forward is that convolution's backward-data and
 * backward-data is its forward (Caffe's "deconvolution").
 */
public final class ConvTranspose2d extends Layer {
    public final int in, out, kernel;
    public final ConvSpec spec;
    public final Parameter weight;   // (Cin, Cout, R, R)
    public final Parameter bias;     // (Cout) or null
    private final Tensor[] x = new Tensor[Pass.SLOTS];   // cached input (N, Cin, H, W)

    public ConvTranspose2d(Backend be, int in, int out, int kernel, int stride, int pad, boolean bias) {
        super(be);
        this.in = in; this.out = out; this.kernel = kernel;
        this.spec = new ConvSpec(stride, pad);
        this.weight = param("weight", in, out, kernel, kernel);
        this.bias = bias ? param("bias", out) : null;
    }

    @Override
    public int[] outputShape(int[] s) {
        return new int[]{s[0], out, spec.transposedOutH(s[2], kernel), spec.transposedOutW(s[3], kernel)};
    }

    @Override
    public Tensor forward(Tensor x, Pass pass) {
        if (x.rank() != 4 || x.dim(1) != in) throw badInput("ConvTranspose2d", x, "(N, " + in + ", H, W)");
        Tensor y = output(pass, x.dim(0), out, spec.transposedOutH(x.dim(2), kernel), spec.transposedOutW(x.dim(3), kernel));
        be.conv2dBackwardData(y, x, weight.value(), spec, false);
        if (bias != null) be.addBias(y, bias.value());
        this.x[pass.slot()] = x;
        return y;
    }

    @Override
    public Tensor backward(Tensor dy, Pass pass, boolean inputGrad, boolean paramGrads) {
        Tensor x = this.x[pass.slot()];
        requireCached(x, pass, "ConvTranspose2d");
        if (paramGrads) {
            be.conv2dBackwardFilter(weight.grad(), dy, x, spec, true);
            if (bias != null) be.biasBackward(bias.grad(), dy);
        }
        if (!inputGrad) return null;
        Tensor dx = inputGradLike(pass, x);
        be.conv2dForward(dx, dy, weight.value(), spec);
        return dx;
    }

    /**
     * Backward's dx = F(dy, W) (conv2dForward, the equivalent convolution's forward with dy as its input) is bilinear
     * in dy and W and does not read x. With B = conv2dBackwardData and G = conv2dBackwardFilter,
     * ⟨gradDx, F(dy, W)⟩ = ⟨B(gradDx, W), dy⟩ = ⟨G(dy, gradDx), W⟩: gradDx (N, Cin, H, W) takes the place of the
     * convolution's output gradient and dy (N, Cout, ..) that of its input. So gradDy = conv2dBackwardData(gradDx,
     * W), dW += conv2dBackwardFilter(x: dy, dy: gradDx); nothing for x or the bias.
     */
    @Override
    public DoubleBackward.Grads doubleBackward(Tensor gradDx, Tensor dy, Pass pass) {
        requireCached(this.x[pass.slot()], pass, "ConvTranspose2d");
        Tensor gradDy = gradDyLike(pass, dy);
        be.conv2dBackwardFilter(weight.grad(), dy, gradDx, spec, true);          // dW += G(dy, gradDx)
        be.conv2dBackwardData(gradDy, gradDx, weight.value(), spec, false);     // gradDy = B(gradDx, W)
        return new DoubleBackward.Grads(gradDy, null);
    }

    /**
     * With P also a function of backward's dW = G(dy, x) and db = Σ dy (G_W = dP/d(dW) (Cin, Cout, R, R), G_b =
     * dP/d(db) (Cout)): ⟨G_W, G(dy, x)⟩ = ⟨F(dy, G_W), x⟩ = ⟨dy, B(x, G_W)⟩, so dP/d(dy) gains B(x, G_W) (this layer's
     * forward with G_W as its weight) plus G_b on every channel, and backward's use of x gives gradX = F(dy, G_W).
     */
    @Override
    public DoubleBackward.Grads doubleBackward(Tensor gradDx, Tensor dy, Pass pass, List<Tensor> gradDParams) {
        if (gradDParams == null || gradDParams.isEmpty()) return doubleBackward(gradDx, dy, pass);
        Tensor x = this.x[pass.slot()];
        Tensor gradDy = doubleBackward(gradDx, dy, pass).gradDy();
        Tensor gW = gradDParams.get(0);
        be.conv2dBackwardData(gradDy, x, gW, spec, true);                 // gradDy += B(x, G_W)
        if (bias != null) be.addBias(gradDy, gradDParams.get(1));         // gradDy += G_b
        Tensor gradX = gradX(pass, x.shape());
        be.conv2dForward(gradX, dy, gW, spec);                            // gradX = F(dy, G_W)
        return new DoubleBackward.Grads(gradDy, gradX);
    }

    @Override
    public List<Parameter> parameters() { return bias == null ? List.of(weight) : List.of(weight, bias); }
}
