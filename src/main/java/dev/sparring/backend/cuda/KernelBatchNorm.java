package dev.sparring.backend.cuda;

import dev.sparring.backend.Activation;

/**
 * Batch norm by our kernels ({@code kernels/batchnorm.cu}): CpuBackend's arithmetic, statistics in double in two
 * passes; the training kernels run one block per channel, so a channel's sums are combined in an order that depends
 * only on the sizes.
 */
final class KernelBatchNorm implements BatchNormOps {
    private final Kernels kernels;
    private final Launcher launcher;

    KernelBatchNorm(Kernels kernels, Launcher launcher) {
        this.kernels = kernels;
        this.launcher = launcher;
    }

    /** H*W, checked to fit the kernels' 32-bit channel indexing (an int, and N * H * W < 2^32). */
    private static int inner(Shape s, String op) {
        long m = s.inner() * s.n();
        if (s.inner() > Integer.MAX_VALUE || m >= 1L << 32) {
            throw new IllegalArgumentException(op + ": x of " + s + ": N*H*W = " + m + " is too large for the batch-norm kernels");
        }
        return (int) s.inner();
    }

    @Override
    public void train(Shape s, long y, long saveMean, long saveInvStd, long x, long gamma, long beta, long runMean, long runVar,
                      double momentum, double eps) {
        if (s.size() == 0) return;
        launcher.kernel(kernels.bnForwardTrain, s.c()).ptr(y).ptr(saveMean).ptr(saveInvStd).ptr(x).ptr(gamma).ptr(beta)
                .ptr(runMean).ptr(runVar).i32(s.n()).i32(s.c()).i32(inner(s, "batchNormTrain")).f64(momentum).f64(eps).launch();
    }

    @Override
    public void eval(Shape s, long y, long x, long gamma, long beta, long runMean, long runVar, double eps) {
        if (s.size() == 0) return;
        launcher.kernel(kernels.bnForwardEval, launcher.blocksFor(s.size())).ptr(y).ptr(x).ptr(gamma).ptr(beta).ptr(runMean)
                .ptr(runVar).i64(s.size()).i32(s.c()).i32(inner(s, "batchNormEval")).f64(eps).launch();
    }

    @Override
    public void backward(Shape s, long dx, long dgamma, long dbeta, long dy, long x, long gamma, long saveMean, long saveInvStd,
                         double eps) {
        if (s.size() == 0) return;
        launcher.kernel(kernels.bnBackward, s.c()).ptr(dx).ptr(dgamma).ptr(dbeta).ptr(dy).ptr(x).ptr(gamma).ptr(saveMean)
                .ptr(saveInvStd).i32(s.n()).i32(s.c()).i32(inner(s, "batchNormBackward")).launch();
    }

    /** One launch: bn_relu_forward_train or bn_leaky_relu_forward_train. */
    @Override
    public void trainAct(Shape s, Activation act, float alpha, long y, long saveMean, long saveInvStd, long x, long gamma, long beta,
                         long runMean, long runVar, double momentum, double eps) {
        if (s.size() == 0) return;
        boolean leaky = act == Activation.LEAKY_RELU;
        KernelArgs call = launcher.kernel(leaky ? kernels.bnLeakyReluForwardTrain : kernels.bnReluForwardTrain, s.c()).ptr(y).ptr(saveMean)
                .ptr(saveInvStd).ptr(x).ptr(gamma).ptr(beta).ptr(runMean).ptr(runVar).i32(s.n()).i32(s.c())
                .i32(inner(s, "batchNormActTrain")).f64(momentum).f64(eps);
        if (leaky) call.f32(alpha);
        call.launch();
    }

    /** One launch: bn_relu_backward or bn_leaky_relu_backward; the activation's gradient stays in registers. */
    @Override
    public void backwardAct(Shape s, Activation act, float alpha, long dx, long dgamma, long dbeta, long dy, long y, long x, long gamma,
                            long saveMean, long saveInvStd, double eps) {
        if (s.size() == 0) return;
        boolean leaky = act == Activation.LEAKY_RELU;
        KernelArgs call = launcher.kernel(leaky ? kernels.bnLeakyReluBackward : kernels.bnReluBackward, s.c()).ptr(dx).ptr(dgamma)
                .ptr(dbeta).ptr(dy).ptr(y).ptr(x).ptr(gamma).ptr(saveMean).ptr(saveInvStd).i32(s.n()).i32(s.c())
                .i32(inner(s, "batchNormActBackward"));
        if (leaky) call.f32(alpha);
        call.launch();
    }

    @Override
    public void close() { }
}
