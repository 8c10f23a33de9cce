package dev.sparring.backend.cuda;

import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.Map;

/**
 * cuDNN's spatial batch norm (CUDNN_BATCHNORM_SPATIAL), x described as (N, C, H*W, 1), with descriptors built once per
 * shape. saveInvStd is cuDNN's saved inverse variance, 1/sqrt(var_biased + eps); the running variance is updated with
 * the unbiased batch variance and exponentialAverageFactor = momentum, as the CPU twin does.
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
    private final Map<Shape, Plan> plans = new HashMap<>();

    CudnnBatchNorm(CudaContext context, Launcher launcher) {
        this.context = context;
        this.launcher = launcher;
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
    public void close() {
        for (Plan p : plans.values()) p.destroy();
        plans.clear();
    }
}
