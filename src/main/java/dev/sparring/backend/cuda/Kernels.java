package dev.sparring.backend.cuda;

import java.lang.foreign.MemorySegment;

/**
 * Our kernels ({@code kernels/*.cu}), loaded once per backend: one module per kernel family, and a handle per entry
 * point, named as in the .cu file. Closing unloads the modules.
 */
final class Kernels implements AutoCloseable {

    /** A kernel entry point: its CUfunction and its name (for errors and step-graph messages). */
    record Kernel(MemorySegment function, String name) { }

    // activations.cu
    final Kernel reluForward, leakyReluForward, tanhForward, sigmoidForward;
    final Kernel reluBackward, leakyReluBackward, tanhBackward, sigmoidBackward;
    final Kernel reluDoubleBackward, leakyReluDoubleBackward, tanhDoubleBackward, sigmoidDoubleBackward;
    final Kernel biasAdd, biasBackward;
    // gan_losses.cu
    final Kernel criticLoss, generatorLoss, lossCurvature;
    // classifier_loss.cu
    final Kernel softmaxCrossEntropy;
    // optim.cu
    final Kernel adamStep, rmspropStep, sgdStep, clampParams, emaUpdate;
    // reduce.cu
    final Kernel sumSquares, axpy, scale, rowDot, scaleRows;
    // noise.cu
    final Kernel philoxNormal, philoxWords, philoxInterpolate;
    // data.cu
    final Kernel gatherImages;
    // batchnorm.cu
    final Kernel bnForwardTrain, bnForwardEval, bnBackward, bnDoubleBackward;
    final Kernel bnReluForwardTrain, bnLeakyReluForwardTrain, bnReluBackward, bnLeakyReluBackward;
    // penalty.cu
    final Kernel gradientPenalty;
    // pool.cu
    final Kernel maxPool2dForward, maxPool2dBackward, avgPool2dForward, avgPool2dBackward;
    // concat.cu
    final Kernel copyChannels;
    // resize.cu
    final Kernel resizeBilinearForward, resizeBilinearBackward;
    // fid.cu
    final Kernel fidBlockMean, fidCenter, fidMergeMean, fidRank1, fidSymmetrise, fidSymmetriseInPlace, fidScaledCopy, fidScale, fidIdentity,
            fidTrace, fidSumSquares, fidScaleRows;

    private final Releases modules = new Releases();
    private final String image;     // what the activations module was loaded from, for the backend's description

    /** Loads every family for a device of compute capability {@code major.minor}; on failure unloads what it loaded. */
    Kernels(KernelBuild build, int major, int minor) {
        try {
            CudaModules.Loaded act = load(build, "activations", major, minor);
            image = act.image().ptx() ? "PTX compute_" + build.ptxArch() + " (JIT)"
                    : act.image().resource().replaceAll(".*\\.(sm_\\d+)\\.cubin$", "$1 cubin");
            reluForward = fn(act, "relu_forward");
            leakyReluForward = fn(act, "leaky_relu_forward");
            tanhForward = fn(act, "tanh_forward");
            sigmoidForward = fn(act, "sigmoid_forward");
            reluBackward = fn(act, "relu_backward");
            leakyReluBackward = fn(act, "leaky_relu_backward");
            tanhBackward = fn(act, "tanh_backward");
            sigmoidBackward = fn(act, "sigmoid_backward");
            reluDoubleBackward = fn(act, "relu_double_backward");
            leakyReluDoubleBackward = fn(act, "leaky_relu_double_backward");
            tanhDoubleBackward = fn(act, "tanh_double_backward");
            sigmoidDoubleBackward = fn(act, "sigmoid_double_backward");
            biasAdd = fn(act, "bias_add");
            biasBackward = fn(act, "bias_backward");
            CudaModules.Loaded loss = load(build, "gan_losses", major, minor);
            criticLoss = fn(loss, "critic_loss");
            generatorLoss = fn(loss, "generator_loss");
            lossCurvature = fn(loss, "loss_curvature");
            softmaxCrossEntropy = fn(load(build, "classifier_loss", major, minor), "softmax_cross_entropy");
            CudaModules.Loaded optim = load(build, "optim", major, minor);
            adamStep = fn(optim, "adam_step");
            rmspropStep = fn(optim, "rmsprop_step");
            sgdStep = fn(optim, "sgd_step");
            clampParams = fn(optim, "clamp_params");
            emaUpdate = fn(optim, "ema_update");
            CudaModules.Loaded reduce = load(build, "reduce", major, minor);
            sumSquares = fn(reduce, "sum_squares");
            axpy = fn(reduce, "axpy");
            scale = fn(reduce, "scale");
            rowDot = fn(reduce, "row_dot");
            scaleRows = fn(reduce, "scale_rows");
            CudaModules.Loaded noise = load(build, "noise", major, minor);
            philoxNormal = fn(noise, "philox_normal");
            philoxWords = fn(noise, "philox_words");
            philoxInterpolate = fn(noise, "philox_interpolate");
            gatherImages = fn(load(build, "data", major, minor), "gather_images");
            CudaModules.Loaded bn = load(build, "batchnorm", major, minor);
            bnForwardTrain = fn(bn, "bn_forward_train");
            bnForwardEval = fn(bn, "bn_forward_eval");
            bnBackward = fn(bn, "bn_backward");
            bnDoubleBackward = fn(bn, "bn_double_backward");
            bnReluForwardTrain = fn(bn, "bn_relu_forward_train");
            bnLeakyReluForwardTrain = fn(bn, "bn_leaky_relu_forward_train");
            bnReluBackward = fn(bn, "bn_relu_backward");
            bnLeakyReluBackward = fn(bn, "bn_leaky_relu_backward");
            gradientPenalty = fn(load(build, "penalty", major, minor), "gradient_penalty");
            CudaModules.Loaded pool = load(build, "pool", major, minor);
            maxPool2dForward = fn(pool, "max_pool2d_forward");
            maxPool2dBackward = fn(pool, "max_pool2d_backward");
            avgPool2dForward = fn(pool, "avg_pool2d_forward");
            avgPool2dBackward = fn(pool, "avg_pool2d_backward");
            copyChannels = fn(load(build, "concat", major, minor), "copy_channels");
            CudaModules.Loaded resize = load(build, "resize", major, minor);
            resizeBilinearForward = fn(resize, "resize_bilinear_forward");
            resizeBilinearBackward = fn(resize, "resize_bilinear_backward");
            CudaModules.Loaded fid = load(build, "fid", major, minor);
            fidBlockMean = fn(fid, "fid_block_mean");
            fidCenter = fn(fid, "fid_center");
            fidMergeMean = fn(fid, "fid_merge_mean");
            fidRank1 = fn(fid, "fid_rank1");
            fidSymmetrise = fn(fid, "fid_symmetrise");
            fidSymmetriseInPlace = fn(fid, "fid_symmetrise_in_place");
            fidScaledCopy = fn(fid, "fid_scaled_copy");
            fidScale = fn(fid, "fid_scale");
            fidIdentity = fn(fid, "fid_identity");
            fidTrace = fn(fid, "fid_trace");
            fidSumSquares = fn(fid, "fid_sum_squares");
            fidScaleRows = fn(fid, "fid_scale_rows");
        } catch (RuntimeException | Error failure) {
            modules.releaseAll(failure);
            throw failure;
        }
    }

    private CudaModules.Loaded load(KernelBuild build, String family, int major, int minor) {
        CudaModules.Loaded m = CudaModules.load(build, family, major, minor);
        modules.push(() -> CudaDriver.moduleUnload(m.module()));
        return m;
    }

    private static Kernel fn(CudaModules.Loaded module, String name) {
        return new Kernel(CudaDriver.moduleGetFunction(module.module(), name), name);
    }

    /** "sm_90 cubin" or "PTX compute_80 (JIT)": what the kernels were loaded from. */
    String image() { return image; }

    @Override
    public void close() { modules.releaseAll(null); }
}
