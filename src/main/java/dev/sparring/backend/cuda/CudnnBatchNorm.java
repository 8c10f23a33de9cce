package dev.sparring.backend.cuda;

import dev.sparring.backend.Activation;

import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.Map;

/**
 * cuDNN's spatial batch norm (CUDNN_BATCHNORM_SPATIAL), x described as (N, C, H*W, 1), with descriptors built once per
 * shape. saveInvStd is cuDNN's saved inverse variance, 1/sqrt(var_biased + eps); the running variance is updated with
 * the unbiased batch variance and exponentialAverageFactor = momentum, as the CPU twin does.
 *
 * <p>With an activation fused after it ({@link #trainAct}, {@link #backwardAct}) it is the unfused pair on the device:
 * cuDNN's forward and then our activation kernel in place on y; our activation's backward into a scratch buffer (its
 * size only grows) and then cuDNN's backward of it. cuDNN's legacy API fuses an activation only for NHWC half-precision
 * tensors (CUDNN_BATCHNORM_OPS_BN_ACTIVATION), and the simulator does not simulate it.
 */
final class CudnnBatchNorm implements BatchNormOps {

    /** x as (N, C, inner, 1) and the per-channel (1, C, 1, 1) descriptor. */
    private record Plan(MemorySegment x, MemorySegment bn) {
        void destroy() {
            Cudnn.destroyTensor(x);
            Cudnn.destroyTensor(bn);
        }
    }

    private final CudaContext context;
    private final Launcher launcher;
    private final Kernels kernels;
    private final DeviceMemory memory;
    private final Map<Shape, Plan> plans = new HashMap<>();
    private long scratch, scratchBytes;   // backwardAct's activation gradient; grows, never shrinks

    CudnnBatchNorm(CudaContext context, Launcher launcher, Kernels kernels, DeviceMemory memory) {
        this.context = context;
        this.launcher = launcher;
        this.kernels = kernels;
        this.memory = memory;
    }

    private Plan plan(Shape s, String op) {
        if (s.inner() > Integer.MAX_VALUE) throw new IllegalArgumentException(op + ": x of " + s + " is too large for cuDNN's 4-D descriptor");
        Plan plan = plans.get(s);
        if (plan == null) {
            plan = new Plan(Cudnn.tensor4d(s.n(), s.c(), (int) s.inner(), 1), Cudnn.tensor4d(1, s.c(), 1, 1));
            plans.put(s, plan);
        }
        return plan;
    }

    @Override
    public void train(Shape s, long y, long saveMean, long saveInvStd, long x, long gamma, long beta, long runMean, long runVar,
                      double momentum, double eps) {
        Plan plan = plan(s, "batchNormTrain");
        launcher.library("batchNormTrain", () -> Cudnn.batchNormForwardTraining(context.cudnn, context.one, context.zero,
                plan.x(), x, y, plan.bn(), gamma, beta, momentum, runMean, runVar, eps, saveMean, saveInvStd),
                plan.x().address(), y, saveMean, saveInvStd, x, gamma, beta, runMean, runVar,
                Double.doubleToRawLongBits(momentum), Double.doubleToRawLongBits(eps));
    }

    @Override
    public void eval(Shape s, long y, long x, long gamma, long beta, long runMean, long runVar, double eps) {
        Plan plan = plan(s, "batchNormEval");
        launcher.library("batchNormEval", () -> Cudnn.batchNormForwardInference(context.cudnn, context.one, context.zero,
                plan.x(), x, y, plan.bn(), gamma, beta, runMean, runVar, eps),
                plan.x().address(), y, x, gamma, beta, runMean, runVar, Double.doubleToRawLongBits(eps));
    }

    /**
     * dx written (alpha 1, beta 0); dgamma, dbeta accumulated (alpha 1, beta 1). cuDNN uses the saved mean and inverse
     * std when they are given (they always are); eps is the forward's, as cuDNN asks.
     */
    @Override
    public void backward(Shape s, long dx, long dgamma, long dbeta, long dy, long x, long gamma, long saveMean, long saveInvStd,
                         double eps) {
        Plan plan = plan(s, "batchNormBackward");
        launcher.library("batchNormBackward", () -> Cudnn.batchNormBackward(context.cudnn, context.one, context.zero,
                context.one, context.one, plan.x(), x, dy, dx, plan.bn(), gamma, dgamma, dbeta, eps, saveMean, saveInvStd),
                plan.x().address(), dx, dgamma, dbeta, dy, x, gamma, saveMean, saveInvStd, Double.doubleToRawLongBits(eps));
    }

    @Override
    public void trainAct(Shape s, Activation act, float alpha, long y, long saveMean, long saveInvStd, long x, long gamma, long beta,
                         long runMean, long runVar, double momentum, double eps) {
        train(s, y, saveMean, saveInvStd, x, gamma, beta, runMean, runVar, momentum, eps);
        if (s.size() == 0) return;
        int grid = launcher.blocksFor(s.size());
        if (act == Activation.LEAKY_RELU) launcher.kernel(kernels.leakyReluForward, grid).ptr(y).ptr(y).i64(s.size()).f32(alpha).launch();
        else launcher.kernel(kernels.reluForward, grid).ptr(y).ptr(y).i64(s.size()).launch();
    }

    @Override
    public void backwardAct(Shape s, Activation act, float alpha, long dx, long dgamma, long dbeta, long dy, long y, long x, long gamma,
                            long saveMean, long saveInvStd, double eps) {
        if (s.size() == 0) {
            backward(s, dx, dgamma, dbeta, dy, x, gamma, saveMean, saveInvStd, eps);
            return;
        }
        long d = scratch(4 * s.size());
        int grid = launcher.blocksFor(s.size());
        // f' from y: y > 0 exactly where batch norm's output is (ReLU, LeakyReLU with alpha >= 0)
        if (act == Activation.LEAKY_RELU) launcher.kernel(kernels.leakyReluBackward, grid).ptr(d).ptr(dy).ptr(y).i64(s.size()).f32(alpha).launch();
        else launcher.kernel(kernels.reluBackward, grid).ptr(d).ptr(dy).ptr(y).i64(s.size()).launch();
        backward(s, dx, dgamma, dbeta, d, x, gamma, saveMean, saveInvStd, eps);
    }

    /** The scratch buffer, at least {@code bytes}; waits for queued work before freeing a smaller one. */
    private long scratch(long bytes) {
        if (bytes <= scratchBytes) return scratch;
        if (scratch != 0) {
            launcher.checkMayAllocate("growing batch norm's activation scratch");
            CudaDriver.streamSynchronize(context.stream);
            memory.free(scratch);
            scratch = 0;
            scratchBytes = 0;
        }
        scratch = memory.allocate(bytes, "batch norm's activation scratch");
        scratchBytes = bytes;
        return scratch;
    }

    @Override
    public void close() {
        for (Plan p : plans.values()) p.destroy();
        plans.clear();
        if (scratch != 0) {
            CudaDriver.streamSynchronize(context.stream);
            memory.free(scratch);
            scratch = 0;
            scratchBytes = 0;
        }
    }
}
