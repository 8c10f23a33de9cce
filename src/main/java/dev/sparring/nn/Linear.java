package dev.sparring.nn;

import dev.sparring.backend.Backend;
import dev.sparring.tensor.Tensor;

import java.util.List;

/** Fully connected layer, as PyTorch's nn.Linear: y (N, F_out) = x (N, F_in) W^T + b, W (F_out, F_in). */
public final class Linear extends Layer {
    public final int in, out;
    public final Parameter weight;   // (F_out, F_in)
    public final Parameter bias;     // (F_out) or null
    private final Tensor[] x = new Tensor[Pass.SLOTS];

    public Linear(Backend be, int in, int out, boolean bias) {
        super(be);
        this.in = in; this.out = out;
        this.weight = param("weight", out, in);
        this.bias = bias ? param("bias", out) : null;
    }

    @Override
    public int[] outputShape(int[] s) { return new int[]{s[0], out}; }

    @Override
    public Tensor forward(Tensor x, Pass pass) {
        if (x.rank() != 2 || x.dim(1) != in) throw badInput("Linear", x, "(N, " + in + ")");
        Tensor y = output(pass, x.dim(0), out);
        be.gemm(false, true, 1f, x, weight.value(), 0f, y);
        if (bias != null) be.addBias(y, bias.value());
        this.x[pass.slot()] = x;
        return y;
    }

    @Override
    public Tensor backward(Tensor dy, Pass pass, boolean inputGrad, boolean paramGrads) {
        Tensor x = this.x[pass.slot()];
        requireCached(x, pass, "Linear");
        if (paramGrads) {
            be.gemm(true, false, 1f, dy, x, 1f, weight.grad());     // dW += dy^T x
            if (bias != null) be.biasBackward(bias.grad(), dy);
        }
        if (!inputGrad) return null;
        Tensor dx = inputGradLike(pass, x);
        be.gemm(false, false, 1f, dy, weight.value(), 0f, dx);     // dx = dy W
        return dx;
    }

    /**
     * Backward's dx = dy W is linear in dy and in W and reads neither x nor the bias, so its backward is two GEMMs
     * and no new op: dW (F_out, F_in) += dy^T gradDx and gradDy (N, F_out) = gradDx W^T (this layer's forward
     * without bias); nothing for x or the bias.
     */
    @Override
    public DoubleBackward.Grads doubleBackward(Tensor gradDx, Tensor dy, Pass pass) {
        requireCached(this.x[pass.slot()], pass, "Linear");
        Tensor gradDy = gradDyLike(pass, dy);
        be.gemm(true, false, 1f, dy, gradDx, 1f, weight.grad());        // dW += dy^T gradDx
        be.gemm(false, true, 1f, gradDx, weight.value(), 0f, gradDy);   // gradDy = gradDx W^T
        return new DoubleBackward.Grads(gradDy, null);
    }

    /**
     * With P also a function of backward's dW = dy^T x and db = Σ_n dy (G_W = dP/d(dW) (F_out, F_in), G_b = dP/d(db)
     * (F_out)): dP/d(dy) gains x G_W^T + G_b on every row, and backward's use of x gives gradX (N, F_in) = dy G_W.
     */
    @Override
    public DoubleBackward.Grads doubleBackward(Tensor gradDx, Tensor dy, Pass pass, List<Tensor> gradDParams) {
        if (gradDParams == null || gradDParams.isEmpty()) return doubleBackward(gradDx, dy, pass);
        Tensor x = this.x[pass.slot()];
        Tensor gradDy = doubleBackward(gradDx, dy, pass).gradDy();
        Tensor gW = gradDParams.get(0);
        be.gemm(false, true, 1f, x, gW, 1f, gradDy);                 // gradDy += x G_W^T
        if (bias != null) be.addBias(gradDy, gradDParams.get(1));    // gradDy += G_b
        Tensor gradX = gradXLike(pass, x);
        be.gemm(false, false, 1f, dy, gW, 0f, gradX);                // gradX = dy G_W
        return new DoubleBackward.Grads(gradDy, gradX);
    }

    @Override
    public List<Parameter> parameters() { return bias == null ? List.of(weight) : List.of(weight, bias); }
}
