package dev.sparring.eval.features;

import dev.sparring.UserError;
import dev.sparring.backend.Backend;
import dev.sparring.backend.ConvSpec;
import dev.sparring.io.SafeTensors;
import dev.sparring.io.SafeTensorsFile;
import dev.sparring.nn.Act;
import dev.sparring.nn.AvgPool2d;
import dev.sparring.nn.BatchNorm2d;
import dev.sparring.nn.BilinearResize;
import dev.sparring.nn.Concat;
import dev.sparring.nn.Conv2d;
import dev.sparring.nn.GlobalAvgPool2d;
import dev.sparring.nn.Layer;
import dev.sparring.nn.MaxPool2d;
import dev.sparring.nn.Network;
import dev.sparring.nn.Parameter;
import dev.sparring.nn.Pass;
import dev.sparring.nn.Sequential;
import dev.sparring.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code inception} feature network: pytorch-fid's FID Inception-v3 (torchvision's Inception3 with the blocks
 * patched to compute as TensorFlow's {@code inception-2015-12-05} graph), whose pool3 output (F = 2048) is the feature
 * vector of FID as pytorch-fid, TTUR and most papers compute it. bench/inception/README.md is the specification: the
 * layer table, the state_dict names, the preprocessing and the golden file that {@code InceptionV3Test} checks against.
 *
 * <pre>
 *   x (N, C, H, W) in [-1, 1], C = 1 or 3, any H and W
 *   gray (C = 1): the channel repeated 3 times, as pytorch-fid and clean-fid read gray images (PIL convert("RGB"))
 *   bilinear resize to 299 x 299 (F.interpolate, align_corners=False, no antialiasing)
 *   Conv2d_1a_3x3 .. Conv2d_4a_3x3, two 3x3/2 max pools    (N, 192, 35, 35)
 *   Mixed_5b, 5c, 5d                                       (N, 288, 35, 35)
 *   Mixed_6a, 6b, 6c, 6d, 6e                               (N, 768, 17, 17)
 *   Mixed_7a, 7b, 7c                                       (N, 2048, 8, 8)
 *   pool3: the mean over the 8 x 8 map                     (N, 2048): the features
 * </pre>
 *
 * Every convolution is a BasicConv2d: a convolution without bias, batch norm with the running statistics (eps 0.001) and
 * ReLU, named as pytorch-fid names it ({@code Mixed_5b.branch5x5_1.conv.weight}, {@code ...bn.running_var}). The
 * average pools inside the Mixed blocks exclude the padding from the divisor (TensorFlow's SAME pooling) and Mixed_7c
 * pools by max: the two ways pytorch-fid's blocks differ from torchvision's.
 *
 * <p>pytorch-fid's input is x01 in [0, 1], resized and then mapped to 2 x01 - 1; Sparring's images are already in
 * [-1, 1], and resizing them directly gives the same network input (bilinear weights sum to 1), so the affine maps are
 * left out. The weights are pytorch-fid's published file converted to safetensors by bench/inception/convert_weights.py
 * ({@link #load}); nothing is downloaded.
 *
 * <p>Images pass through the network at most {@link #chunk()} at a time (each image holds 129 MB of layer outputs on
 * the way), so {@link #features} takes batches of any size.
 */
public final class InceptionV3 implements FeatureNetwork {
    /** The side the input is resized to. */
    public static final int SIZE = 299;
    /** pool3's length. */
    public static final int FEATURES = 2048;
    /** Batch norm's eps in every BasicConv2d (TensorFlow's 0.001, not PyTorch's default 1e-5). */
    public static final double BN_EPS = 1e-3;
    /** The most images per pass through the network by default; fewer where memory is short ({@link #defaultChunk}). */
    public static final int DEFAULT_CHUNK = 32;
    /** How to make a weights file; every load error ends with it. */
    public static final String HOW_TO_CONVERT = "convert pytorch-fid's pt_inception-2015-12-05-6726825d.pth with "
            + "python3 bench/inception/convert_weights.py IN.pth OUT.safetensors (README, FID)";
    /** The stages whose outputs {@link #trace} reports, in order (the golden file's taps after "input"). */
    public static final List<String> STAGES = List.of("Conv2d_1a_3x3", "Conv2d_2a_3x3", "Conv2d_2b_3x3", "maxpool1",
            "Conv2d_3b_1x1", "Conv2d_4a_3x3", "maxpool2", "Mixed_5b", "Mixed_5c", "Mixed_5d", "Mixed_6a", "Mixed_6b",
            "Mixed_6c", "Mixed_6d", "Mixed_6e", "Mixed_7a", "Mixed_7b", "Mixed_7c", "pool3");

    /** Fills one tensor of the state: its values for {@code name} and {@code shape}, row-major. */
    @FunctionalInterface
    public interface TensorSource {
        float[] values(String name, int[] shape);
    }

    /** Receives a stage's output (see {@link #trace}); the tensor is valid until the next call of the network. */
    @FunctionalInterface
    public interface StageListener {
        void stage(String name, Tensor output);
    }

    private final Backend be;
    private final int chunk;
    private final BilinearResize resize;
    private final List<Layer> stages;      // parallel to STAGES
    private final Network net;             // the state, with pytorch-fid's names
    private Tensor rgb;                    // (k, 3, H, W): a gray chunk repeated to 3 channels
    private Tensor part;                   // (k, C, H, W): a chunk of a larger batch
    private Tensor out;                    // (N, 2048): the features of a batch larger than a chunk

    private InceptionV3(Backend be, int chunk) {
        if (chunk < 0) throw new IllegalArgumentException("chunk must be >= 1 (or 0 for the default), got " + chunk);
        this.be = be;
        this.resize = new BilinearResize(be, SIZE, SIZE);
        List<Layer> s = new ArrayList<>();
        s.add(basic(3, 32, 3, 3, 2, 0, 0));                       // Conv2d_1a_3x3  299 -> 149
        s.add(basic(32, 32, 3, 3, 1, 0, 0));                      // Conv2d_2a_3x3  149 -> 147
        s.add(basic(32, 64, 3, 3, 1, 1, 1));                      // Conv2d_2b_3x3  147
        s.add(new MaxPool2d(be, 3, 2, 0));                        // maxpool1       147 -> 73
        s.add(basic(64, 80, 1, 1, 1, 0, 0));                      // Conv2d_3b_1x1  73
        s.add(basic(80, 192, 3, 3, 1, 0, 0));                     // Conv2d_4a_3x3  73 -> 71
        s.add(new MaxPool2d(be, 3, 2, 0));                        // maxpool2       71 -> 35
        s.add(mixedA(192, 32));                                   // Mixed_5b       35, 256
        s.add(mixedA(256, 64));                                   // Mixed_5c       35, 288
        s.add(mixedA(288, 64));                                   // Mixed_5d       35, 288
        s.add(reductionB(288));                                   // Mixed_6a       35 -> 17, 768
        s.add(mixedC(768, 128));                                  // Mixed_6b       17, 768
        s.add(mixedC(768, 160));                                  // Mixed_6c
        s.add(mixedC(768, 160));                                  // Mixed_6d
        s.add(mixedC(768, 192));                                  // Mixed_6e
        s.add(reductionD(768));                                   // Mixed_7a       17 -> 8, 1280
        s.add(mixedE(1280, false));                               // Mixed_7b       8, 2048
        s.add(mixedE(2048, true));                                // Mixed_7c       8, 2048
        s.add(new GlobalAvgPool2d(be));                           // pool3          (N, 2048, 1, 1)
        this.stages = List.copyOf(s);
        Sequential.Builder trunk = Sequential.builder(be);
        for (int i = 0; i < s.size(); i++) {
            String name = STAGES.get(i);
            boolean stateless = name.startsWith("maxpool") || name.equals("pool3");   // F.max_pool2d, adaptive_avg_pool2d
            trunk.add(stateless ? null : name, s.get(i));
        }
        this.net = new Network("inception", "", trunk.build(), 3, SIZE, SIZE);
        this.chunk = chunk > 0 ? chunk : defaultChunk(be.memoryAvailable().bytes(), outputFloatsPerImage());
    }

    /**
     * {@link #DEFAULT_CHUNK} images, or as many as fill 40% of the memory the backend has left (measured once the weights
     * are allocated) with their layer outputs, at least 1: on the CPU's default Java heap (a quarter of the machine's
     * memory) a 16 GB machine passes about 12 at a time.
     */
    static int defaultChunk(long available, long floatsPerImage) {
        long fit = (long) (0.4 * available / (4.0 * floatsPerImage));
        return (int) Math.max(1, Math.min(DEFAULT_CHUNK, fit));
    }

    /**
     * The floats of every layer's output buffer for one image at 299 x 299: what an image occupies on its way through
     * (3.2e7, 129 MB), besides the convolutions' scratch.
     */
    public long outputFloatsPerImage() { return outputFloats(resize, new int[] {1, 3, SIZE, SIZE}) + outputFloats(net.root(), new int[] {1, 3, SIZE, SIZE}); }

    private static long outputFloats(Layer l, int[] s) {
        return switch (l) {
            case Sequential q -> {                      // its last child's output: no buffer of its own
                long m = 0;
                int[] t = s;
                for (Layer c : q.layers()) {
                    m += outputFloats(c, t);
                    t = c.outputShape(t);
                }
                yield m;
            }
            case Concat c -> size(c.outputShape(s)) + c.branches().stream().mapToLong(b -> outputFloats(b, s)).sum();
            default -> size(l.outputShape(s));
        };
    }

    private static long size(int[] shape) {
        long n = 1;
        for (int d : shape) n *= d;
        return n;
    }

    // ------------------------------------------------------------------------------------------------ the blocks

    /** BasicConv2d: conv (kh x kw, stride, padding ph x pw, no bias), BN (eps 0.001), ReLU; state "conv.*", "bn.*". */
    private Sequential basic(int in, int out, int kh, int kw, int stride, int ph, int pw) {
        return Sequential.builder(be)
                .add("conv", new Conv2d(be, in, out, kh, kw, new ConvSpec(stride, stride, ph, pw), false))
                .add("bn", new BatchNorm2d(be, out, BN_EPS, 0.1))
                .add(Act.relu(be))
                .build();
    }

    /** A chain of named BasicConv2ds, and unnamed layers (pools) where a name is null; one branch of a block. */
    private Sequential branch(Object... nameLayer) {
        Sequential.Builder b = Sequential.builder(be);
        for (int i = 0; i < nameLayer.length; i += 2) b.add((String) nameLayer[i], (Layer) nameLayer[i + 1]);
        return b.build();
    }

    /** TensorFlow's SAME 3x3 average pool: stride 1, padding 1, the padding left out of the divisor. */
    private AvgPool2d avgExcludingPad() { return new AvgPool2d(be, 3, 1, 1, false); }

    /** Mixed_5b/5c/5d (pytorch-fid's FIDInceptionA): 64 + 64 + 96 + poolOut channels at 35 x 35. */
    private Concat mixedA(int in, int poolOut) {
        return new Concat(be, List.of(
                branch("branch1x1", basic(in, 64, 1, 1, 1, 0, 0)),
                branch("branch5x5_1", basic(in, 48, 1, 1, 1, 0, 0),
                        "branch5x5_2", basic(48, 64, 5, 5, 1, 2, 2)),
                branch("branch3x3dbl_1", basic(in, 64, 1, 1, 1, 0, 0),
                        "branch3x3dbl_2", basic(64, 96, 3, 3, 1, 1, 1),
                        "branch3x3dbl_3", basic(96, 96, 3, 3, 1, 1, 1)),
                branch(null, avgExcludingPad(),
                        "branch_pool", basic(in, poolOut, 1, 1, 1, 0, 0))));
    }

    /** Mixed_6a (InceptionB): 35 -> 17, 384 + 96 + in channels. */
    private Concat reductionB(int in) {
        return new Concat(be, List.of(
                branch("branch3x3", basic(in, 384, 3, 3, 2, 0, 0)),
                branch("branch3x3dbl_1", basic(in, 64, 1, 1, 1, 0, 0),
                        "branch3x3dbl_2", basic(64, 96, 3, 3, 1, 1, 1),
                        "branch3x3dbl_3", basic(96, 96, 3, 3, 2, 0, 0)),
                branch(null, new MaxPool2d(be, 3, 2, 0))));
    }

    /** Mixed_6b..6e (FIDInceptionC): factorised 7x7 convolutions with c7 inner channels, 4 x 192 channels at 17 x 17. */
    private Concat mixedC(int in, int c7) {
        return new Concat(be, List.of(
                branch("branch1x1", basic(in, 192, 1, 1, 1, 0, 0)),
                branch("branch7x7_1", basic(in, c7, 1, 1, 1, 0, 0),
                        "branch7x7_2", basic(c7, c7, 1, 7, 1, 0, 3),
                        "branch7x7_3", basic(c7, 192, 7, 1, 1, 3, 0)),
                branch("branch7x7dbl_1", basic(in, c7, 1, 1, 1, 0, 0),
                        "branch7x7dbl_2", basic(c7, c7, 7, 1, 1, 3, 0),
                        "branch7x7dbl_3", basic(c7, c7, 1, 7, 1, 0, 3),
                        "branch7x7dbl_4", basic(c7, c7, 7, 1, 1, 3, 0),
                        "branch7x7dbl_5", basic(c7, 192, 1, 7, 1, 0, 3)),
                branch(null, avgExcludingPad(),
                        "branch_pool", basic(in, 192, 1, 1, 1, 0, 0))));
    }

    /** Mixed_7a (InceptionD): 17 -> 8, 320 + 192 + in channels. */
    private Concat reductionD(int in) {
        return new Concat(be, List.of(
                branch("branch3x3_1", basic(in, 192, 1, 1, 1, 0, 0),
                        "branch3x3_2", basic(192, 320, 3, 3, 2, 0, 0)),
                branch("branch7x7x3_1", basic(in, 192, 1, 1, 1, 0, 0),
                        "branch7x7x3_2", basic(192, 192, 1, 7, 1, 0, 3),
                        "branch7x7x3_3", basic(192, 192, 7, 1, 1, 3, 0),
                        "branch7x7x3_4", basic(192, 192, 3, 3, 2, 0, 0)),
                branch(null, new MaxPool2d(be, 3, 2, 0))));
    }

    /**
     * Mixed_7b (FIDInceptionE_1, average pool without the padding) and Mixed_7c (FIDInceptionE_2, max pool):
     * 320 + (384 + 384) + (384 + 384) + 192 = 2048 channels at 8 x 8; each (1x3, 3x1) pair reads the same input and is
     * concatenated 1x3 first.
     */
    private Concat mixedE(int in, boolean maxPool) {
        return new Concat(be, List.of(
                branch("branch1x1", basic(in, 320, 1, 1, 1, 0, 0)),
                branch("branch3x3_1", basic(in, 384, 1, 1, 1, 0, 0),
                        null, new Concat(be, List.of(
                                branch("branch3x3_2a", basic(384, 384, 1, 3, 1, 0, 1)),
                                branch("branch3x3_2b", basic(384, 384, 3, 1, 1, 1, 0))))),
                branch("branch3x3dbl_1", basic(in, 448, 1, 1, 1, 0, 0),
                        "branch3x3dbl_2", basic(448, 384, 3, 3, 1, 1, 1),
                        null, new Concat(be, List.of(
                                branch("branch3x3dbl_3a", basic(384, 384, 1, 3, 1, 0, 1)),
                                branch("branch3x3dbl_3b", basic(384, 384, 3, 1, 1, 1, 0))))),
                branch(null, maxPool ? new MaxPool2d(be, 3, 1, 1) : avgExcludingPad(),
                        "branch_pool", basic(in, 192, 1, 1, 1, 0, 0))));
    }

    // ------------------------------------------------------------------------------------------------ weights

    /**
     * The network with every tensor of its state from {@code source} (formula weights in tests, a file in {@link #load}),
     * passing {@link #defaultChunk} images at a time.
     */
    public static InceptionV3 withWeights(Backend be, TensorSource source) { return withWeights(be, source, 0); }

    /**
     * As {@link #withWeights(Backend, TensorSource)}, passing at most {@code chunk} images through the network at a time
     * (0: {@link #defaultChunk}).
     */
    public static InceptionV3 withWeights(Backend be, TensorSource source, int chunk) {
        InceptionV3 n = new InceptionV3(be, chunk);
        for (var e : n.state().entrySet()) {
            float[] v = source.values(e.getKey(), e.getValue().shape());
            if (v.length != e.getValue().size()) {
                throw new IllegalArgumentException(e.getKey() + ": " + v.length + " values for shape " + Arrays.toString(e.getValue().shape()));
            }
            be.copyFromHost(v, e.getValue());
        }
        return n;
    }

    /** {@link #load(Backend, Path, int)} with {@link #defaultChunk}. */
    public static InceptionV3 load(Backend be, Path weights) { return load(be, weights, 0); }

    /**
     * The network with pytorch-fid's weights from a safetensors file with pytorch-fid's state_dict names (what
     * bench/inception/convert_weights.py writes). Every tensor the features depend on must be there as float32 with
     * pytorch-fid's shape; {@code fc.*} (the 1008 logits, not used by FID) and {@code *.num_batches_tracked} may be
     * there and are ignored, any other tensor is refused. The file is checked whole before anything is loaded; the first
     * problem is a one-line {@link UserError} that names the file and says how to make a good one.
     */
    public static InceptionV3 load(Backend be, Path weights, int chunk) {
        SafeTensorsFile f;
        try {
            f = SafeTensors.read(weights);
        } catch (IOException | RuntimeException e) {
            String m = e.getMessage() == null ? e.toString() : e.getMessage();
            throw new UserError(weights + ": cannot be read as Inception weights (" + m + "); " + HOW_TO_CONVERT, e);
        }
        InceptionV3 n = new InceptionV3(be, chunk);
        Map<String, Tensor> state = n.state();
        String problem = problem(f, state);
        if (problem != null) throw new UserError(weights + ": " + problem + "; not pytorch-fid's FID Inception weights? " + HOW_TO_CONVERT);
        for (var e : state.entrySet()) be.copyFromHost(f.getF32(e.getKey()), e.getValue());
        return n;
    }

    /**
     * The first way {@code f} does not hold this state, or null: a tensor the network does not have (another
     * network's file), then a missing tensor, then a wrong dtype or shape, in the state's order.
     */
    private static String problem(SafeTensorsFile f, Map<String, Tensor> state) {
        for (String name : f.names()) {
            if (state.containsKey(name) || name.endsWith(".num_batches_tracked")) continue;
            if (name.equals("fc.weight") && !Arrays.equals(f.shape(name), new int[] {1008, FEATURES})) {
                return "fc.weight has shape " + Arrays.toString(f.shape(name)) + ", not [1008, 2048]: another Inception-v3 "
                        + "(torchvision's ImageNet classifier has 1000 classes), whose features are not FID's";
            }
            if (name.startsWith("fc.")) continue;
            return "unexpected tensor '" + name + "' (pytorch-fid's network has no such tensor)";
        }
        int missing = 0;
        String firstMissing = null;
        for (String name : state.keySet()) {
            if (!f.contains(name)) {
                missing++;
                if (firstMissing == null) firstMissing = name;
            }
        }
        if (missing > 0) {
            return "no tensor '" + firstMissing + "'" + (missing > 1 ? " (and " + (missing - 1) + " more of the " + state.size() + " the features need)" : "");
        }
        for (var e : state.entrySet()) {
            String name = e.getKey();
            int[] want = e.getValue().shape(), got = f.shape(name);
            if (f.dtype(name) != SafeTensors.Dtype.F32) return "tensor '" + name + "' is " + f.dtype(name) + ", expected F32 (float32)";
            if (!Arrays.equals(want, got)) {
                return "tensor '" + name + "' has shape " + Arrays.toString(got) + ", pytorch-fid's Inception has " + Arrays.toString(want);
            }
        }
        return null;
    }

    /** Every tensor of the state (parameters, then running statistics) by its pytorch-fid name, in the network's order. */
    public Map<String, Tensor> state() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        for (Map.Entry<String, Parameter> e : net.namedParameters().entrySet()) m.put(e.getKey(), e.getValue().value());
        m.putAll(net.namedBuffers());
        return m;
    }

    /** The network (its state names are pytorch-fid's state_dict names, less fc and the counters). */
    public Network network() { return net; }

    // ------------------------------------------------------------------------------------------------ features

    @Override
    public String name() { return "inception"; }

    @Override
    public int featureSize() { return FEATURES; }

    /** 3: RGB. Gray images (1 channel) are taken too and repeated to 3 channels. */
    @Override
    public int channels() { return 3; }

    /** 299, the side images are resized to; {@link #features} takes any size. */
    @Override
    public int imageSize() { return SIZE; }

    @Override
    public Backend backend() { return be; }

    /** The most images that pass through the network at once. */
    public int chunk() { return chunk; }

    private static void requireImages(Tensor images) {
        if (images.rank() != 4 || (images.dim(1) != 1 && images.dim(1) != 3) || images.dim(0) < 1) {
            throw new IllegalArgumentException("Inception-v3 takes images (N, 3, H, W) or gray (N, 1, H, W), got " + Arrays.toString(images.shape()));
        }
    }

    /**
     * The features of images (N, C, H, W) in [-1, 1], C = 1 (repeated to RGB) or 3, any H and W: pool3, N rows of 2048,
     * row-major.
     */
    @Override
    public float[] features(Tensor images) { return be.download(featureTensor(images)); }

    /**
     * The features as a tensor (N, 2048) on the backend, owned by the network and valid until its next call. A batch
     * larger than {@link #chunk()} passes through in chunks, copied into one tensor.
     */
    @Override
    public Tensor featureTensor(Tensor images) {
        requireImages(images);
        int n = images.dim(0);
        if (n <= chunk) return be.view(pool3(images, null), n, FEATURES);
        int c = images.dim(1), h = images.dim(2), w = images.dim(3);
        out = ensure(out, n, FEATURES);
        Tensor all = be.view(images, 1, n * c, h, w), allOut = be.view(out, 1, n * FEATURES, 1, 1);
        for (int i0 = 0; i0 < n; i0 += chunk) {
            int k = Math.min(chunk, n - i0);
            part = ensure(part, k, c, h, w);
            be.copyChannels(be.view(part, 1, k * c, h, w), 0, all, i0 * c, k * c);
            Tensor f = pool3(part, null);                                       // (k, 2048, 1, 1)
            be.copyChannels(allOut, i0 * FEATURES, be.view(f, 1, k * FEATURES, 1, 1), 0, k * FEATURES);
        }
        return out;
    }

    /**
     * Runs images (N <= any) through the network, telling {@code listener} each stage's output in order: "input" (the
     * network's input after the resize, (N, 3, 299, 299)), then each of {@link #STAGES}. For finding where an
     * implementation departs from the reference (bench/inception/README.md, "The golden file"). The whole batch passes
     * at once, whatever {@link #chunk()}.
     */
    public void trace(Tensor images, StageListener listener) {
        requireImages(images);
        pool3(images, listener);
    }

    /** pool3 (N, 2048, 1, 1) of one chunk. */
    private Tensor pool3(Tensor images, StageListener listener) {
        Tensor x = images;
        if (x.dim(1) == 1) {                          // gray: the same plane as R, G and B
            rgb = ensure(rgb, x.dim(0), 3, x.dim(2), x.dim(3));
            for (int ch = 0; ch < 3; ch++) be.copyChannels(rgb, ch, x, 0, 1);
            x = rgb;
        }
        x = resize.forward(x, Pass.EVAL);
        if (listener != null) listener.stage("input", x);
        for (int i = 0; i < stages.size(); i++) {
            x = stages.get(i).forward(x, Pass.EVAL);
            if (listener != null) listener.stage(STAGES.get(i), x);
        }
        return x;
    }

    private Tensor ensure(Tensor t, int... shape) {
        if (t != null && t.sameShape(shape)) return t;
        if (t != null) t.close();
        return be.zeros(shape);
    }
}
