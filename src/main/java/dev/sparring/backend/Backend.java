package dev.sparring.backend;

import dev.sparring.linalg.SqrtTrace;
import dev.sparring.tensor.DType;
import dev.sparring.tensor.Tensor;

import java.util.List;

/**
 * Every operation the networks, losses, optimizers and the trainer need. Written once against this
 * interface, the same code runs on {@link dev.sparring.backend.cpu.CpuBackend} (the plain reference twin)
 * and on the CUDA backend.
 *
 * <p>Conventions, shared by all ops:
 * <ul>
 *   <li>Tensors are row-major; images are NCHW. Size letters: N batch, C input channels, K output channels,
 *       H/W input height/width, P/Q output height/width, R/S kernel height/width, F features.</li>
 *   <li>Outputs come first in the argument list, then cached activations, then inputs and weights.</li>
 *   <li>Forward outputs and input gradients ({@code dx}) are <b>written</b>; parameter gradients
 *       ({@code dw}, {@code db}, {@code dgamma}, {@code dbeta}) <b>accumulate</b> ({@code +=}) unless an
 *       op says otherwise. {@code zeroGrad} is the caller's job ({@link #fill}).</li>
 *   <li>Ops are asynchronous on backends that can be: only {@link #download} and {@link #synchronize}
 *       wait for the device.</li>
 * </ul>
 */
public interface Backend extends AutoCloseable {

    /** Short name for logs: "cpu", "cuda". */
    String name();

    /** One line describing the device, for the start-up notice. */
    String description();

    // ---------------------------------------------------------------- memory

    /**
     * Memory this backend can still give tensors, for size checks before a model is built: the Java heap the JVM may
     * still grow to on the CPU, the free device memory on a GPU.
     *
     * @param bytes    how many bytes
     * @param where    the same in words for messages, with how to get more where there is a way
     * @param javaHeap whether tensors live in the Java heap (then host copies, such as a checkpoint's, share it)
     */
    record Memory(long bytes, String where, boolean javaHeap) {
        /** The heap this JVM may still use: its maximum less what is in use now. */
        public static Memory ofJavaHeap() {
            Runtime rt = Runtime.getRuntime();
            long free = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
            return new Memory(free, String.format(java.util.Locale.ROOT, "the %.1f GiB of Java heap this JVM may still use "
                    + "(its maximum, -Xmx, is %.1f GiB; SPARRING_JAVA_OPTS=-Xmx<size> raises it)", free / 0x1p30, rt.maxMemory() / 0x1p30), true);
        }
    }

    Memory memoryAvailable();

    /**
     * Whether every op has finished when it returns (the CPU), so that reading a result back costs no wait: the trainer
     * then reads each step's metrics at once and stops at the first non-finite one. An asynchronous backend (a GPU)
     * is read every --log-every steps, so that the host never waits for the device inside the loop.
     */
    default boolean synchronous() { return false; }

    /** A new zero-filled tensor. */
    Tensor zeros(DType dtype, int... shape);

    default Tensor zeros(int... shape) { return zeros(DType.F32, shape); }

    Tensor upload(float[] data, int... shape);

    Tensor upload(byte[] data, int... shape);

    Tensor upload(int[] data, int... shape);

    /** A new F64 tensor holding {@code data}. */
    Tensor upload(double[] data, int... shape);

    /** Copies host floats into an existing F32 tensor of the same size. */
    void copyFromHost(float[] src, Tensor dst);

    /** Copies host ints into an existing I32 tensor of the same size (no allocation: fit for a training loop). */
    void copyFromHost(int[] src, Tensor dst);

    /** Copies a tensor to the host, waiting for pending work. Any dtype: U8 and I32 values are widened, F64 rounded. */
    float[] download(Tensor t);

    /** Copies an F64 tensor to the host exactly, waiting for pending work. */
    double[] downloadDoubles(Tensor t);

    /** dst = src; same dtype and size. */
    void copy(Tensor src, Tensor dst);

    /** A tensor sharing {@code t}'s storage with a different shape of the same size. */
    Tensor view(Tensor t, int... shape);

    /** Sets every element of an F32 tensor to {@code value}. */
    void fill(Tensor t, float value);

    /** Waits until all queued work is done. */
    void synchronize();

    // ---------------------------------------------------------------- convolution (NCHW, w: (K, C, R, S))

    /** y (N,K,P,Q) = conv(x (N,C,H,W), w (K,C,R,S)). Written. */
    void conv2dForward(Tensor y, Tensor x, Tensor w, ConvSpec spec);

    /**
     * dx (N,C,H,W) (+)= the gradient of conv2dForward with respect to x, given dy (N,K,P,Q) and w (K,C,R,S).
     * This is also the forward pass of the transposed convolution. Accumulates when {@code accumulate}.
     */
    void conv2dBackwardData(Tensor dx, Tensor dy, Tensor w, ConvSpec spec, boolean accumulate);

    /**
     * dw (K,C,R,S) (+)= the gradient of conv2dForward with respect to w, given x (N,C,H,W), dy (N,K,P,Q).
     * Accumulates when {@code accumulate}.
     */
    void conv2dBackwardFilter(Tensor dw, Tensor x, Tensor dy, ConvSpec spec, boolean accumulate);

    // ---------------------------------------------------------------- bias

    /** y (N,C,...) += b (C) along dimension 1. */
    void addBias(Tensor y, Tensor b);

    /** db (C) += sum of dy (N,C,...) over every dimension but 1. */
    void biasBackward(Tensor db, Tensor dy);

    // ---------------------------------------------------------------- batch norm (per channel over N,H,W)

    /**
     * Training-mode batch norm of x (N,C,H,W) with batch statistics. Writes y, saveMean (C) and saveInvStd (C)
     * = 1/sqrt(var_biased + eps), and updates the running statistics as PyTorch and cuDNN do:
     * run = (1 - momentum) run + momentum batch, with the unbiased variance for runVar.
     */
    void batchNormTrain(Tensor y, Tensor saveMean, Tensor saveInvStd, Tensor x, Tensor gamma, Tensor beta,
                        Tensor runMean, Tensor runVar, double momentum, double eps);

    /** Inference-mode batch norm with the running statistics. */
    void batchNormEval(Tensor y, Tensor x, Tensor gamma, Tensor beta, Tensor runMean, Tensor runVar, double eps);

    /**
     * dx written; dgamma, dbeta (C) accumulate. Uses what batchNormTrain saved; {@code eps} is the forward's (cuDNN
     * wants it even when the saved statistics are passed).
     */
    void batchNormBackward(Tensor dx, Tensor dgamma, Tensor dbeta, Tensor dy, Tensor x, Tensor gamma,
                           Tensor saveMean, Tensor saveInvStd, double eps);

    /**
     * Backward of {@link #batchNormBackward}'s dx (reverse mode through it, for gradient penalties), per channel over
     * its m = N*H*W elements, with x̂ = (x - saveMean) saveInvStd and dx = γ s (dy - mean(dy) - x̂ mean(dy x̂)), s =
     * saveInvStd. Given gradDx, the gradient of a scalar Q with respect to dx, writes gradDy = dQ/d(dy) = γ s/m
     * (m gradDx - Σ gradDx - x̂ Σ gradDx x̂) (what batchNormBackward writes for gradDx) and gradX = dQ/dx through x̂ and
     * the batch statistics, and accumulates dgamma (C) += dQ/dγ = s T with T = Σ gradDx (dy - mean(dy) - x̂ mean(dy x̂)).
     * With a = mean(dy), b = mean(dy x̂), gA = Σ gradDx, gB = Σ gradDx x̂: gradX = -(γ s²/m) (x̂ T + gB (dy - a - x̂ b)
     * + b (m gradDx - gA - x̂ gB)). Sums in double. Uses what batchNormTrain saved.
     */
    void batchNormDoubleBackward(Tensor gradDy, Tensor gradX, Tensor dgamma, Tensor gradDx, Tensor dy, Tensor x, Tensor gamma,
                                 Tensor saveMean, Tensor saveInvStd);

    /**
     * {@link #batchNormTrain} and then {@link #activationForward} of act on its output, in one pass: y = f(x * a + b)
     * per element, the same float arithmetic as the two ops (so the same bits), without writing the batch norm's own
     * output. act is {@link Activation#RELU}, or {@link Activation#LEAKY_RELU} with alpha &gt;= 0: then y &gt; 0 exactly
     * where the batch norm's output is, so that {@link #batchNormActBackward} takes f' from y. The statistics and the
     * running statistics as batchNormTrain's.
     */
    void batchNormActTrain(Activation act, double alpha, Tensor y, Tensor saveMean, Tensor saveInvStd, Tensor x, Tensor gamma,
                           Tensor beta, Tensor runMean, Tensor runVar, double momentum, double eps);

    /**
     * The backward of {@link #batchNormActTrain}: {@link #activationBackward} of dy (the gradient with respect to its
     * output y, f' from y's sign) and then {@link #batchNormBackward} of that, without writing the intermediate
     * gradient as a tensor of its own; the same bits as the two ops. dx written (it must not be dy, y or x); dgamma,
     * dbeta (C) accumulate.
     */
    void batchNormActBackward(Activation act, double alpha, Tensor dx, Tensor dgamma, Tensor dbeta, Tensor dy, Tensor y,
                              Tensor x, Tensor gamma, Tensor saveMean, Tensor saveInvStd, double eps);

    /** Whether {@link #batchNormActTrain} takes act with this alpha: ReLU, or LeakyReLU with a slope alpha &gt;= 0. */
    static boolean fusesWithBatchNorm(Activation act, double alpha) {
        return act == Activation.RELU || act == Activation.LEAKY_RELU && alpha >= 0;
    }

    // ---------------------------------------------------------------- activations

    /** y = f(x) elementwise; {@code alpha} is LeakyReLU's negative slope. y may be x (in place). */
    void activationForward(Activation act, double alpha, Tensor y, Tensor x);

    /** dx = dy * f'(x) written, using x and y = f(x). */
    void activationBackward(Activation act, double alpha, Tensor dx, Tensor dy, Tensor x, Tensor y);

    /**
     * Backward of {@link #activationBackward} (reverse mode through dx = dy * f'(x), for gradient penalties): given
     * gradDx, the gradient of a scalar with respect to dx, writes gradDy = gradDx * f'(x) (what activationBackward
     * would write for gradDx) and gradX = gradDx * dy * f''(x) (all zeros for ReLU and LeakyReLU), f' and f'' from
     * x or y = f(x) as {@link Activation#secondDerivative} says. All six tensors have the same size.
     */
    void activationDoubleBackward(Activation act, double alpha, Tensor gradDy, Tensor gradX, Tensor gradDx, Tensor dy,
                                  Tensor x, Tensor y);

    // ---------------------------------------------------------------- pooling (per channel plane, NCHW)

    /**
     * Max pooling, as PyTorch's {@code max_pool2d} (padding counts as -inf): y (N,C,P,Q) = the largest x (N,C,H,W) in
     * each window, P and Q from {@link PoolSpec}. NaN wins as in PyTorch (a NaN in a window makes its output NaN).
     * Written.
     */
    void maxPool2dForward(Tensor y, Tensor x, PoolSpec spec);

    /**
     * dx (N,C,H,W) written: each dy (N,C,P,Q) is added to the input element its window took as the maximum, found
     * again from x. Of equal maxima the first in the window, row by row, takes it (PyTorch's CPU rule: a later element
     * must be strictly greater, or NaN); the gradients of windows that share a maximum add up.
     */
    void maxPool2dBackward(Tensor dx, Tensor dy, Tensor x, PoolSpec spec);

    /**
     * Average pooling, as PyTorch's {@code avg_pool2d}: y (N,C,P,Q) = the sum of x (N,C,H,W) over each window, in float
     * row by row, divided by the number of elements: with {@code countIncludePad} the window clipped to the padded
     * input (padding counts as zeros), without it only the elements inside the input. Written.
     */
    void avgPool2dForward(Tensor y, Tensor x, PoolSpec spec, boolean countIncludePad);

    /** dx (N,C,H,W) written: each dy (N,C,P,Q), divided as the forward divides, spread over its window's inputs. */
    void avgPool2dBackward(Tensor dx, Tensor dy, PoolSpec spec, boolean countIncludePad);

    // ---------------------------------------------------------------- channel slices and resizing

    /**
     * dst[:, dstC0 + c] = src[:, srcC0 + c] for c in [0, count): copies a block of channels between two tensors
     * (N, C, ...) of the same N and the same size past the channel dimension (a channel concatenation and its split).
     * Written; dst's other channels are left as they are. dst and src are different tensors.
     */
    void copyChannels(Tensor dst, int dstC0, Tensor src, int srcC0, int count);

    /**
     * Bilinear resizing of x (N,C,H,W) to y (N,C,P,Q), as PyTorch's {@code F.interpolate(mode='bilinear',
     * align_corners=False)} with a size: output row p reads input row h = max(0, (p + 0.5) H/P - 0.5), split between
     * floor(h) and the next row (the last row is repeated) with weights 1 - frac(h) and frac(h); the same along W.
     * Computed in float as PyTorch's CUDA kernel computes it. Written.
     */
    void resizeBilinearForward(Tensor y, Tensor x);

    /** dx (N,C,H,W) written: dy (N,C,P,Q) spread back with the forward's weights. */
    void resizeBilinearBackward(Tensor dx, Tensor dy);

    // ---------------------------------------------------------------- linear algebra and elementwise

    /** c = alpha op(a) op(b) + beta c, all 2-D; op transposes when asked. */
    void gemm(boolean transA, boolean transB, float alpha, Tensor a, Tensor b, float beta, Tensor c);

    /** y += alpha x. */
    void axpy(float alpha, Tensor x, Tensor y);

    /** x *= alpha. */
    void scale(Tensor x, float alpha);

    /**
     * The row-wise dot product, the projection discriminator's inner product: out (N) = Σ_f a[n, f] b[n, f] for a and b
     * (N, F) (any shape of N rows), the products and their sum in double (in any order), rounded to float; written, or
     * added to out with {@code accumulate}.
     */
    void rowDot(Tensor out, Tensor a, Tensor b, boolean accumulate);

    /**
     * Rows scaled by a vector, the backward of {@link #rowDot}: out[n, f] = s[n] x[n, f] (a float product) for s (N)
     * and x, out (N, F) (any shape of N rows); written, or added to out with {@code accumulate}.
     */
    void scaleRows(Tensor out, Tensor s, Tensor x, boolean accumulate);

    /**
     * out[slot] = the sum of squares of every element of every tensor in xs, in double precision, rounded to
     * float. Written into a small metrics tensor so that it can be read later without a sync in the loop.
     */
    void sumSquares(List<Tensor> xs, Tensor out, int slot);

    // ---------------------------------------------------------------- optimizers (all tensors of a network in one call)

    /**
     * Adam as PyTorch's {@code torch.optim.Adam} (L2 weight decay added to the gradient): for each element
     * g' = g + wd p; m = b1 m + (1-b1) g'; v = b2 v + (1-b2) g'^2; p -= lr/(1-b1^step) * m / (sqrt(v)/sqrt(1-b2^step) + eps).
     * {@code step} counts from 1.
     */
    void adamStep(List<Tensor> params, List<Tensor> grads, List<Tensor> m, List<Tensor> v,
                  float lr, float beta1, float beta2, float eps, float weightDecay, long step);

    /** RMSProp as PyTorch's: sq = a sq + (1-a) g^2; p -= lr g / (sqrt(sq) + eps). */
    void rmspropStep(List<Tensor> params, List<Tensor> grads, List<Tensor> sq, float lr, float alpha, float eps);

    /** SGD with momentum as PyTorch's (dampening 0): buf = mu buf + g (buf = g at step 1); p -= lr buf. */
    void sgdStep(List<Tensor> params, List<Tensor> grads, List<Tensor> buf, float lr, float momentum, long step);

    /** Clamps every element of every tensor to [lo, hi] (WGAN weight clipping). */
    void clamp(List<Tensor> params, float lo, float hi);

    /**
     * The exponential moving average of a network's weights, over all its tensors in one call: for the first
     * {@code averaged} tensors e = s + decay (e - s) (PyTorch's {@code s.lerp(e, decay)}, as StyleGAN2-ADA updates
     * G_ema), for the rest e = s (copied: batch-norm running statistics). {@code decay} 0 copies every tensor exactly.
     * {@code ema} is written, {@code src} only read; tensor i of both has the same size.
     */
    void emaUpdate(List<Tensor> ema, List<Tensor> src, int averaged, float decay);

    // ---------------------------------------------------------------- noise

    /**
     * Fills an F32 tensor with standard normal samples from the Philox4x32-10 stream of {@code seed}, starting at
     * Philox block {@code counter}; element i uses block counter + i/4, lane i%4 (see {@link dev.sparring.random.Philox}).
     * Uses ceil(size/4) blocks: the caller advances its counter by that many.
     */
    void normal(Tensor out, long seed, long counter);

    /**
     * Random interpolates of two batches, as WGAN-GP takes its penalty points: for each row n of a, b and out (N, ...),
     * ε_n = (w_n + 0.5) / 2^32 in (0, 1) from the Philox4x32-10 words w of the stream {@code seed} from block
     * {@code counter} (word n % 4 of block counter + n / 4, the words behind {@link #normal}), written into eps (N), and
     * out_n = ε_n a_n + (1 - ε_n) b_n in float. Uses ceil(N/4) blocks: the caller advances its counter by that many.
     */
    void interpolate(Tensor out, Tensor eps, Tensor a, Tensor b, long seed, long counter);

    /**
     * An input-gradient penalty and its gradient (WGAN-GP, R1, R2): g (N, F...) holds the critic's input gradients, row n
     * = ∇ₓD at sample n. With P = weight (1/N) Σ_n (‖g_n‖ - target)², writes gradG = gradScale dP/dg, row n = gradScale
     * weight (2/N) (1 - target/‖g_n‖) g_n (target 0: gradScale weight (2/N) g_n; a zero row with target ≠ 0: zeros),
     * and {@code stats[slot]} = P, {@code stats[slot+1]} = the mean of ‖g_n‖. Norms and sums in double, rounded to float.
     * gradScale is the factor of lazy regularisation (a penalty applied every k steps counts k times); P is unscaled.
     */
    void gradientPenalty(Tensor gradG, Tensor g, double target, float weight, float gradScale, Tensor stats, int slot);

    // ---------------------------------------------------------------- data

    /**
     * out (B, C, H, W) = images[indices[start + b]] * scale + shift, where images (N, C, H, W) is U8 and indices
     * is I32. Samples a batch from a dataset kept on the device. Indices must lie in [0, N): the CPU twin throws
     * on one outside, a GPU kernel cannot and writes a NaN row instead (which the trainer's NaN check reports).
     */
    void gatherImages(Tensor out, Tensor images, Tensor indices, int start, float scale, float shift);

    // ---------------------------------------------------------------- GAN loss (one fused operation each)

    /**
     * The critic's step. With B = batch size, writes the critic loss L_D = -(mean phi(tReal) + mean psi(tFake))
     * and its gradient dtReal = -phi'(tReal)/B, dtFake = -psi'(tFake)/B (so that minimising L_D maximises the
     * critic objective), and statistics into {@code stats[slot .. slot+4]}:
     * L_D, mean sigmoid(tReal), mean sigmoid(tFake), mean tReal, mean tFake.
     */
    void criticLoss(CompiledLoss loss, Tensor dtReal, Tensor dtFake, Tensor tReal, Tensor tFake, Tensor stats, int slot);

    /**
     * The generator's step: writes dtFake = beta'(tFake)/B and {@code stats[slot]} = L_G = mean beta(tFake),
     * {@code stats[slot+1]} = mean sigmoid(tFake).
     */
    void generatorLoss(CompiledLoss loss, Tensor dtFake, Tensor tFake, Tensor stats, int slot);

    /**
     * A loss's curvature along a second-order pass (consensus optimization's ∇½‖v‖²): with f a second derivative of
     * the loss (φ'', ψ'' or β'', a {@link ScalarProgram}), gradT[i] = scale · gradDt[i] · f(t[i]), computed in double
     * and rounded to float once; added to gradT when {@code accumulate}, else written. gradDt is a scalar's gradient
     * with respect to a loss gradient dt = c f'(t), so scale = c gives that scalar's gradient with respect to t.
     */
    void lossCurvature(ScalarProgram f, Tensor gradT, Tensor gradDt, Tensor t, float scale, boolean accumulate);

    // ---------------------------------------------------------------- classifier loss

    /**
     * Softmax cross-entropy, a classifier's training loss, as one fused operation (PyTorch's {@code cross_entropy}
     * with mean reduction). logits (B, K) are raw class scores, labels (B) I32 class indices in [0, K). Writes the
     * gradient of the mean loss, dLogits (B, K) = (softmax(logits) - onehot(labels)) / B, and {@code stats[slot]} =
     * the mean over the batch of -log softmax(logits)[label], {@code stats[slot+1]} = the share of rows whose
     * largest score (the first of equal ones) is at their label. Computed in double (softmax shifted by the row's
     * maximum), rounded to float. A label outside [0, K): the CPU twin throws, a GPU kernel cannot and writes NaN
     * into that row's gradient and into the loss.
     */
    void softmaxCrossEntropy(Tensor dLogits, Tensor logits, Tensor labels, Tensor stats, int slot);

    // ---------------------------------------------------------------- feature statistics (FID), float64

    /**
     * Folds the first n rows of rows (≥ n, F) F32 into the float64 streaming moments of {@code count} rows so far: mean (F) F64 and
     * the scatter about the mean m2 (F, F) F64, both accumulated in place (zeros for count = 0). The numerics of
     * {@link dev.sparring.linalg.ScatterMoments} (as {@code eval.FeatureMoments}): the rows are cut into blocks of
     * {@value dev.sparring.linalg.ScatterMoments#BLOCK}, each centred on its own mean, its scatter added, and merged by
     * Chan, Golub and LeVeque's pairwise update. Only m2's upper triangle (j ≥ i) is specified. The caller keeps the
     * count (count + n afterwards). A non-finite row: the CPU twin throws, a GPU cannot and makes the mean NaN.
     */
    void featureMoments(Tensor mean, Tensor m2, long count, Tensor rows, int n);

    /**
     * tr (Σ₁Σ₂)^{1/2} of two symmetric positive semi-definite (F, F) F64 tensors (the caller symmetrises them), the
     * hard term of the Fréchet distance, in float64; waits for the result. Methods ({@link SqrtTrace.Method}): the CPU
     * twin does what {@link SqrtTrace#compute} does (AUTO: Cholesky, else the eigendecomposition); a GPU does
     * NEWTON_SCHULZ (cuBLAS DGEMM and our kernels) or EIGEN (cuSOLVER's symmetric eigensolver, where the library is
     * found), and its AUTO is NEWTON_SCHULZ. docs/metrics.md gives the accuracy of each.
     */
    SqrtTrace.Result sqrtTrace(Tensor sigma1, Tensor sigma2, SqrtTrace.Method method);

    // ---------------------------------------------------------------- graphs

    /**
     * A new {@link StepGraph} to run a repeated step through, or null when this backend runs every operation as it
     * is called (the CPU). Close it before the backend.
     */
    default StepGraph stepGraph() { return null; }

    @Override
    void close();
}
