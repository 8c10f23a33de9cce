/**
 * The CUDA backend: {@link dev.sparring.backend.cuda.CudaBackend}, the fast twin of the CPU reference backend, and
 * its bindings to the CUDA libraries through {@code java.lang.foreign} (no JNI, no native code of ours but the
 * kernels).
 *
 * <h2>Pieces</h2>
 * <ul>
 *   <li>{@link dev.sparring.backend.cuda.CudaDriver}, {@link dev.sparring.backend.cuda.Cublas},
 *       {@link dev.sparring.backend.cuda.Cudnn}: one binding class per library, {@code static final} method handles
 *       bound when the class initialises (a missing symbol fails there, naming library and symbol), and a
 *       {@code check(status, "function")} that throws {@link dev.sparring.backend.cuda.CudaException} with the
 *       library's own error text.</li>
 *   <li>{@link dev.sparring.backend.cuda.NativeLibraries}: finds libcuda.so.1, libcublas.so.13/.12 and
 *       libcudnn.so.9/.8. Overrides: {@code SPARRING_LIBCUDA}, {@code SPARRING_LIBCUBLAS}, {@code SPARRING_LIBCUDNN}
 *       (full paths). Otherwise the system loader (LD_LIBRARY_PATH, ld.so.cache), then $CUDA_HOME/lib64,
 *       /usr/local/cuda/lib64 and the NVIDIA pip wheels that PyTorch installs ({@code site-packages/nvidia/*}{@code /lib}).
 *       When nothing is found, one message lists what was searched and what to install.</li>
 *   <li>Kernels: {@code kernels/*.cu}, compiled by {@code native/build-kernels.sh} during the Maven build into
 *       {@code dev/sparring/kernels/} in the jar (PTX for compute_80 plus sm_80 and sm_90 cubins), after
 *       {@link dev.sparring.backend.cuda.KernelLayouts} has written what Java and the kernels share (block size,
 *       loss-program op codes and struct, multi-tensor table entries) as {@code kernels/generated/layouts.cuh};
 *       {@link dev.sparring.backend.cuda.CudaModules} loads the cubin of the device or JIT-compiles the PTX. A jar
 *       built without nvcc has no kernels and runs on the CPU only.</li>
 *   <li>{@link dev.sparring.backend.cuda.CudaRuntime}: {@code probe()} (can this process use the GPU? never
 *       throws) for {@code --device auto}, and {@code doctorReport()} for {@code sparring doctor}.</li>
 *   <li>{@link dev.sparring.backend.cuda.CudaStepGraph}: a training step as a CUDA graph (stream capture, then
 *       replays); the kernels take their per-step values from a step record in device memory (a pointer argument,
 *       null when launched op by op: {@code step_value} in {@code kernels/common.cuh}).</li>
 * </ul>
 *
 * <h2>The backend, one job per class</h2>
 * {@link dev.sparring.backend.cuda.CudaBackend} is a facade: each op checks its tensors as
 * {@link dev.sparring.backend.cpu.CpuBackend} does, resolves their device pointers and hands the work on, so that the
 * two twins read alike. Behind it:
 * <ul>
 *   <li>{@code CudaContext}: the device's primary context, the stream, the cuBLAS (with our workspace) and cuDNN
 *       handles, the device's facts and host memory of the backend's life; made and released as one.</li>
 *   <li>{@code Kernels}: the handle of every entry point of {@code kernels/*.cu}, loaded once.</li>
 *   <li>{@code CudaFid}: the FID's float64 ops (moments; the square-root trace by Newton–Schulz on DGEMM, or by
 *       cuSOLVER's DSYEVD through {@code Cusolver}, an optional library bound only when that method is asked for).</li>
 *   <li>{@code Launcher} and {@code KernelArgs}: the one launch path. Every kernel launch, cuBLAS/cuDNN call, copy
 *       and memset goes through it, and it alone knows step graphs: it runs the work op by op, notes it while a step
 *       is captured, checks and skips it while a step replays, and puts per-step values into the step record, so
 *       that no op carries replay logic.</li>
 *   <li>{@code DeviceMemory}: every device allocation and free, counted (a captured graph is valid while the count
 *       stands) and refused inside a captured step.</li>
 *   <li>{@code Staging}: the ring of page-locked upload buffers and the download buffer.</li>
 *   <li>{@code CudnnConv}: convolution descriptors, algorithm search and workspace, once per shape (Caffe's
 *       setup-then-execute).</li>
 *   <li>{@code BatchNormOps}: batch norm behind one interface, {@code CudnnBatchNorm} (cuDNN's) or
 *       {@code KernelBatchNorm} (our kernels), chosen once by the options instead of a branch in every op; with a
 *       fused activation ({@code batchNormActTrain}/{@code batchNormActBackward}) our fused kernels, or cuDNN's batch
 *       norm with our activation kernels beside it (its backward's activation gradient in a scratch buffer that only
 *       grows).</li>
 *   <li>{@code TensorTables}: the cached device arrays of {@code TensorSlot} that the multi-tensor kernels read;
 *       {@code LossPrograms}: loss programs encoded as {@code struct Program}, once each.</li>
 *   <li>{@code KernelLayouts}: the one definition of what Java and the kernels share (see Kernels above).</li>
 *   <li>{@code Releases}: what each of these made, released last first when it closes or when its construction
 *       fails part-way.</li>
 * </ul>
 * Why this cut: the jobs change for different reasons (a new op, a new library version, a new step-graph rule, a new
 * struct), and each had its own state tangled into one 1,300-line class; split along the state each owns, the
 * pieces need no back-references to the facade, and step graphs are handled in exactly one place.
 *
 * <h2>Requirements</h2>
 * An NVIDIA GPU of compute capability 8.0 or newer (A100, RTX 30xx and later, H100/H200), a driver that supports the
 * CUDA version of the nvcc that built the kernels (580 or newer for CUDA 13), cuBLAS 12 or 13 and cuDNN 9 (or 8).
 * The JVM needs {@code --enable-native-access=ALL-UNNAMED}.
 */
package dev.sparring.backend.cuda;
