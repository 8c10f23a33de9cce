package dev.sparring.train;

import com.sun.management.ThreadMXBean;
import dev.sparring.backend.Activation;
import dev.sparring.backend.Backend;
import dev.sparring.backend.CompiledLoss;
import dev.sparring.backend.ConvSpec;
import dev.sparring.backend.PoolSpec;
import dev.sparring.backend.ScalarProgram;
import dev.sparring.backend.StepGraph;
import dev.sparring.linalg.SqrtTrace;
import dev.sparring.tensor.DType;
import dev.sparring.tensor.Tensor;

import java.lang.management.ManagementFactory;
import java.util.List;

/**
 * A backend that runs another one and counts the heap bytes the calling thread allocates inside its operations, so
 * that a test can tell them from what the caller (layers, optimizers, the trainer) allocates between them. The calls
 * that hand out new tensors or arrays (zeros, upload, view, download) are not counted as inside: what a caller asks
 * to be allocated is its own allocation.
 */
final class AllocationMeter implements Backend {
    static final ThreadMXBean THREADS = (ThreadMXBean) ManagementFactory.getThreadMXBean();

    private final Backend be;
    private long insideBytes, calls, largestCall;

    AllocationMeter(Backend be) { this.be = be; }

    /** Bytes this thread has allocated since it started. */
    static long allocated() { return THREADS.getCurrentThreadAllocatedBytes(); }

    /** Bytes allocated inside counted operations, their number and the most one of them allocated, since the last reset. */
    long insideBytes() { return insideBytes; }

    long calls() { return calls; }

    long largestCall() { return largestCall; }

    void reset() {
        insideBytes = 0;
        calls = 0;
        largestCall = 0;
    }

    private static long enter() { return allocated(); }

    private void leave(long before) {
        long b = allocated() - before;
        insideBytes += b;
        calls++;
        largestCall = Math.max(largestCall, b);
    }

    @Override public String name() { return be.name(); }
    @Override public String description() { return be.description(); }
    @Override public Memory memoryAvailable() { return be.memoryAvailable(); }
    @Override public boolean synchronous() { return be.synchronous(); }
    @Override public Tensor zeros(DType dtype, int... shape) { return be.zeros(dtype, shape); }
    @Override public Tensor upload(float[] data, int... shape) { return be.upload(data, shape); }
    @Override public Tensor upload(byte[] data, int... shape) { return be.upload(data, shape); }
    @Override public Tensor upload(int[] data, int... shape) { return be.upload(data, shape); }
    @Override public Tensor upload(double[] data, int... shape) { return be.upload(data, shape); }
    @Override public void copyFromHost(float[] src, Tensor dst) { long t0 = enter(); be.copyFromHost(src, dst); leave(t0); }
    @Override public void copyFromHost(int[] src, Tensor dst) { long t0 = enter(); be.copyFromHost(src, dst); leave(t0); }
    @Override public float[] download(Tensor t) { return be.download(t); }
    @Override public double[] downloadDoubles(Tensor t) { return be.downloadDoubles(t); }
    @Override public void copy(Tensor src, Tensor dst) { long t0 = enter(); be.copy(src, dst); leave(t0); }
    @Override public Tensor view(Tensor t, int... shape) { return be.view(t, shape); }
    @Override public void fill(Tensor t, float value) { long t0 = enter(); be.fill(t, value); leave(t0); }
    @Override public void synchronize() { long t0 = enter(); be.synchronize(); leave(t0); }
    @Override public void conv2dForward(Tensor y, Tensor x, Tensor w, ConvSpec spec) { long t0 = enter(); be.conv2dForward(y, x, w, spec); leave(t0); }
    @Override public void conv2dBackwardData(Tensor dx, Tensor dy, Tensor w, ConvSpec spec, boolean accumulate) { long t0 = enter(); be.conv2dBackwardData(dx, dy, w, spec, accumulate); leave(t0); }
    @Override public void conv2dBackwardFilter(Tensor dw, Tensor x, Tensor dy, ConvSpec spec, boolean accumulate) { long t0 = enter(); be.conv2dBackwardFilter(dw, x, dy, spec, accumulate); leave(t0); }
    @Override public void addBias(Tensor y, Tensor b) { long t0 = enter(); be.addBias(y, b); leave(t0); }
    @Override public void biasBackward(Tensor db, Tensor dy) { long t0 = enter(); be.biasBackward(db, dy); leave(t0); }
    @Override public void batchNormTrain(Tensor y, Tensor saveMean, Tensor saveInvStd, Tensor x, Tensor gamma, Tensor beta, Tensor runMean, Tensor runVar, double momentum, double eps) { long t0 = enter(); be.batchNormTrain(y, saveMean, saveInvStd, x, gamma, beta, runMean, runVar, momentum, eps); leave(t0); }
    @Override public void batchNormEval(Tensor y, Tensor x, Tensor gamma, Tensor beta, Tensor runMean, Tensor runVar, double eps) { long t0 = enter(); be.batchNormEval(y, x, gamma, beta, runMean, runVar, eps); leave(t0); }
    @Override public void batchNormBackward(Tensor dx, Tensor dgamma, Tensor dbeta, Tensor dy, Tensor x, Tensor gamma, Tensor saveMean, Tensor saveInvStd, double eps) { long t0 = enter(); be.batchNormBackward(dx, dgamma, dbeta, dy, x, gamma, saveMean, saveInvStd, eps); leave(t0); }
    @Override public void batchNormDoubleBackward(Tensor gradDy, Tensor gradX, Tensor dgamma, Tensor gradDx, Tensor dy, Tensor x, Tensor gamma, Tensor saveMean, Tensor saveInvStd) { long t0 = enter(); be.batchNormDoubleBackward(gradDy, gradX, dgamma, gradDx, dy, x, gamma, saveMean, saveInvStd); leave(t0); }
    @Override public void batchNormActTrain(Activation act, double alpha, Tensor y, Tensor saveMean, Tensor saveInvStd, Tensor x, Tensor gamma, Tensor beta, Tensor runMean, Tensor runVar, double momentum, double eps) { long t0 = enter(); be.batchNormActTrain(act, alpha, y, saveMean, saveInvStd, x, gamma, beta, runMean, runVar, momentum, eps); leave(t0); }
    @Override public void batchNormActBackward(Activation act, double alpha, Tensor dx, Tensor dgamma, Tensor dbeta, Tensor dy, Tensor y, Tensor x, Tensor gamma, Tensor saveMean, Tensor saveInvStd, double eps) { long t0 = enter(); be.batchNormActBackward(act, alpha, dx, dgamma, dbeta, dy, y, x, gamma, saveMean, saveInvStd, eps); leave(t0); }
    @Override public void activationForward(Activation act, double alpha, Tensor y, Tensor x) { long t0 = enter(); be.activationForward(act, alpha, y, x); leave(t0); }
    @Override public void activationBackward(Activation act, double alpha, Tensor dx, Tensor dy, Tensor x, Tensor y) { long t0 = enter(); be.activationBackward(act, alpha, dx, dy, x, y); leave(t0); }
    @Override public void activationDoubleBackward(Activation act, double alpha, Tensor gradDy, Tensor gradX, Tensor gradDx, Tensor dy, Tensor x, Tensor y) { long t0 = enter(); be.activationDoubleBackward(act, alpha, gradDy, gradX, gradDx, dy, x, y); leave(t0); }
    @Override public void maxPool2dForward(Tensor y, Tensor x, PoolSpec spec) { long t0 = enter(); be.maxPool2dForward(y, x, spec); leave(t0); }
    @Override public void maxPool2dBackward(Tensor dx, Tensor dy, Tensor x, PoolSpec spec) { long t0 = enter(); be.maxPool2dBackward(dx, dy, x, spec); leave(t0); }
    @Override public void avgPool2dForward(Tensor y, Tensor x, PoolSpec spec, boolean countIncludePad) { long t0 = enter(); be.avgPool2dForward(y, x, spec, countIncludePad); leave(t0); }
    @Override public void avgPool2dBackward(Tensor dx, Tensor dy, PoolSpec spec, boolean countIncludePad) { long t0 = enter(); be.avgPool2dBackward(dx, dy, spec, countIncludePad); leave(t0); }
    @Override public void copyChannels(Tensor dst, int dstC0, Tensor src, int srcC0, int count) { long t0 = enter(); be.copyChannels(dst, dstC0, src, srcC0, count); leave(t0); }
    @Override public void resizeBilinearForward(Tensor y, Tensor x) { long t0 = enter(); be.resizeBilinearForward(y, x); leave(t0); }
    @Override public void resizeBilinearBackward(Tensor dx, Tensor dy) { long t0 = enter(); be.resizeBilinearBackward(dx, dy); leave(t0); }
    @Override public void gemm(boolean transA, boolean transB, float alpha, Tensor a, Tensor b, float beta, Tensor c) { long t0 = enter(); be.gemm(transA, transB, alpha, a, b, beta, c); leave(t0); }
    @Override public void axpy(float alpha, Tensor x, Tensor y) { long t0 = enter(); be.axpy(alpha, x, y); leave(t0); }
    @Override public void scale(Tensor x, float alpha) { long t0 = enter(); be.scale(x, alpha); leave(t0); }
    @Override public void rowDot(Tensor out, Tensor a, Tensor b, boolean accumulate) { long t0 = enter(); be.rowDot(out, a, b, accumulate); leave(t0); }
    @Override public void scaleRows(Tensor out, Tensor s, Tensor x, boolean accumulate) { long t0 = enter(); be.scaleRows(out, s, x, accumulate); leave(t0); }
    @Override public void sumSquares(List<Tensor> xs, Tensor out, int slot) { long t0 = enter(); be.sumSquares(xs, out, slot); leave(t0); }
    @Override public void adamStep(List<Tensor> params, List<Tensor> grads, List<Tensor> m, List<Tensor> v, float lr, float beta1, float beta2, float eps, float weightDecay, long step) { long t0 = enter(); be.adamStep(params, grads, m, v, lr, beta1, beta2, eps, weightDecay, step); leave(t0); }
    @Override public void rmspropStep(List<Tensor> params, List<Tensor> grads, List<Tensor> sq, float lr, float alpha, float eps) { long t0 = enter(); be.rmspropStep(params, grads, sq, lr, alpha, eps); leave(t0); }
    @Override public void sgdStep(List<Tensor> params, List<Tensor> grads, List<Tensor> buf, float lr, float momentum, long step) { long t0 = enter(); be.sgdStep(params, grads, buf, lr, momentum, step); leave(t0); }
    @Override public void clamp(List<Tensor> params, float lo, float hi) { long t0 = enter(); be.clamp(params, lo, hi); leave(t0); }
    @Override public void emaUpdate(List<Tensor> ema, List<Tensor> src, int averaged, float decay) { long t0 = enter(); be.emaUpdate(ema, src, averaged, decay); leave(t0); }
    @Override public void normal(Tensor out, long seed, long counter) { long t0 = enter(); be.normal(out, seed, counter); leave(t0); }
    @Override public void interpolate(Tensor out, Tensor eps, Tensor a, Tensor b, long seed, long counter) { long t0 = enter(); be.interpolate(out, eps, a, b, seed, counter); leave(t0); }
    @Override public void gradientPenalty(Tensor gradG, Tensor g, double target, float weight, float gradScale, Tensor stats, int slot) { long t0 = enter(); be.gradientPenalty(gradG, g, target, weight, gradScale, stats, slot); leave(t0); }
    @Override public void gatherImages(Tensor out, Tensor images, Tensor indices, int start, float scale, float shift) { long t0 = enter(); be.gatherImages(out, images, indices, start, scale, shift); leave(t0); }
    @Override public void criticLoss(CompiledLoss loss, Tensor dtReal, Tensor dtFake, Tensor tReal, Tensor tFake, Tensor stats, int slot) { long t0 = enter(); be.criticLoss(loss, dtReal, dtFake, tReal, tFake, stats, slot); leave(t0); }
    @Override public void generatorLoss(CompiledLoss loss, Tensor dtFake, Tensor tFake, Tensor stats, int slot) { long t0 = enter(); be.generatorLoss(loss, dtFake, tFake, stats, slot); leave(t0); }
    @Override public void lossCurvature(ScalarProgram f, Tensor gradT, Tensor gradDt, Tensor t, float scale, boolean accumulate) { long t0 = enter(); be.lossCurvature(f, gradT, gradDt, t, scale, accumulate); leave(t0); }
    @Override public void softmaxCrossEntropy(Tensor dLogits, Tensor logits, Tensor labels, Tensor stats, int slot) { long t0 = enter(); be.softmaxCrossEntropy(dLogits, logits, labels, stats, slot); leave(t0); }
    @Override public void featureMoments(Tensor mean, Tensor m2, long count, Tensor rows, int n) { long t0 = enter(); be.featureMoments(mean, m2, count, rows, n); leave(t0); }
    @Override public SqrtTrace.Result sqrtTrace(Tensor sigma1, Tensor sigma2, SqrtTrace.Method method) { long t0 = enter(); SqrtTrace.Result r = be.sqrtTrace(sigma1, sigma2, method); leave(t0); return r; }
    @Override public StepGraph stepGraph() { return be.stepGraph(); }
    @Override public void close() { be.close(); }
}
