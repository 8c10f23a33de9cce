package dev.sparring.nn;

import dev.sparring.backend.Backend;
import dev.sparring.tensor.Tensor;

import java.util.List;
import java.util.Map;

/**
 * Batch normalisation over (N, H, W) per channel, as PyTorch's nn.BatchNorm2d (also accepts (N, C) input):
 * weight = gamma (C), bias = beta (C), running_mean (C), running_var (C), num_batches_tracked.
 *
 * <p>{@link #fuse} hands it the activation layer that follows it (ReLU, LeakyReLU with a slope &gt;= 0): this layer then
 * applies the activation as it writes its output ({@link Backend#batchNormActTrain}) and takes the activation's
 * backward into its own ({@link Backend#batchNormActBackward}), and the {@link Act} layer, which stays in the network
 * where it was (its place, its name, the walks of {@link DoubleBackward} and of the second-order passes), passes its
 * input and its gradient through. The results are the unfused pair's, bit for bit.
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
    private final Tensor[] y = new Tensor[Pass.SLOTS];         // output per slot: with a fused activation, f' comes from it
    private Act fused;                                          // the activation applied to the output, or null

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

    /**
     * Makes this layer apply {@code act}, the layer that follows it in its network, as it writes its output; act then
     * passes values and gradients through unchanged (see the class comment). Returns act, to be added after this layer.
     * The activation must be ReLU or LeakyReLU with a slope &gt;= 0 ({@link Backend#fusesWithBatchNorm}).
     */
    public Act fuse(Act act) {
        if (!Backend.fusesWithBatchNorm(act.kind, act.alpha)) {
            throw new IllegalArgumentException("BatchNorm2d.fuse: " + act.kind + " (alpha " + act.alpha + ") does not fuse with batch norm");
        }
        if (fused != null) throw new IllegalStateException("BatchNorm2d.fuse: an activation is already fused into this layer");
        act.fuseInto(this);
        fused = act;
        return act;
    }

    /** The activation fused into this layer ({@link #fuse}), or null. */
    public Act fused() { return fused; }

    /** This layer's output of the slot's last forward (with the fused activation applied), or null. */
    Tensor lastOutput(Pass pass) { return y[pass.slot()]; }

    @Override
    public int[] outputShape(int[] s) { return s.clone(); }

    @Override
    public Tensor forward(Tensor x, Pass pass) {
        if ((x.rank() != 4 && x.rank() != 2) || x.dim(1) != channels) throw badInput("BatchNorm2d", x, "(N, " + channels + ", H, W)");
        Tensor y = outputLike(pass, x);
        if (pass.training()) {
            int s = pass.slot();
            if (fused == null) {
                be.batchNormTrain(y, saveMean[s], saveInvStd[s], x, weight.value(), bias.value(), runningMean, runningVar, momentum, eps);
            } else {
                be.batchNormActTrain(fused.kind, fused.alpha, y, saveMean[s], saveInvStd[s], x, weight.value(), bias.value(),
                        runningMean, runningVar, momentum, eps);
            }
            numBatchesTracked++;
        } else {
            be.batchNormEval(y, x, weight.value(), bias.value(), runningMean, runningVar, eps);
            if (fused != null) be.activationForward(fused.kind, fused.alpha, y, y);   // in place: the same bits
        }
        this.x[pass.slot()] = x;
        this.y[pass.slot()] = y;
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
        Tensor dg = paramGrads ? weight.grad() : scratch(0), db = paramGrads ? bias.grad() : scratch(1);
        if (fused == null) {
            be.batchNormBackward(dx, dg, db, dy, x[s], weight.value(), saveMean[s], saveInvStd[s], eps);
        } else {
            // dy is the gradient with respect to the activation's output
            be.batchNormActBackward(fused.kind, fused.alpha, dx, dg, db, dy, y[s], x[s], weight.value(), saveMean[s], saveInvStd[s], eps);
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
        return doubleBackward(gradDx, dy, pass, null);
    }

    /** batch norm's first-order double backward of dyBn (the gradient with respect to its own output), gradDy into gradDy. */
    private DoubleBackward.Grads batchNormDoubleBackward(Tensor gradDx, Tensor dyBn, Pass pass, Tensor gradDy) {
        int s = pass.slot();
        Tensor gradX = gradXLike(pass, x[s]);
        be.batchNormDoubleBackward(gradDy, gradX, weight.grad(), gradDx, dyBn, x[s], weight.value(), saveMean[s], saveInvStd[s]);
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
        int s = pass.slot();
        requireCached(x[s], pass, "BatchNorm2d");
        if (!pass.training()) throw new IllegalStateException("BatchNorm2d.doubleBackward after an eval-mode forward is not supported");
        if (fused == null) return batchNormDoubleBackward(gradDx, dy, pass, gradDParams, gradDyLike(pass, x[s]));
        // fused: dy is the gradient with respect to the activation's output z; batch norm's own is f'(z) dy, what the
        // unfused activation's backward gave it. Its results' gradDy goes back through the activation as the unfused
        // activation's double backward does (f' again; its gradX is zero for ReLU and LeakyReLU: the Act layer's).
        Tensor dyBn = preDy = ensure(preDy, x[s].shape()), gradDyBn = preGradDy = ensure(preGradDy, x[s].shape());
        be.activationBackward(fused.kind, fused.alpha, dyBn, dy, y[s], y[s]);
        DoubleBackward.Grads bn = batchNormDoubleBackward(gradDx, dyBn, pass, gradDParams, gradDyBn);
        Tensor gradDy = gradDyLike(pass, x[s]);
        be.activationBackward(fused.kind, fused.alpha, gradDy, gradDyBn, y[s], y[s]);
        return new DoubleBackward.Grads(gradDy, bn.gradX());
    }

    /** The unfused layer's double backward of dyBn, gradDy into gradDy (see above). */
    private DoubleBackward.Grads batchNormDoubleBackward(Tensor gradDx, Tensor dyBn, Pass pass, List<Tensor> gradDParams, Tensor gradDy) {
        DoubleBackward.Grads first = batchNormDoubleBackward(gradDx, dyBn, pass, gradDy);
        if (gradDParams == null || gradDParams.isEmpty()) return first;
        int s = pass.slot();
        Tensor gG = gradDParams.get(0), gB = gradDParams.get(1);
        Tensor t = affine = ensure(affine, x[s].shape());
        be.batchNormTrain(t, scratch(2), scratch(3), x[s], gG, gB, scratch(4), scratch(5), momentum, eps);   // G_γ x̂ + G_β
        be.axpy(1f, t, first.gradDy());
        be.batchNormBackward(t, scratch(0), scratch(1), dyBn, x[s], gG, saveMean[s], saveInvStd[s], eps);   // G_γ s (dy - ...)
        be.axpy(1f, t, first.gradX());
        return first;
    }

    private Tensor affine;   // x's shape: one term of the pass above before it is added
    private Tensor preDy, preGradDy;   // x's shape, with a fused activation: batch norm's own dy and gradDy

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
