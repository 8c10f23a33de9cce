package dev.sparring.nn;

import dev.sparring.backend.Backend;
import dev.sparring.backend.ConvSpec;
import dev.sparring.tensor.Tensor;

import java.util.List;

/**
 * 2-D convolution, as PyTorch's nn.Conv2d: weight (K, C, R, S), optional bias (K). Kernels, strides and padding may
 * differ between the axes (Inception's 1x7 and 7x1 convolutions with padding (0, 3) and (3, 0)).
 */
public final class Conv2d extends Layer {
    public final int in, out, kernelH, kernelW;
    public final ConvSpec spec;
    public final Parameter weight;   // (K, C, R, S)
    public final Parameter bias;     // (K) or null
    private final Tensor[] x = new Tensor[Pass.SLOTS];   // cached input (N, C, H, W) per slot

    /** A square kernel with the same stride and padding on both axes. */
    public Conv2d(Backend be, int in, int out, int kernel, int stride, int pad, boolean bias) {
        this(be, in, out, kernel, kernel, new ConvSpec(stride, pad), bias);
    }

    /** A kernel of kernelH x kernelW, as nn.Conv2d(in, out, (kernelH, kernelW), stride=(sH, sW), padding=(pH, pW)). */
    public Conv2d(Backend be, int in, int out, int kernelH, int kernelW, ConvSpec spec, boolean bias) {
        super(be);
        if (in < 1 || out < 1 || kernelH < 1 || kernelW < 1) {
            throw new IllegalArgumentException("Conv2d(" + in + ", " + out + ", (" + kernelH + ", " + kernelW + ")): sizes must be >= 1");
        }
        this.in = in; this.out = out; this.kernelH = kernelH; this.kernelW = kernelW;
        this.spec = spec;
        this.weight = param("weight", out, in, kernelH, kernelW);
        this.bias = bias ? param("bias", out) : null;
    }

    @Override
    public int[] outputShape(int[] s) {
        return new int[]{s[0], out, spec.outH(s[2], kernelH), spec.outW(s[3], kernelW)};
    }

    @Override
    public Tensor forward(Tensor x, Pass pass) {
        if (x.rank() != 4 || x.dim(1) != in) throw badInput("Conv2d", x, "(N, " + in + ", H, W)");
        Tensor y = output(pass, x.dim(0), out, spec.outH(x.dim(2), kernelH), spec.outW(x.dim(3), kernelW));
        be.conv2dForward(y, x, weight.value(), spec);
        if (bias != null) be.addBias(y, bias.value());
        this.x[pass.slot()] = x;
        return y;
    }

    @Override
    public Tensor backward(Tensor dy, Pass pass, boolean inputGrad, boolean paramGrads) {
        Tensor x = this.x[pass.slot()];
        requireCached(x, pass, "Conv2d");
        if (paramGrads) {
            be.conv2dBackwardFilter(weight.grad(), x, dy, spec, true);
            if (bias != null) be.biasBackward(bias.grad(), dy);
        }
        if (!inputGrad) return null;
        Tensor dx = inputGradLike(pass, x);
        be.conv2dBackwardData(dx, dy, weight.value(), spec, false);
        return dx;
    }

    /**
     * Backward's dx = B(dy, W) (conv2dBackwardData) is bilinear in dy and W and does not read x. With
     * F(x, W) = conv2dForward and G(x, dy) = conv2dBackwardFilter, ⟨gradDx, B(dy, W)⟩ = ⟨F(gradDx, W), dy⟩ =
     * ⟨G(gradDx, dy), W⟩ (each is Σ gradDx[n,c,h,w] W[k,c,r,s] dy[n,k,p,q] over h = p·stride + r - pad, and the
     * same for w), so: gradDy = conv2dForward(gradDx, W), dW += conv2dBackwardFilter(x: gradDx, dy: dy); nothing for
     * x or the bias.
     */
    @Override
    public DoubleBackward.Grads doubleBackward(Tensor gradDx, Tensor dy, Pass pass) {
        requireCached(this.x[pass.slot()], pass, "Conv2d");
        Tensor gradDy = gradDyLike(pass, dy);
        be.conv2dBackwardFilter(weight.grad(), gradDx, dy, spec, true);   // dW += G(gradDx, dy)
        be.conv2dForward(gradDy, gradDx, weight.value(), spec);           // gradDy = F(gradDx, W)
        return new DoubleBackward.Grads(gradDy, null);
    }

    /**
     * With P also a function of backward's dW = G(x, dy) and db = Σ dy (G_W = dP/d(dW) (K, C, R, S), G_b = dP/d(db)
     * (K)): by the same identity ⟨G_W, G(x, dy)⟩ = ⟨F(x, G_W), dy⟩ = ⟨x, B(dy, G_W)⟩, dP/d(dy) gains F(x, G_W) (this
     * layer's forward with G_W as its weight) plus G_b on every channel, and backward's use of x gives gradX = B(dy, G_W).
     */
    @Override
    public DoubleBackward.Grads doubleBackward(Tensor gradDx, Tensor dy, Pass pass, List<Tensor> gradDParams) {
        if (gradDParams == null || gradDParams.isEmpty()) return doubleBackward(gradDx, dy, pass);
        Tensor x = this.x[pass.slot()];
        Tensor gradDy = doubleBackward(gradDx, dy, pass).gradDy();
        Tensor gW = gradDParams.get(0);
        Tensor fx = scratch = ensure(scratch, dy.shape());
        be.conv2dForward(fx, x, gW, spec);                                // F(x, G_W)
        be.axpy(1f, fx, gradDy);
        if (bias != null) be.addBias(gradDy, gradDParams.get(1));         // gradDy += G_b
        Tensor gradX = gradX(pass, x.shape());
        be.conv2dBackwardData(gradX, dy, gW, spec, false);                // gradX = B(dy, G_W)
        return new DoubleBackward.Grads(gradDy, gradX);
    }

    private Tensor scratch;   // (N, K, P, Q): F(x, G_W) before it is added

    @Override
    public List<Parameter> parameters() { return bias == null ? List.of(weight) : List.of(weight, bias); }
}
