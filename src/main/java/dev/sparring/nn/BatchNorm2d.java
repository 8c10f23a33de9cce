package dev.sparring.nn;

import dev.sparring.backend.Backend;
import dev.sparring.tensor.Tensor;

import java.util.List;
import java.util.Map;

/**
 * Batch normalisation over (N, H, W) per channel, as PyTorch's nn.BatchNorm2d (also accepts (N, C) input):
 * weight = gamma (C), bias = beta (C), running_mean (C), running_var (C), num_batches_tracked.
 */
public final class BatchNorm2d extends Layer {
    public final int channels;
    public final double eps, momentum;
    public final Parameter weight, bias;            // gamma, beta (C)
    public final Tensor runningMean, runningVar;    // (C)
    private long numBatchesTracked;
    private final Tensor[] x = new Tensor[Pass.SLOTS];         // cached input per slot
    private final Tensor[] saveMean = new Tensor[Pass.SLOTS];  // (C) batch mean per slot
    private final Tensor[] saveInvStd = new Tensor[Pass.SLOTS];// (C) 1/sqrt(var + eps) per slot

    public BatchNorm2d(Backend be, int channels) { this(be, channels, 1e-5, 0.1); }

    public BatchNorm2d(Backend be, int channels, double eps, double momentum) {
        super(be);
        this.channels = channels; this.eps = eps; this.momentum = momentum;
        this.weight = param("weight", channels);
        this.bias = param("bias", channels);
        be.fill(weight.value(), 1f);
        this.runningMean = be.zeros(channels);
        this.runningVar = be.zeros(channels);
        be.fill(runningVar, 1f);
        for (int s = 0; s < Pass.SLOTS; s++) {
            saveMean[s] = be.zeros(channels);
            saveInvStd[s] = be.zeros(channels);
        }
    }

    @Override
    public int[] outputShape(int[] s) { return s.clone(); }

    @Override
    public Tensor forward(Tensor x, Pass pass) {
        if ((x.rank() != 4 && x.rank() != 2) || x.dim(1) != channels) throw badInput("BatchNorm2d", x, "(N, " + channels + ", H, W)");
        Tensor y = outputLike(pass, x);
        if (pass.training()) {
            int s = pass.slot();
            be.batchNormTrain(y, saveMean[s], saveInvStd[s], x, weight.value(), bias.value(), runningMean, runningVar, momentum, eps);
            numBatchesTracked++;
        } else {
            be.batchNormEval(y, x, weight.value(), bias.value(), runningMean, runningVar, eps);
        }
        this.x[pass.slot()] = x;
        return y;
    }

    @Override
    public Tensor backward(Tensor dy, Pass pass, boolean inputGrad, boolean paramGrads) {
        int s = pass.slot();
        requireCached(x[s], pass, "BatchNorm2d");
        if (!pass.training()) throw new IllegalStateException("BatchNorm2d.backward after an eval-mode forward is not supported");
        Tensor dx = inputGradLike(pass, x[s]);
        // One fused call computes dx and the parameter gradients; when the caller wants no parameter
        // gradients we still need dx, so gradients go to scratch that is discarded.
        if (paramGrads) {
            be.batchNormBackward(dx, weight.grad(), bias.grad(), dy, x[s], weight.value(), saveMean[s], saveInvStd[s], eps);
        } else {
            be.batchNormBackward(dx, scratch(0), scratch(1), dy, x[s], weight.value(), saveMean[s], saveInvStd[s], eps);
        }
        return inputGrad ? dx : null;
    }

    /**
     * Training mode only: backward's dx depends on dy, γ and x (through x̂ and the batch statistics), and on the batch as
     * a whole, so one op gives all three ({@link Backend#batchNormDoubleBackward}): gradDy (the batch-norm backward of
     * gradDx), gradX, and dγ += the part of P's gradient through backward's use of γ; nothing for β, which backward does
     * not read.
     */
    @Override
    public DoubleBackward.Grads doubleBackward(Tensor gradDx, Tensor dy, Pass pass) {
        int s = pass.slot();
        requireCached(x[s], pass, "BatchNorm2d");
        if (!pass.training()) throw new IllegalStateException("BatchNorm2d.doubleBackward after an eval-mode forward is not supported");
        Tensor gradDy = gradDyLike(pass, x[s]), gradX = gradXLike(pass, x[s]);
        be.batchNormDoubleBackward(gradDy, gradX, weight.grad(), gradDx, dy, x[s], weight.value(), saveMean[s], saveInvStd[s]);
        return new DoubleBackward.Grads(gradDy, gradX);
    }

    /**
     * Training mode, with P also a function of backward's dγ = Σ dy x̂ and dβ = Σ dy (G_γ = dP/d(dγ), G_β = dP/d(dβ),
     * (C)): dP/d(dy) gains G_γ x̂ + G_β, which is this layer's training forward of the same x with weight G_γ and bias
     * G_β (the batch statistics computed again from x, into scratch: the running statistics stay as they are); and
     * backward's use of x in dγ gives gradX += G_γ s (dy - mean(dy) - x̂ mean(dy x̂)) (s = 1/σ, per channel over N, H,
     * W), which is this layer's backward of dy with weight G_γ. No new op: two existing ones with other weights.
     */
    @Override
    public DoubleBackward.Grads doubleBackward(Tensor gradDx, Tensor dy, Pass pass, List<Tensor> gradDParams) {
        if (gradDParams == null || gradDParams.isEmpty()) return doubleBackward(gradDx, dy, pass);
        int s = pass.slot();
        DoubleBackward.Grads first = doubleBackward(gradDx, dy, pass);
        Tensor gG = gradDParams.get(0), gB = gradDParams.get(1);
        Tensor t = affine = ensure(affine, x[s].shape());
        be.batchNormTrain(t, scratch(2), scratch(3), x[s], gG, gB, scratch(4), scratch(5), momentum, eps);   // G_γ x̂ + G_β
        be.axpy(1f, t, first.gradDy());
        be.batchNormBackward(t, scratch(0), scratch(1), dy, x[s], gG, saveMean[s], saveInvStd[s], eps);     // G_γ s (dy - ...)
        be.axpy(1f, t, first.gradX());
        return first;
    }

    private Tensor affine;   // x's shape: one term of the pass above before it is added

    // scratch (C): 0, 1 discarded parameter gradients; 2, 3 the recomputed batch statistics; 4, 5 running statistics
    private final Tensor[] scratch = new Tensor[6];

    private Tensor scratch(int i) {
        if (scratch[i] == null) scratch[i] = be.zeros(channels);
        return scratch[i];
    }

    @Override
    public List<Parameter> parameters() { return List.of(weight, bias); }

    @Override
    public Map<String, Tensor> buffers() { return ordered("running_mean", runningMean, "running_var", runningVar); }

    @Override
    public Map<String, Long> counters() { return Map.of("num_batches_tracked", numBatchesTracked); }

    @Override
    public long counter(String name) {
        if (!name.equals("num_batches_tracked")) return super.counter(name);
        return numBatchesTracked;
    }

    @Override
    public void setCounter(String name, long value) {
        if (!name.equals("num_batches_tracked")) super.setCounter(name, value);
        numBatchesTracked = value;
    }
}
