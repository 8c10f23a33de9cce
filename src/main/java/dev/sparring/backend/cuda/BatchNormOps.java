package dev.sparring.backend.cuda;

import dev.sparring.backend.Activation;

/**
 * Spatial batch norm on the GPU, per channel over (N, H*W), in one of two implementations that the backend's options
 * choose once ({@link CudaBackend.BatchNorm}): {@link CudnnBatchNorm}, cuDNN's, or {@link KernelBatchNorm}, our
 * kernels with the CPU twin's arithmetic. The backend checks the tensors; these take device pointers and the input's
 * shape, with the meaning of {@link dev.sparring.backend.Backend#batchNormTrain} and its siblings.
 */
interface BatchNormOps extends AutoCloseable {

    /** The input x as (N, C, inner), inner = H*W (1 for a matrix). */
    record Shape(int n, int c, long inner) {
        long size() { return (long) n * c * inner; }

        @Override
        public String toString() { return "(N, C, H*W) = (" + n + ", " + c + ", " + inner + ")"; }
    }

    /** y, saveMean, saveInvStd = 1/sqrt(var_biased + eps) written; runMean, runVar updated with momentum. */
    void train(Shape s, long y, long saveMean, long saveInvStd, long x, long gamma, long beta, long runMean, long runVar,
               double momentum, double eps);

    /** y from the running statistics. */
    void eval(Shape s, long y, long x, long gamma, long beta, long runMean, long runVar, double eps);

    /** dx written; dgamma, dbeta accumulated, from what train saved; eps is the forward's. */
    void backward(Shape s, long dx, long dgamma, long dbeta, long dy, long x, long gamma, long saveMean, long saveInvStd,
                  double eps);

    /**
     * train with act applied to y as it is written ({@link dev.sparring.backend.Backend#batchNormActTrain}): act is ReLU
     * or LeakyReLU with alpha &gt;= 0.
     */
    void trainAct(Shape s, Activation act, float alpha, long y, long saveMean, long saveInvStd, long x, long gamma, long beta,
                  long runMean, long runVar, double momentum, double eps);

    /** backward of act's backward of dy, f' from trainAct's y ({@link dev.sparring.backend.Backend#batchNormActBackward}). */
    void backwardAct(Shape s, Activation act, float alpha, long dx, long dgamma, long dbeta, long dy, long y, long x, long gamma,
                     long saveMean, long saveInvStd, double eps);

    @Override
    void close();
}
